import { ScorerError } from '../errors/scorer-error.js';

/** The demo's worker did not get somewhere in time (all predictions in, a rollout in force): one line, no stack. */
export class DemoTimeoutError extends ScorerError {
  static override readonly code = 'CHURN_ERR_DEMO_TIMEOUT';
  override readonly name = 'DemoTimeoutError';
}
