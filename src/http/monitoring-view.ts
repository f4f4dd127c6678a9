import type { ModelReference } from '../model/model-artifact.js';
import type { DriftThresholdsView } from '../monitoring/drift-summary.js';
import type { ClosedVersionDrift, DriftTracker, DriftVersionView } from '../monitoring/drift-tracker.js';
import type { ServingSet, ServingSetSource } from '../serving/serving-set.js';

/**
 * Who counts records in the drift tracker the side-port shows: the stream worker (`run`: its live partitions), or
 * the side-port itself (`serve`, which has no stream: its /predict answers).
 */
export type DriftFeed = 'stream' | 'predictions';

/** The drift source key of the side-port's own /predict answers. */
export const PREDICTIONS_DRIFT_SOURCE = 'side-port';

/** The online drift the side-port is handed (none when monitoring.enabled is false). */
export interface SidePortDrift {
  readonly tracker: DriftTracker;
  readonly feed: DriftFeed;
}

/** GET /monitoring. */
export interface MonitoringView {
  readonly enabled: boolean;
  readonly feed: DriftFeed | null;
  readonly window: { readonly records: number; readonly ms: number } | null;
  readonly thresholds: DriftThresholdsView | null;
  readonly versions: readonly DriftVersionView[];
  readonly note: string | null;
}

/** What GET /monitoring and the drift gauges read: the versions of the rollout in force only. */
export interface MonitoringSource {
  view(): MonitoringView;
  closed(): readonly ClosedVersionDrift[];
}

const NOTES: Record<DriftFeed, string> = {
  stream:
    'The live input partitions this worker owns, merged (replays are not counted). Every worker publishes each ' +
    'closed window of each partition on the drift topic (topics.drift), where readers merge them by adding counts.',
  predictions:
    'This process runs no stream worker: the figures are of the customers this side-port scored or refused ' +
    '(POST /predict and /predict/batch). Nothing is published.',
};

const OFF: MonitoringView = Object.freeze({
  enabled: false,
  feed: null,
  window: null,
  thresholds: null,
  versions: [],
  note: 'Drift monitoring is off (monitoring.enabled / DRIFT_MONITORING=false).',
});

/**
 * The side-port's view of the drift tracker, for the model versions of the rollout in force (a retired version
 * drops out). When the side-port feeds the tracker itself, windows whose time is up close first: without requests
 * nothing else would close them.
 */
export function monitoringSource(
  drift: SidePortDrift | undefined,
  serving: ServingSetSource,
  now: () => number = Date.now,
): MonitoringSource {
  if (drift === undefined) return { view: () => OFF, closed: () => [] };
  const { tracker, feed } = drift;
  const tick = (at: number) => {
    if (feed === 'predictions') tracker.tick(PREDICTIONS_DRIFT_SOURCE, at);
  };
  return {
    view: () => {
      const at = now();
      tick(at);
      const view = tracker.view(at, versionsInForce(serving.current()));
      return { enabled: true, feed, ...view, note: NOTES[feed] };
    },
    closed: () => {
      tick(now());
      const set = serving.current();
      return tracker.closed().filter(({ version }) => set.models.has(version));
    },
  };
}

/** The versions the rollout names (champion, challengers, shadows, in that order) with their references. */
function versionsInForce(set: ServingSet): [string, ModelReference | undefined][] {
  return [...set.models].map(([version, serving]) => [version, serving.model.meta.reference]);
}
