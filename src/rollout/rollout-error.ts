import { ScorerError } from '../errors/scorer-error.js';

export interface RolloutProblem {
  /** The field of the rollout document, e.g. "challengers[1].weight"; "(rollout)" for the whole document. */
  readonly field: string;
  readonly message: string;
}

/** A rollout document that cannot be used; lists every problem found, one per line. */
export class RolloutError extends ScorerError {
  static override readonly code = 'CHURN_ERR_ROLLOUT';
  override readonly name = 'RolloutError';
  readonly problems: readonly RolloutProblem[];

  constructor(problems: readonly RolloutProblem[]) {
    super(`Invalid rollout:\n${problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n')}`);
    this.problems = problems;
  }

  /** Every problem, on one line. */
  override get oneLine(): string {
    return `invalid rollout: ${this.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`;
  }
}
