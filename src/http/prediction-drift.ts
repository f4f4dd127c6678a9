import type { CustomerPrediction } from '../model/predict-customer.js';
import type { DriftWindows } from '../monitoring/drift-windows.js';
import type { ServingSet } from '../serving/serving-set.js';

/**
 * The side-port's answers counted in its own drift windows (`serve`, which has no stream): a request is one batch of
 * the windows (its customers count together), so a window closes between requests, never inside one. A scored
 * customer counts with its score under the version that scored it; a refused one (an object whose fields the
 * contract refused) by its usable fields under the version that would have served it, the rest as missing. A body
 * that is no object is not a customer and is not counted, as the stream does not count a record it cannot decode.
 */
export class PredictionDrift {
  constructor(
    private readonly windows: DriftWindows,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a request. */
  begin(): void {
    this.windows.begin({ startedAt: this.now() });
  }

  /** One customer of the request, served (or refused) by `version` of `set`. */
  add(set: ServingSet, version: string, body: unknown, result: CustomerPrediction): void {
    const reference = set.models.get(version)?.model.meta.reference;
    if (reference === undefined) return;
    if (result.ok) {
      this.windows.stage(version, reference).addScored(result.customer, result.churn_probability);
    } else if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      this.windows.stage(version, reference).addRejected(body);
    }
  }

  /** The request is answered: its customers count. */
  commit(): void {
    this.windows.commit(this.now());
  }

  /** A request of one customer. */
  count(set: ServingSet, version: string, body: unknown, result: CustomerPrediction): void {
    this.begin();
    this.add(set, version, body, result);
    this.commit();
  }
}
