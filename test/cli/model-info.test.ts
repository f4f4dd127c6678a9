import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('churn-scorer model info', () => {
  it('prints the artifact metadata as JSON', async () => {
    const run = await runCli(['model', 'info']);
    expect(run.code).toBe(0);
    const info = JSON.parse(run.stdout) as Record<string, unknown> & {
      metrics: Record<string, number>;
      features: string[];
    };
    expect(info).toMatchObject({
      name: 'churn',
      version: '1.0.0',
      format: 'churn-scorer.logistic-dv/1',
      threshold: 0.5,
    });
    expect(info.metrics['test_roc_auc']).toBeGreaterThan(0.85);
    expect(info.features).toContain('contract=month-to-month');
    expect(String(info['dir'])).toMatch(/models\/churn\/1\.0\.0$/);
  });

  it('reports a bad configuration value in one line naming the key and the variable, exit 1', async () => {
    const run = await runCli(['model', 'info'], { env: { STRICT_CATEGORIES: 'maybe' } });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe(
      'churn-scorer: invalid configuration: model.strictCategories: env STRICT_CATEGORIES="maybe" is not a boolean ' +
        '(use true/false, 1/0, yes/no, on/off) (config/README.md lists the keys and variables)',
    );
  });

  it('never touches Kafka, so a Kafka, HTTP or topic setting it does not read cannot stop it', async () => {
    const run = await runCli(['model', 'info'], {
      env: { PORT: 'eighty', KAFKA_SASL_MECHANISM: 'plain', TOPIC_PARTITIONS: '0' },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ version: '1.0.0' });
  });
});
