import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export interface ScorerErrorOptions {
  cause?: unknown;
  /** for errors whose retriability depends on the instance (a registry answer's status); default: the code's */
  retriable?: boolean;
}

/**
 * The base of every error churn-scorer throws: a stable `code` (./error-codes.ts) that says whether the
 * failure may pass on retry, whether it is the operator's to fix (one line, no stack trace) or a bug, and
 * the exit code it ends the process with. The CLI, logs and kafkajs read these, never the class.
 *
 * Each subclass names its code once, as `static override readonly code`, like @platformatic/kafka's errors;
 * the constructor reads it from `new.target`, so subclasses keep their own constructors.
 */
export abstract class ScorerError extends Error {
  declare static readonly code: ErrorCode;
  readonly code: ErrorCode;
  /** Own property, as kafkajs reads it from what a batch handler throws (retry, or crash the consumer). */
  readonly retriable: boolean;

  constructor(message: string, options?: ScorerErrorOptions) {
    super(message, options);
    this.code = new.target.code;
    this.retriable = options?.retriable ?? ERROR_CODES[this.code].retriable;
  }

  /** The operator's to fix (environment, input): one line, no stack trace. False: a bug. */
  get expected(): boolean {
    return ERROR_CODES[this.code].expected;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exitCode;
  }

  /** The failure on one line (a message may list problems on several). */
  get oneLine(): string {
    return this.message.replace(/\s*\n\s*/g, '; ');
  }
}
