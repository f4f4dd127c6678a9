import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import { createLogger, usesPrettyFormat } from '../../../src/observability/logger.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('log format', () => {
  it('is human-readable for a terminal (auto) or when asked for, JSON lines otherwise', () => {
    expect(usesPrettyFormat('auto', true)).toBe(true);
    expect(usesPrettyFormat('auto', false)).toBe(false);
    expect(usesPrettyFormat('pretty', false)).toBe(true);
    expect(usesPrettyFormat('json', true)).toBe(false);
  });

  it('pretty: one readable line per event with the level, the message and the fields, secrets redacted', async () => {
    const out = sink();
    const logger = createLogger({ name: 'churn-scorer', level: 'info', format: 'pretty', destination: out.stream });
    logger.warn({ broker: '127.0.0.1:9092', password: 'hunter2' }, 'Connection error: connect ECONNREFUSED');
    await new Promise((resolve) => setImmediate(resolve));
    const text = out.text();
    expect(text.trim().split('\n')).toHaveLength(1);
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: Connection error: connect ECONNREFUSED /);
    expect(text).toContain('"broker":"127.0.0.1:9092"');
    expect(text).not.toContain('hunter2');
    expect(text).not.toMatch(/^\{/);
  });

  it('json (and auto into a stream that is not a terminal): JSON lines as before', () => {
    for (const format of ['json', 'auto'] as const) {
      const out = sink();
      createLogger({ name: 'churn-scorer', level: 'info', format, destination: out.stream }).info({ n: 1 }, 'hello');
      expect(JSON.parse(out.text())).toMatchObject({ level: 30, name: 'churn-scorer', msg: 'hello', n: 1 });
    }
  });
});

describe('LOG_FORMAT and STARTUP_TIMEOUT_MS', () => {
  it('set log.format and service.startupTimeoutMs; the defaults are auto and 30 s', () => {
    expect(loadConfig({ env: {} })).toMatchObject({ log: { format: 'auto' }, service: { startupTimeoutMs: 30_000 } });
    const config = loadConfig({ env: { LOG_FORMAT: 'json', STARTUP_TIMEOUT_MS: '2000' } });
    expect(config).toMatchObject({ log: { format: 'json' }, service: { startupTimeoutMs: 2_000 } });
  });

  it('reject an unknown format and a budget that is not a positive integer, naming the variable', () => {
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadConfig({ env });
      } catch (err) {
        if (err instanceof ConfigError) return err.problems.map((p) => `${p.key}: ${p.message}`);
        throw err;
      }
      return [];
    };
    expect(problems({ LOG_FORMAT: 'xml' })).toEqual([
      'log.format: must be one of auto, json, pretty, got "xml" (from env LOG_FORMAT="xml")',
    ]);
    expect(problems({ STARTUP_TIMEOUT_MS: '0' })[0]).toMatch(
      /^service\.startupTimeoutMs: .*env STARTUP_TIMEOUT_MS="0"/,
    );
  });
});
