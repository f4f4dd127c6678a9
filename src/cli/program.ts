import { Command } from 'commander';
import { modelCommand } from './commands/model-info.js';
import { scoreCommand } from './commands/score.js';
import { serveCommand } from './commands/serve.js';
import { demoCommand } from './commands/demo.js';
import { experimentCommand } from './commands/experiment.js';
import { replayCommand } from './commands/replay.js';
import { joinCommand } from './commands/join.js';
import { runCommand } from './commands/run.js';
import { rolloutCommand } from './commands/rollout.js';
import { simulateCommand } from './commands/simulate.js';
import { SCORER_VERSION } from '../stream/scorer-version.js';

/**
 * The churn-scorer command line. Each command lives in its own file under commands/ and is only wired here.
 */
export function buildProgram(): Command {
  const program = new Command('churn-scorer')
    .description(
      'Churn scoring: Kafka stream worker, HTTP side-port, JSON-lines scoring, replay, demo, model inspection',
    )
    // `churn-scorer/0.1.0`: the same stamp dead letters carry (churn.scorer.version)
    .version(SCORER_VERSION, '-V, --version', 'print the version and exit')
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(runCommand());
  program.addCommand(joinCommand());
  program.addCommand(serveCommand());
  program.addCommand(scoreCommand());
  program.addCommand(modelCommand());
  program.addCommand(rolloutCommand());
  program.addCommand(replayCommand());
  program.addCommand(demoCommand());
  program.addCommand(experimentCommand());
  program.addCommand(simulateCommand());
  return program;
}
