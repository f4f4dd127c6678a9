import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './run-cli.js';

describe('churn-scorer serve', () => {
  it('logs where it listens, serves predictions, and exits 0 after SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'serve', '--port', '0', '--host', '127.0.0.1'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        const match = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stdout);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited early with ${code}: ${stdout}`)));
    });
    try {
      const ready = await fetch(`${address}/readyz`);
      expect(ready.status).toBe(200);
      const info = (await (await fetch(`${address}/model`)).json()) as { version: string };
      expect(info.version).toBe('1.0.0');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(stdout).toMatch(/"msg":"listening on http:\/\/127\.0\.0\.1:\d+"/);
    expect(stdout).toMatch(/"signal":"SIGTERM".*"msg":"shutting down/);
    expect(stdout).toMatch(/"msg":"closed"/);
  });
});
