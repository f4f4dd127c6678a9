import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// Kafka at a port nobody listens on: every refusal below must come before a connection is tried.
const NO_KAFKA = { KAFKA_BROKERS: '127.0.0.1:1', STARTUP_TIMEOUT_MS: '1000' };

describe('churn-scorer simulate outcomes (without Kafka)', () => {
  it('refuses rates outside [0, 1], a bad seed and an unknown rule, before connecting anywhere', async () => {
    const cases: [string[], RegExp][] = [
      [['--flip', '2'], /--flip <rate>.*must be a number from 0 to 1/],
      [['--seed', '4294967296'], /--seed <n>.*must be an integer from 0 to 4294967295/],
      [['--rule', 'coin'], /--rule <rule>.*Allowed choices are probability, decision/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['simulate', 'outcomes', ...args], { env: NO_KAFKA });
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });

  it('says in one line that --accept-rate needs --offer, and which truth model cannot be loaded', async () => {
    const accept = await runCli(['simulate', 'outcomes', '--accept-rate', '0.3'], { env: NO_KAFKA });
    expect(accept.code).toBe(1);
    expect(accept.stderr.trim()).toBe(
      'churn-scorer: --accept-rate needs --offer: the share of customers who accept which offer?',
    );
    const missing = await runCli(['simulate', 'outcomes', '--truth-model', '/nonexistent/model'], { env: NO_KAFKA });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      'churn-scorer: cannot load the truth model (--truth-model): /nonexistent/model/model.json: model directory ' +
        '/nonexistent/model does not exist or is not a directory',
    );
  });
});
