import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.js';
import { runCli } from './run-cli.js';

describe('bin/churn-scorer (the launcher, run as an executable)', () => {
  it('starts the built CLI with the V8 young-generation cap on its shebang', async () => {
    // A preload that reports the node flags the launcher's shebang gave the process.
    const dir = mkdtempSync(join(tmpdir(), 'launcher-'));
    const probe = join(dir, 'exec-argv.cjs');
    writeFileSync(probe, "process.stderr.write('execArgv=' + JSON.stringify(process.execArgv) + '\\n');\n");
    const run = await runCli(['model', 'info'], {
      via: 'launcher',
      // `env` in the shebang finds node on PATH: the one running the tests
      env: { PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, NODE_OPTIONS: `--require ${probe}` },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ name: 'churn', version: '1.0.0' });
    const execArgv = JSON.parse(/execArgv=(.*)/.exec(run.stderr)?.[1] ?? 'null') as string[] | null;
    expect(execArgv).toContain('--max-semi-space-size=8');
  });

  it('--version prints the package version, the stamp dead letters carry', async () => {
    const run = await runCli(['--version']);
    expect(run.code, run.stderr).toBe(0);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run.stdout.trim()).toBe(`churn-scorer/${pkg.version}`);
  });
});
