import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, serve } from './run-cli.js';

// Who can reach `serve`: by default only this machine; with a token file, only holders of the token
// (the probes stay open).

const TOKEN = 'serve-test-0123456789abcdef';
const scratch = mkdtempSync(join(tmpdir(), 'serve-access-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('churn-scorer serve access', () => {
  it('binds 127.0.0.1 when neither --host nor HOST is given', async () => {
    const served = await serve(['--port', '0']);
    try {
      expect((await fetch(`${served.address}/livez`)).status).toBe(200);
    } finally {
      expect(await served.stop()).toBe(0);
    }
    expect(served.output()).toMatch(/"host":"127\.0\.0\.1".*"msg":"listening on/);
    expect(served.output()).not.toContain('reachable from other machines');
  });

  it('binds every interface with HOST=0.0.0.0 and warns when no token guards it', async () => {
    const served = await serve(['--port', '0'], { HOST: '0.0.0.0' });
    expect(await served.stop()).toBe(0);
    expect(served.output()).toMatch(/"host":"0\.0\.0\.0".*"msg":"listening on/);
    expect(served.output()).toMatch(/"level":40.*reachable from other machines and needs no token/);
  });

  it('requires the token from HTTP_AUTH_TOKEN_FILE on /predict but not on the probes, and never logs it', async () => {
    const file = join(scratch, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    const served = await serve(['--port', '0'], { HTTP_AUTH_TOKEN_FILE: file, LOG_LEVEL: 'debug' });
    try {
      const body = JSON.stringify({ tenure: 1 });
      const headers = { 'content-type': 'application/json' };
      const none = await fetch(`${served.address}/predict`, { method: 'POST', headers, body });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      // With the token the request gets through to validation (400 naming the missing fields).
      const withToken = await fetch(`${served.address}/predict`, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${TOKEN}` },
        body,
      });
      expect(withToken.status).toBe(400);
      expect((await fetch(`${served.address}/readyz`)).status).toBe(200);
      expect((await fetch(`${served.address}/metrics`)).status).toBe(401);
    } finally {
      expect(await served.stop()).toBe(0);
    }
    expect(served.output()).toContain('listening on');
    expect(served.output()).not.toContain(TOKEN);
  });

  it('stops with one line when the token file cannot be read', async () => {
    const missing = join(scratch, 'no-such-token');
    const run = await runCli(['serve', '--port', '0'], { env: { HTTP_AUTH_TOKEN_FILE: missing } });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`http.auth.tokenFile: cannot read the bearer token file ${missing} (ENOENT)`);
  });

  it('stops with one line, not showing the token, when the token is given twice', async () => {
    const file = join(scratch, 'token-twice');
    writeFileSync(file, TOKEN);
    const run = await runCli(['serve', '--port', '0'], { env: { HTTP_AUTH_TOKEN: TOKEN, HTTP_AUTH_TOKEN_FILE: file } });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/http\.auth: the bearer token is set twice/);
    expect(run.stderr + run.stdout).not.toContain(TOKEN);
  });
});
