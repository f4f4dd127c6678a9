import type { ErrorCode } from '../errors/error-codes.js';
import { ScorerError } from '../errors/scorer-error.js';
import { EXIT_FAILURE } from './exit-codes.js';

/** An error the CLI reports as one line, without a stack trace (bad file paths, bad flags). */
export class CliError extends ScorerError {
  static override readonly code = 'CHURN_ERR_CLI_USAGE';
  override readonly name = 'CliError';
}

const LOCAL_STACK = 'start the local stack with `npm run stack:up`';

/**
 * What the CLI puts around an expected failure's own line: what failed (before it) and what to do (after
 * it). The other codes' messages say both already. docs/errors.md lists every code.
 */
const WORDING: { readonly [C in ErrorCode]?: { readonly what?: string; readonly todo?: string } } = {
  CHURN_ERR_CONFIG: { what: 'invalid configuration: ', todo: ' (config/README.md lists the keys and variables)' },
  CHURN_ERR_MODEL_ARTIFACT: {
    what: 'cannot load model: ',
    todo: '; point MODEL_DIR or --model at a model directory (models/churn/1.0.0; `npm run train` writes one)',
  },
  CHURN_ERR_KAFKA_UNREACHABLE: { todo: `: set KAFKA_BROKERS or ${LOCAL_STACK}` },
  CHURN_ERR_KAFKA_AUTH: {
    todo:
      ': check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD ' +
      '(KAFKA_SASL_MECHANISM=none when the listener does not use SASL)',
  },
  CHURN_ERR_REGISTRY_UNREACHABLE: { todo: `: set SCHEMA_REGISTRY_URL or ${LOCAL_STACK}` },
};

/** How a command that failed ends: one line on stderr, a stack trace only for a bug, an exit code. */
export interface FatalReport {
  /** what is wrong and what to do, on one line (main.ts puts "churn-scorer: " before it) */
  line: string;
  /** the stack trace to print after the line: only for errors that are our bugs */
  stack: string | undefined;
  exitCode: number;
}

/**
 * The report of an error that ended a command (pure). An expected failure (its code says so: configuration,
 * environment, input) is one line from its code's wording; a Node system error (ENOENT on a path the user
 * gave) is its message; anything else is a bug and brings its stack trace.
 */
export function fatalReport(err: unknown): FatalReport {
  if (err instanceof ScorerError && err.expected) {
    const { what = '', todo = '' } = WORDING[err.code] ?? {};
    return { line: `${what}${err.oneLine}${todo}`, stack: undefined, exitCode: err.exitCode };
  }
  if (isSystemError(err)) return { line: err.message, stack: undefined, exitCode: EXIT_FAILURE };
  return {
    line: `unexpected error: ${err instanceof Error ? err.message : String(err)}`,
    stack: err instanceof Error ? err.stack : undefined,
    exitCode: err instanceof ScorerError ? err.exitCode : EXIT_FAILURE,
  };
}

/** An error of a Node system call (its `code` is an errno name such as ENOENT or EACCES). */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return err instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code);
}
