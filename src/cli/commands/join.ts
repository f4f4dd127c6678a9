import { Command } from 'commander';
import { listenConfig, withListenOptions, type ListenFlags } from '../options.js';
import { runFromConfig } from './run.js';

/**
 * `join`: the outcome join as a process of its own (with its realized performance, bandit steps and side-port),
 * for a deployment that keeps it off the scorers' cores: the scorers run `run` with OUTCOME_JOIN=false. Same
 * configuration as `run`; the join is on whatever OUTCOME_JOIN says (a shared configuration turns it off for
 * the scorers), and nothing is scored.
 */
export function joinCommand(): Command {
  return withListenOptions(
    new Command('join').description(
      'Run the outcome join alone (outcomes -> predictions.outcomes, exactly-once) with the HTTP side-port; no scoring',
    ),
  ).action(async (flags: ListenFlags) => {
    const config = listenConfig(flags);
    await runFromConfig({ ...config, outcomes: { ...config.outcomes, join: true } }, { scoring: false });
  });
}
