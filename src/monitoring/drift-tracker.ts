import type { ModelReference } from '../model/model-artifact.js';
import { driftBaseline, type DriftBaseline } from './drift-baseline.js';
import { DriftCounts } from './drift-counts.js';
import {
  driftThresholdsView,
  summarizeDrift,
  type DriftAlert,
  type DriftThresholds,
  type DriftThresholdsView,
  type DriftWindowSummary,
} from './drift-summary.js';
import { DriftWindows, type ClosedDriftWindow, type DriftWindowOptions } from './drift-windows.js';

export interface DriftTrackerOptions {
  readonly windowRecords: number;
  readonly windowMs: number;
  readonly thresholds: DriftThresholds;
  /**
   * Told when the alerts in force of a version change: a figure went over its threshold, or back under it. The
   * shell logs each change once; scoring goes on whatever it says.
   */
  readonly onAlerts?: (change: DriftAlertChange) => void;
}

/** The alerts of a version that changed with its latest figures. */
export interface DriftAlertChange {
  readonly version: string;
  /** figures now over their threshold that were not */
  readonly raised: readonly DriftAlert[];
  /** figures that were over their threshold and are not any more (their current value) */
  readonly cleared: readonly DriftAlert[];
  /** the figures that decided it: the latest closed windows of the version, merged */
  readonly window: DriftWindowSummary;
}

/** One model version's drift (GET /monitoring). */
export interface DriftVersionView {
  readonly version: string;
  /** the training data the figures compare with; null when the artifact has no reference: not monitored */
  readonly reference: { readonly rows: number; readonly split: string } | null;
  /** sources (input partitions; the side-port is one) whose windows the figures merge */
  readonly sources: number;
  /** the open windows so far (committed records only), merged; null when they hold no record */
  readonly current: DriftWindowSummary | null;
  /** the latest closed window of each source, merged: the figures the gauges and alerts show; null before one */
  readonly last_closed: DriftWindowSummary | null;
  /**
   * The alerts in force: last_closed's figures over their threshold, and an earlier alert that last_closed has too
   * few values to judge (it holds until a window can)
   */
  readonly alerts: readonly DriftAlert[];
}

export interface DriftTrackerView {
  readonly window: { readonly records: number; readonly ms: number };
  readonly thresholds: DriftThresholdsView;
  readonly versions: readonly DriftVersionView[];
}

/** The latest closed figures of one version, for the gauges. */
export interface ClosedVersionDrift {
  readonly version: string;
  readonly summary: DriftWindowSummary;
  /** the alerts in force (DriftVersionView.alerts) */
  readonly alerts: readonly DriftAlert[];
}

interface Source {
  readonly windows: DriftWindows;
  /** whether the source still counts (a partition this worker still owns) */
  readonly active: () => boolean;
}

const ALWAYS = (): boolean => true;

/**
 * Online drift of one process, per model version (pure: the caller passes its clock): the drift windows of each
 * source (an input partition of the stream, or the side-port's requests; `DriftWindows`), and per version the
 * merge of the latest closed window of every active source, which the gauges, GET /monitoring and the alerts read.
 * Counts merge by addition, so the merged figures are those of all the merged windows' records together.
 *
 * Alerts are figures of the merged windows over their threshold (summarizeDrift's `alerts`); each time a window of
 * a version closes, the version's alerts are compared with the ones in force and `onAlerts` is told what changed,
 * so a crossing is reported once, and its clearing once.
 */
export class DriftTracker {
  readonly options: DriftTrackerOptions;
  readonly #windowOptions: DriftWindowOptions;
  readonly #baselines = new Map<string, DriftBaseline>();
  readonly #sources = new Map<string, Source>();
  /** version -> the alerts in force, by `${feature}\0${metric}` */
  readonly #alerts = new Map<string, Map<string, DriftAlert>>();

  constructor(options: DriftTrackerOptions) {
    this.options = options;
    this.#windowOptions = {
      maxRecords: options.windowRecords,
      maxMillis: options.windowMs,
      thresholds: options.thresholds,
    };
  }

  /**
   * The baseline of a version, laid out from the first reference given for it: model versions are immutable, and
   * one baseline per version is what lets the windows of different sources merge.
   */
  baselineOf(version: string, reference: ModelReference): DriftBaseline {
    let baseline = this.#baselines.get(version);
    if (baseline === undefined) {
      baseline = driftBaseline(reference);
      this.#baselines.set(version, baseline);
    }
    return baseline;
  }

  /** The windows of a source, made on first use. `active`: whether it still counts (default: always). */
  windows(key: string, active: () => boolean = ALWAYS): DriftWindows {
    return this.#sources.get(key)?.windows ?? this.restart(key, active);
  }

  /**
   * Fresh windows for a source, dropping its previous ones, open and closed: a partition this worker takes (again)
   * starts afresh, as what another owner counted meanwhile is not here.
   */
  restart(key: string, active: () => boolean = ALWAYS): DriftWindows {
    const windows = new DriftWindows(this.#windowOptions, this.baselineOf.bind(this), (closed) => {
      this.#closed(closed);
    });
    this.#sources.set(key, { windows, active });
    return windows;
  }

  /** Closes the windows of every source whose time is up (the side-port's, which only requests move otherwise). */
  tick(key: string, now: number): void {
    this.#sources.get(key)?.windows.tick(now);
  }

  /** Per version with a closed window, the merged latest closed windows (the gauges). */
  closed(): ClosedVersionDrift[] {
    const out: ClosedVersionDrift[] = [];
    for (const version of this.#versionsSeen()) {
      const merged = this.#mergedClosed(version);
      if (merged !== undefined) out.push({ version, summary: merged.summary, alerts: this.#alertsInForce(version) });
    }
    return out;
  }

  /**
   * What GET /monitoring shows at `now`: the versions given (the serving set's, with their references), each with
   * its open and latest closed figures.
   */
  view(now: number, versions: Iterable<readonly [string, ModelReference | undefined]>): DriftTrackerView {
    return {
      window: { records: this.options.windowRecords, ms: this.options.windowMs },
      thresholds: driftThresholdsView(this.options.thresholds),
      versions: [...versions].map(([version, reference]) => this.#versionView(now, version, reference)),
    };
  }

  #versionView(now: number, version: string, reference: ModelReference | undefined): DriftVersionView {
    const closed = this.#mergedClosed(version);
    const current = this.#mergedOpen(version, now);
    return {
      version,
      reference: reference === undefined ? null : { rows: reference.rows, split: reference.split },
      sources: closed?.sources ?? 0,
      current: current ?? null,
      last_closed: closed?.summary ?? null,
      alerts: closed === undefined ? [] : this.#alertsInForce(version),
    };
  }

  #closed(windows: readonly ClosedDriftWindow[]): void {
    const versions = new Set(windows.map((w) => w.version));
    for (const version of versions) {
      const merged = this.#mergedClosed(version);
      if (merged !== undefined) this.#updateAlerts(version, merged.summary);
    }
  }

  #updateAlerts(version: string, summary: DriftWindowSummary): void {
    const before = this.#alerts.get(version) ?? new Map<string, DriftAlert>();
    const now = new Map(summary.alerts.map((alert) => [alertKey(alert), alert]));
    // A window too small to judge a figure (fewer than minRecords values, e.g. one closed by time on a quiet
    // partition) neither raises nor clears it: the alert in force holds until a window can say.
    for (const [key, alert] of before) {
      if (!now.has(key) && !judges(summary, alert, this.options.thresholds.minRecords)) now.set(key, alert);
    }
    const raised = summary.alerts.filter((alert) => !before.has(alertKey(alert)));
    const cleared = [...before.entries()]
      .filter(([key]) => !now.has(key))
      .map(([, alert]) => ({ ...alert, value: currentValue(summary, alert) }));
    this.#alerts.set(version, now);
    if (raised.length > 0 || cleared.length > 0) this.options.onAlerts?.({ version, raised, cleared, window: summary });
  }

  #alertsInForce(version: string): DriftAlert[] {
    return [...(this.#alerts.get(version)?.values() ?? [])];
  }

  *#versionsSeen(): Generator<string> {
    const seen = new Set<string>();
    for (const { windows } of this.#sources.values()) {
      for (const version of windows.versions()) {
        if (seen.has(version)) continue;
        seen.add(version);
        yield version;
      }
    }
  }

  #mergedClosed(version: string): { summary: DriftWindowSummary; sources: number } | undefined {
    const windows: ClosedDriftWindow[] = [];
    for (const source of this.#sources.values()) {
      const closed = source.active() ? source.windows.lastClosed(version) : undefined;
      if (closed !== undefined) windows.push(closed);
    }
    const [only] = windows;
    if (only === undefined) return undefined;
    if (windows.length === 1) return { summary: only.summary, sources: 1 };
    const counts = new DriftCounts(only.counts.baseline);
    for (const w of windows) counts.mergeFrom(w.counts);
    const start = Math.min(...windows.map((w) => w.summary.window_start));
    const end = Math.max(...windows.map((w) => w.summary.window_end));
    return { summary: summarizeDrift(counts, { start, end }, this.options.thresholds), sources: windows.length };
  }

  #mergedOpen(version: string, now: number): DriftWindowSummary | undefined {
    let counts: DriftCounts | undefined;
    let start = Infinity;
    for (const source of this.#sources.values()) {
      const open = source.active() ? source.windows.open(version) : undefined;
      if (open === undefined) continue;
      counts ??= new DriftCounts(open.counts.baseline);
      counts.mergeFrom(open.counts);
      start = Math.min(start, open.start);
    }
    return counts === undefined ? undefined : summarizeDrift(counts, { start, end: now }, this.options.thresholds);
  }
}

/** Whether `summary` holds enough values (minRecords) to say whether the alert's figure is over its threshold. */
function judges(summary: DriftWindowSummary, alert: DriftAlert, minRecords: number): boolean {
  if (alert.feature === 'score') return summary.scored >= minRecords;
  if (alert.metric !== 'psi') return summary.records >= minRecords;
  const feature = summary.features.find((f) => f.feature === alert.feature);
  if (feature === undefined) return false;
  const missing = Math.round((feature.missing_rate ?? 0) * summary.records);
  return summary.records - missing >= minRecords;
}

function alertKey(alert: DriftAlert): string {
  return `${alert.feature}\u0000${alert.metric}`;
}

/** The figure an alert was about, in `summary` (0 when the window has none: no values, no alert). */
function currentValue(summary: DriftWindowSummary, alert: DriftAlert): number {
  if (alert.feature === 'score') return summary.score_psi ?? 0;
  const feature = summary.features.find((f) => f.feature === alert.feature);
  if (feature === undefined) return 0;
  const value =
    alert.metric === 'psi'
      ? feature.psi
      : alert.metric === 'unseen_rate'
        ? feature.unseen_rate
        : alert.metric === 'missing_rate'
          ? feature.missing_rate
          : feature.out_of_range_rate;
  return value ?? 0;
}
