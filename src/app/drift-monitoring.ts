import type { Config } from '../config/config-schema.js';
import { DriftTracker } from '../monitoring/drift-tracker.js';
import { logDriftAlerts } from '../observability/drift-metrics.js';
import type { Logger } from '../observability/logger.js';

/**
 * The process's online drift tracker from `config.monitoring` (undefined when it is off), logging each change of
 * its alerts once (`run`: the worker feeds it; `serve`: the side-port's /predict answers do).
 */
export function driftTrackerOf(config: Pick<Config, 'monitoring'>, logger: Logger): DriftTracker | undefined {
  const { enabled, windowRecords, windowMs, thresholds } = config.monitoring;
  if (!enabled) return undefined;
  return new DriftTracker({
    windowRecords,
    windowMs,
    thresholds,
    onAlerts: logDriftAlerts(logger.child({ component: 'drift' })),
  });
}
