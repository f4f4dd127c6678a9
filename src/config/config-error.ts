export interface ConfigProblem {
  /** Dotted config key, e.g. "http.port"; "(config)" for whole-file problems. */
  readonly key: string;
  /** Names where the value came from (env var, file) but never echoes a secret. */
  readonly message: string;
}

/** A configuration that cannot be used; lists every problem found, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n')}`);
    this.problems = problems;
  }
}
