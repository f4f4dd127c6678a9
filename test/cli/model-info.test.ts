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
    const run = await runCli(['model', 'info'], { env: { PORT: 'eighty' } });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe(
      'churn-scorer: invalid configuration: http.port: env PORT="eighty" is not an integer (config/README.md lists the keys and variables)',
    );
  });
});
