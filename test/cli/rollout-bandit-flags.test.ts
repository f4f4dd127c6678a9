import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

/** `rollout set --bandit` refuses bad flags in one coded line, before it contacts Kafka (none is configured here). */
describe('churn-scorer rollout set --bandit: bad flags', () => {
  it.each([
    [
      ['--bandit', '1.0.0'],
      'churn-scorer: invalid rollout: --bandit 1.0.0: must be a list of at least two model versions, got ["1.0.0"]',
    ],
    [
      ['--bandit', '1.0.0,1.1.0', '--floor', '60'],
      'churn-scorer: invalid rollout: --floor: 60% is too high for 2 arms: the floors add up to 120%, more than 100%',
    ],
    [
      ['--bandit', '1.0.0,1.1.0', '--reward', 'clicks'],
      'churn-scorer: invalid rollout: --reward: must be one of "correct-decision", "caught-churner", got "clicks"',
    ],
    [
      ['--bandit', '1.0.0,1.1.0', '--champion', '1.0.0'],
      'churn-scorer: --bandit names every serving version (the first serves as champion): leave out --champion, --canary and --ab',
    ],
    [
      ['--champion', '1.0.0', '--floor', '20'],
      'churn-scorer: --reward, --floor and --ceiling set a bandit: use them with --bandit VERSION,VERSION',
    ],
    [
      [],
      'churn-scorer: rollout set needs --champion VERSION (with --canary, --ab, --shadow) or --bandit VERSION,VERSION',
    ],
  ])('rollout set %j', async (flags, line) => {
    const run = await runCli(['rollout', 'set', ...flags]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe(line);
  });
});
