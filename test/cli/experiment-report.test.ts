import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('churn-scorer experiment report (without Kafka)', () => {
  it('refuses a --revision that is not a revision number, before connecting anywhere', async () => {
    const result = await runCli(['experiment', 'report', '--revision', 'latest']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--revision <n>.*must be a rollout revision \(an integer from 0\)/);
    expect(result.stdout).toBe('');
  });
});
