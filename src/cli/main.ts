import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { EXIT_FAILURE } from './exit-codes.js';
import { fatalReport } from './fatal-error.js';
import { dropKafkajsNegativeTimeoutWarning } from '../kafka/negative-timeout-warning.js';

const FATAL_EXIT_GRACE_MS = 1_000;

/**
 * Entry point (bin/churn-scorer imports the compiled copy). A failure prints one line and exits with its
 * error code's exit code (docs/errors.md); a stack trace is shown only for errors that are our bugs.
 */
async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed the message (or the help / version text).
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_FAILURE;
      return;
    }
    const report = fatalReport(err);
    process.stderr.write(`churn-scorer: ${report.line}\n`);
    if (report.stack !== undefined) process.stderr.write(`${report.stack}\n`);
    process.exitCode = report.exitCode;
    // A start-up that gave up can leave a client's retry timer or socket behind (kafkajs after the
    // start-up deadline); it must not keep a failed process alive. unref: a clean exit is not delayed.
    setTimeout(() => process.exit(), FATAL_EXIT_GRACE_MS).unref();
  }
}

dropKafkajsNegativeTimeoutWarning();
await main(process.argv);
