import { ScorerError } from '../errors/scorer-error.js';

export interface ConfigProblem {
  /** Dotted config key, e.g. "http.port"; "(config)" for whole-file problems. */
  readonly key: string;
  /** Names where the value came from (env var, file) but never echoes a secret. */
  readonly message: string;
}

/** A configuration that cannot be used; lists every problem found, one per line. */
export class ConfigError extends ScorerError {
  static override readonly code = 'CHURN_ERR_CONFIG';
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n')}`, options);
    this.problems = problems;
  }

  /** Every problem, on one line. */
  override get oneLine(): string {
    return this.problems.map((p) => `${p.key}: ${p.message}`).join('; ');
  }
}
