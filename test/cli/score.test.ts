import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  independentExplanation,
  modelDir,
  readModelJson,
  readParityCustomers,
  topProblems,
} from '../support/independent-explanation.js';
import { notesExamples, parityRows } from '../unit/http/http-test-support.js';
import { runCli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'churn-score-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const rows = parityRows(4);
const withId = (i: number) => JSON.stringify({ customerid: rows[i]?.customerid, ...rows[i]?.raw });

// Line 2 is not JSON, line 4 has a negative tenure and no gender, line 6 is a JSON array.
const inputLines = [
  withId(0),
  '{"gender": "female", ',
  withId(1),
  JSON.stringify({ ...rows[2]?.raw, customerid: 'BAD-4', tenure: -5, gender: undefined }),
  withId(3),
  '[1, 2, 3]',
];

interface OutputLine {
  customerid?: string;
  churn_probability?: number;
  churn?: boolean;
  model_version?: string;
  warnings?: string[];
  line?: number;
  error?: string;
  fields?: { field: string; message: string }[];
  explanation?: {
    intercept: number;
    logit: number;
    contributions: { feature: string; value: string | number; contribution: number }[];
  };
}

describe('churn-scorer score', () => {
  it('scores good lines in order, puts an error object naming line and field in place of each bad line, exits 2', async () => {
    const input = join(dir, 'mixed.jsonl');
    writeFileSync(input, inputLines.join('\n') + '\n');
    const run = await runCli(['score', '--input', input]);

    expect(run.code).toBe(2);
    const out = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as OutputLine);
    expect(out).toHaveLength(inputLines.length);

    for (const [position, row] of [
      [0, 0],
      [2, 1],
      [4, 3],
    ] as const) {
      const line = out[position];
      expect(line?.customerid).toBe(rows[row]?.customerid);
      expect(Math.abs((line?.churn_probability ?? NaN) - (rows[row]?.churn_probability ?? NaN))).toBeLessThanOrEqual(
        1e-9,
      );
      expect(line?.model_version).toBe('1.0.0');
      expect(line?.error).toBeUndefined();
    }
    expect(out[1]).toMatchObject({ line: 2, error: 'invalid_json', fields: [{ field: '(line)' }] });
    expect(out[3]).toMatchObject({ line: 4, customerid: 'BAD-4', error: 'invalid_customer' });
    expect(out[3]?.fields?.map((f) => f.field).sort()).toEqual(['gender', 'tenure']);
    expect(out[5]).toMatchObject({ line: 6, error: 'invalid_customer', fields: [{ field: '(line)' }] });

    expect(run.stderr).toMatch(/line 2 is not valid JSON/);
    expect(run.stderr).toMatch(/line 4: invalid customer: gender is required; tenure must be an integer >= 0, got -5/);
    expect(run.stderr).toMatch(/3 of 6 lines scored; 3 bad/);
  });

  it('reads stdin and writes stdout by default, exit 0 when every line is good', async () => {
    const examples = notesExamples();
    const run = await runCli(['score'], { stdin: examples.map((e) => JSON.stringify(e.customer)).join('\n') });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const out = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as OutputLine);
    expect(out.map((o) => o.churn)).toEqual(examples.map((e) => e.churn));
    expect(out[1]?.customerid).toBe('8879-zkjof');
    expect(out[0]).not.toHaveProperty('customerid');
  });

  it('writes to --output and applies --strict to unknown categories', async () => {
    const input = join(dir, 'unknown-category.jsonl');
    const output = join(dir, 'out.jsonl');
    writeFileSync(input, JSON.stringify({ ...notesExamples()[0]?.customer, paymentmethod: 'bitcoin' }) + '\n');

    const lenient = await runCli(['score', '--input', input, '--output', output]);
    expect(lenient.code).toBe(0);
    const scored = JSON.parse(readFileSync(output, 'utf8')) as OutputLine;
    expect(scored.warnings?.[0]).toMatch(/^paymentmethod: unknown value 'bitcoin'/);

    const strict = await runCli(['score', '--input', input, '--output', output, '--strict']);
    expect(strict.code).toBe(2);
    expect(JSON.parse(readFileSync(output, 'utf8'))).toMatchObject({ line: 1, fields: [{ field: 'paymentmethod' }] });
  });

  it('--explain adds the exact explanation of the model used to each scored line; bad lines stay error objects', async () => {
    const customers = readParityCustomers('1.1.0').slice(0, 40);
    const json = readModelJson('1.1.0');
    const lines = [...customers.map((c) => JSON.stringify({ customerid: c.customerid, ...c.raw })), '{"tenure": -1}'];
    const run = await runCli(['score', '--explain', '--model', modelDir('1.1.0')], { stdin: lines.join('\n') });
    expect(run.code).toBe(2);
    const out = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as OutputLine);
    expect(out).toHaveLength(lines.length);
    for (const [i, customer] of customers.entries()) {
      const { explanation, model_version, churn_probability } = out[i] as OutputLine;
      expect(model_version).toBe('1.1.0');
      if (explanation === undefined) throw new Error(`line ${i + 1} has no explanation`);
      const oracle = independentExplanation(json, customer.features);
      const sum = explanation.contributions.reduce((s, c) => s + c.contribution, explanation.intercept);
      expect(Math.abs(sum - explanation.logit)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(oracle.logit - explanation.logit)).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(1 / (1 + Math.exp(-explanation.logit)) - (churn_probability ?? NaN))).toBeLessThanOrEqual(1e-12);
      expect(topProblems(explanation.contributions, json, customer.features, 19), customer.customerid).toEqual([]);
    }
    expect(out[customers.length]).toMatchObject({ line: customers.length + 1, error: 'invalid_customer' });
    expect(out[customers.length]).not.toHaveProperty('explanation');

    const plain = await runCli(['score'], { stdin: lines[0] ?? '' });
    expect(JSON.parse(plain.stdout) as object).not.toHaveProperty('explanation');
  });

  it('fails with one line and exit 1 for a missing input file or a bad model directory', async () => {
    const missing = await runCli(['score', '--input', join(dir, 'nope.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^churn-scorer: cannot read --input .*nope\.jsonl: no such file/);

    const badModel = await runCli(['score', '--model', dir], { stdin: '{}' });
    expect(badModel.code).toBe(1);
    expect(badModel.stderr.trim().split('\n')).toHaveLength(1);
    expect(badModel.stderr).toMatch(/^churn-scorer: cannot load model: .*model\.json: file not found/);
  });
});
