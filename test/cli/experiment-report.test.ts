import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('churn-scorer experiment report (without Kafka)', () => {
  it('refuses a --revision that is not a revision number, before connecting anywhere', async () => {
    const result = await runCli(['experiment', 'report', '--revision', 'latest']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--revision <n>.*must be a rollout revision \(an integer from 0\)/);
    expect(result.stdout).toBe('');
  });

  it('refuses a --last that is not a positive number of joins, before connecting anywhere', async () => {
    for (const value of ['0', 'all', '-5']) {
      const result = await runCli(['experiment', 'report', '--last', value]);
      expect(result.code, value).toBe(1);
      expect(result.stderr, value).toMatch(/--last <n>.*must be a number of joins \(an integer from 1\)/);
      expect(result.stdout).toBe('');
    }
  });
});
