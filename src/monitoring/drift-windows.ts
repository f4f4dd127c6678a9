import type { ModelReference } from '../model/model-artifact.js';
import type { DriftBaseline } from './drift-baseline.js';
import { DriftCounts } from './drift-counts.js';
import { summarizeDrift, type DriftThresholds, type DriftWindowSummary } from './drift-summary.js';

export interface DriftWindowOptions {
  /** a window closes at the first batch boundary where it holds this many records... */
  readonly maxRecords: number;
  /** ... or where it has been open this long (ms of the caller's clock) */
  readonly maxMillis: number;
  readonly thresholds: DriftThresholds;
}

/** Input offsets, both included: a stream window holds every record of its version between them, and no other. */
export interface OffsetSpan {
  readonly first: bigint;
  readonly last: bigint;
}

/**
 * Records counted together, at once or not at all: a stream transaction (committed or aborted as a whole), or one
 * request of the side-port.
 */
export interface DriftBatch {
  /** when its first record was taken: a window it opens starts then */
  readonly startedAt: number;
  /** the input offsets it covers (the stream) */
  readonly offsets?: OffsetSpan;
}

/** A window that closed: its figures, and its counts for merging with other sources' windows (never changed again). */
export interface ClosedDriftWindow {
  readonly version: string;
  readonly summary: DriftWindowSummary;
  readonly counts: DriftCounts;
  /** the input offsets it covers; undefined for the side-port's windows */
  readonly offsets: OffsetSpan | undefined;
}

/** The counts of a version's open window so far (committed batches only), and when it opened. */
export interface OpenDriftWindow {
  readonly version: string;
  readonly counts: DriftCounts;
  readonly start: number;
}

/** Where a source's windows get the baseline of a version (one per version, so that sources merge). */
export type BaselineOf = (version: string, reference: ModelReference) => DriftBaseline;

/**
 * The drift windows of one source of records (an input partition, or the side-port's requests): one tumbling
 * window per model version, against that version's training reference (pure: the caller passes its clock).
 *
 * Records arrive in batches that count at once or not at all. A batch is staged (`begin`, then `stage` per
 * version, counting into the returned DriftCounts), `closing(now)` says which windows its commit would close (so
 * the stream can send their records in the same transaction), and `commit()` makes it count. Nothing changes
 * before `commit()`: a batch that is never committed (an aborted transaction) is simply forgotten by the next
 * `begin`, so a window never counts a record twice.
 *
 * A window closes at a batch boundary: when, with the batch, it holds `maxRecords` records (it may then hold up to
 * a batch more), or when it has been open `maxMillis`. A window whose time was already up before the batch (an idle
 * source) closes without it, and the batch opens the next one. A window with no records is never reported.
 */
export class DriftWindows {
  readonly #options: DriftWindowOptions;
  readonly #baselineOf: BaselineOf;
  readonly #onClosed: (closed: readonly ClosedDriftWindow[]) => void;
  readonly #versions = new Map<string, VersionWindow>();
  /** the versions the batch being staged has records for */
  readonly #staged: VersionWindow[] = [];
  #batch: DriftBatch | undefined;
  #plan: Plan[] | undefined;
  // The last version staged: a batch's records are mostly the champion's, so most stage() calls end here.
  #lastStaged: VersionWindow | undefined;

  constructor(
    options: DriftWindowOptions,
    baselineOf: BaselineOf,
    onClosed: (closed: readonly ClosedDriftWindow[]) => void = () => undefined,
  ) {
    this.#options = options;
    this.#baselineOf = baselineOf;
    this.#onClosed = onClosed;
  }

  /** Starts staging a batch; whatever an earlier batch staged and did not commit is dropped. */
  begin(batch: DriftBatch): void {
    for (const window of this.#staged) {
      window.staged.clear();
      window.isStaged = false;
    }
    this.#staged.length = 0;
    this.#batch = batch;
    this.#plan = undefined;
    this.#lastStaged = undefined;
  }

  /** The batch's counts of `version` (add its records to them); `reference` is its artifact's training reference. */
  stage(version: string, reference: ModelReference): DriftCounts {
    const last = this.#lastStaged;
    if (last !== undefined && last.version === version) return last.staged;
    let window = this.#versions.get(version);
    if (window === undefined) {
      window = new VersionWindow(version, this.#baselineOf(version, reference));
      this.#versions.set(version, window);
    }
    if (!window.isStaged) {
      window.isStaged = true;
      this.#staged.push(window);
    }
    this.#lastStaged = window;
    return window.staged;
  }

  /**
   * The windows that close when the staged batch is committed at `now`, with their figures. Computed once per
   * batch: later calls (and `commit()`) use the first answer.
   */
  closing(now: number): readonly ClosedDriftWindow[] {
    return this.#planAt(now).flatMap((plan) => plan.closes);
  }

  /**
   * The staged batch counts: its records join their versions' windows and the windows `closing` named close
   * (`closing(now)` first; without it, at `now`). Returns the closed windows, which are also handed to `onClosed`.
   */
  commit(now: number): readonly ClosedDriftWindow[] {
    const plans = this.#planAt(now);
    const batch = this.#batch as DriftBatch;
    const closed: ClosedDriftWindow[] = [];
    for (const { window, openExpired, closes } of plans) {
      if (openExpired) window.reset();
      if (window.isStaged && window.staged.records > 0) {
        if (window.open.records === 0) {
          window.start = batch.startedAt;
          window.firstOffset = batch.offsets?.first;
        }
        window.open.mergeFrom(window.staged);
        window.lastOffset = batch.offsets?.last;
      }
      // The batch's records closed the window: what it held is in the closed window's own counts.
      if (closes.length > (openExpired ? 1 : 0)) window.reset();
      for (const c of closes) {
        window.lastClosed = c;
        closed.push(c);
      }
    }
    this.begin({ startedAt: now });
    if (closed.length > 0) this.#onClosed(closed);
    return closed;
  }

  /** Closes the windows whose time is up without any new record (the side-port calls it when asked for figures). */
  tick(now: number): readonly ClosedDriftWindow[] {
    this.begin({ startedAt: now });
    return this.commit(now);
  }

  /** The versions seen so far. */
  versions(): IterableIterator<string> {
    return this.#versions.keys();
  }

  /** The open window of `version`, when it has records. */
  open(version: string): OpenDriftWindow | undefined {
    const window = this.#versions.get(version);
    if (window === undefined || window.open.records === 0) return undefined;
    return { version, counts: window.open, start: window.start };
  }

  /** The last window of `version` that closed. */
  lastClosed(version: string): ClosedDriftWindow | undefined {
    return this.#versions.get(version)?.lastClosed;
  }

  #planAt(now: number): Plan[] {
    if (this.#batch === undefined) this.begin({ startedAt: now });
    this.#plan ??= [...this.#versions.values()].map((window) => this.#planOf(window, now));
    return this.#plan;
  }

  #planOf(window: VersionWindow, now: number): Plan {
    const { maxRecords, maxMillis, thresholds } = this.#options;
    const batch = this.#batch as DriftBatch;
    const staged = window.isStaged && window.staged.records > 0 ? window.staged : undefined;
    const closes: ClosedDriftWindow[] = [];
    const close = (counts: DriftCounts, start: number, offsets: OffsetSpan | undefined) => {
      const summary = summarizeDrift(counts, { start, end: now }, thresholds);
      closes.push({ version: window.version, summary, counts, offsets });
    };
    const open = window.open;
    const openExpired = open.records > 0 && now - window.start >= maxMillis;
    if (openExpired) close(window.snapshot(), window.start, window.span());
    if (staged === undefined) return { window, openExpired, closes };

    const joins = open.records > 0 && !openExpired;
    const start = joins ? window.start : batch.startedAt;
    if ((joins ? open.records : 0) + staged.records >= maxRecords || now - start >= maxMillis) {
      const counts = new DriftCounts(window.baseline);
      if (joins) counts.mergeFrom(open);
      counts.mergeFrom(staged);
      const first = joins ? window.firstOffset : batch.offsets?.first;
      const last = batch.offsets?.last;
      close(counts, start, first === undefined || last === undefined ? undefined : { first, last });
    }
    return { window, openExpired, closes };
  }
}

interface Plan {
  readonly window: VersionWindow;
  /** the open window's time was up before the batch: it closes without the batch's records */
  readonly openExpired: boolean;
  readonly closes: readonly ClosedDriftWindow[];
}

class VersionWindow {
  readonly open: DriftCounts;
  readonly staged: DriftCounts;
  isStaged = false;
  start = 0;
  firstOffset: bigint | undefined;
  lastOffset: bigint | undefined;
  lastClosed: ClosedDriftWindow | undefined;

  constructor(
    readonly version: string,
    readonly baseline: DriftBaseline,
  ) {
    this.open = new DriftCounts(baseline);
    this.staged = new DriftCounts(baseline);
  }

  snapshot(): DriftCounts {
    const copy = new DriftCounts(this.baseline);
    copy.mergeFrom(this.open);
    return copy;
  }

  span(): OffsetSpan | undefined {
    const { firstOffset: first, lastOffset: last } = this;
    return first === undefined || last === undefined ? undefined : { first, last };
  }

  reset(): void {
    this.open.clear();
    this.firstOffset = undefined;
    this.lastOffset = undefined;
  }
}
