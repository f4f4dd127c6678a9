import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { EXIT_FAILURE } from './exit-codes.js';
import { describeFatalError, isUnexpected } from './fatal-error.js';

/**
 * Entry point (bin/churn-scorer imports the compiled copy). Expected failures (bad config, bad artifact,
 * unreadable file) print one line and exit 1; a stack trace is shown only for errors that are our bugs.
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
    process.stderr.write(`churn-scorer: ${describeFatalError(err)}\n`);
    if (isUnexpected(err) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}

await main(process.argv);
