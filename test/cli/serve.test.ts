import { describe, expect, it } from 'vitest';
import { serve } from './run-cli.js';

describe('churn-scorer serve', () => {
  it('logs where it listens, serves predictions, and exits 0 after SIGTERM', async () => {
    const served = await serve(['--port', '0', '--host', '127.0.0.1']);
    let code: number | null;
    try {
      const ready = await fetch(`${served.address}/readyz`);
      expect(ready.status).toBe(200);
      const info = (await (await fetch(`${served.address}/model`)).json()) as {
        version: string;
        rollout_revision: number;
      };
      expect([info.version, info.rollout_revision]).toEqual(['1.0.0', 0]);
      // no stream in `serve`: the rollout in force (the local model as champion) and no comparison
      const experiments = (await (await fetch(`${served.address}/experiments`)).json()) as Record<string, unknown>;
      expect(experiments).toMatchObject({
        revision: 0,
        rollout: { champion: '1.0.0', challengers: [], shadows: [] },
        variants: [],
        shadows: [],
      });
      expect(experiments['note']).toMatch(/comparisons come from the predictions the stream commits/);
    } finally {
      code = await served.stop();
    }
    expect(code).toBe(0);
    expect(served.stdout()).toMatch(/"msg":"listening on http:\/\/127\.0\.0\.1:\d+"/);
    expect(served.stdout()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down/);
    expect(served.stdout()).toMatch(/"msg":"closed"/);
  });
});
