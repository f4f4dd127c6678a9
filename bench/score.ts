/**
 * `npm run bench:score`: scores/second of the TypeScript scorer next to scikit-learn's predict_proba on the
 * same rows (models/churn/1.0.0/parity.jsonl), in the same run. A benchmark, not a test: it prints numbers
 * and writes bench/results/score-<timestamp>.json; it asserts nothing about speed.
 *
 *   npm run bench:score [-- --seconds 3] [-- --skip-python]
 *
 * TypeScript modes (each cycles over the rows until --seconds have passed):
 *   single, validate + score: validateCustomer(raw row) then model.score, one record at a time (what /predict
 *                             and the stream do per record, minus I/O)
 *   single, score only:       model.score(customer) on already-validated customers
 *   batch:                    model.scoreInto(all rows, out) per call
 * scikit-learn modes come from bench/python/score_bench.py (run through the project's uv):
 *   single: pipeline.predict_proba([customer])[0, 1] per record, as the notes' service calls it
 *   batch:  pipeline.predict_proba(customers)[:, 1] on all rows per call
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findRepoRoot } from '../src/config/index.js';
import { createValidationRules, validateCustomer, type Customer } from '../src/contract/customer.js';
import { loadModel } from '../src/model/index.js';

const REPO_ROOT = findRepoRoot();
const MODEL_DIR = join(REPO_ROOT, 'models', 'churn', '1.0.0');
const PYTHON_TIMEOUT_MS = 120_000;

interface ModeResult {
  scores: number;
  seconds: number;
  scores_per_second: number;
  checksum: number;
}

interface PythonResult {
  versions: Record<string, string>;
  parity: { checked: number; max_abs_diff: number } | null;
  single: { scores_per_second: number; scores: number; seconds: number };
  batch: { scores_per_second: number; scores: number; seconds: number; batch_size: number };
}

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    'skip-python': { type: 'boolean', default: false },
  },
});
const secondsPerMode = Number(flags.seconds);
if (!Number.isFinite(secondsPerMode) || secondsPerMode <= 0 || secondsPerMode > 20) {
  console.error('bench:score: --seconds must be a number in (0, 20]');
  process.exit(1);
}

/** Runs `pass` (one pass over the rows, returning a checksum) until the time budget is spent. */
function timed(rowsPerPass: number, pass: () => number): ModeResult {
  pass(); // warm-up: let the JIT compile the hot path before timing
  pass();
  const budgetNs = BigInt(Math.round(secondsPerMode * 1e9));
  let checksum = 0;
  let passes = 0;
  const start = process.hrtime.bigint();
  let elapsed: bigint;
  do {
    checksum += pass();
    passes++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budgetNs);
  const seconds = Number(elapsed) / 1e9;
  const scores = passes * rowsPerPass;
  return { scores, seconds, scores_per_second: scores / seconds, checksum };
}

interface ParityRecord {
  raw: Record<string, unknown>;
  churn_probability: number;
}

function readParityRows(): ParityRecord[] {
  return readFileSync(join(MODEL_DIR, 'parity.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ParityRecord);
}

function runPython(): Promise<PythonResult> {
  // --repeat is set out of reach so --seconds bounds both sklearn modes, as it does the TypeScript ones.
  const args = [
    'scripts/uv.sh',
    'run',
    '--frozen',
    '--project',
    'training',
    'python',
    'bench/python/score_bench.py',
    '--seconds',
    String(secondsPerMode),
    '--repeat',
    '100000',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGTERM'), PYTHON_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`score_bench.py exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as PythonResult);
      } catch (err) {
        reject(new Error(`score_bench.py printed no JSON: ${(err as Error).message}`));
      }
    });
  });
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number | undefined) => (b === undefined ? 'n/a' : `${(a / b).toFixed(1)}x`);

async function main(): Promise<number> {
  const model = await loadModel(MODEL_DIR);
  const rules = createValidationRules({ categories: model.meta.categories, strictCategories: false });
  const rows = readParityRows();
  const raws = rows.map((r) => r.raw);
  const customers: Customer[] = raws.map((raw, i) => {
    const result = validateCustomer(raw, rules);
    if (!result.ok) throw new Error(`parity row ${i + 1} is invalid: ${JSON.stringify(result.errors)}`);
    return result.customer;
  });
  let maxAbsDiff = 0;
  customers.forEach((c, i) => {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(model.score(c) - (rows[i]?.churn_probability ?? NaN)));
  });
  const out = new Float64Array(customers.length);
  const n = rows.length;

  console.error(
    `bench:score: ${n} rows, ${secondsPerMode}s per mode; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  // One side at a time, so sklearn and the TypeScript modes never compete for the same cores.
  const python = flags['skip-python']
    ? undefined
    : await runPython().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));

  const ts = {
    single_validate_score: timed(n, () => {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const result = validateCustomer(raws[i], rules);
        if (result.ok) sum += model.score(result.customer);
      }
      return sum;
    }),
    single_score_only: timed(n, () => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += model.score(customers[i] as Customer);
      return sum;
    }),
    batch: timed(n, () => {
      model.scoreInto(customers, out);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += out[i] as number;
      return sum;
    }),
  };

  const py = python instanceof Error ? undefined : python;
  const table = [
    ['single record, validate + score', ts.single_validate_score.scores_per_second, py?.single.scores_per_second],
    ['single record, score only', ts.single_score_only.scores_per_second, py?.single.scores_per_second],
    [`batch of ${n}`, ts.batch.scores_per_second, py?.batch.scores_per_second],
  ] as const;
  const header = ['mode', 'TypeScript scores/s', 'scikit-learn scores/s', 'TS / sklearn'];
  const lines = table.map(([mode, t, p]) => [mode, fmt(t), p === undefined ? 'n/a' : fmt(p), ratio(t, p)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const render = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('   ');
  console.log(render(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('   '));
  for (const l of lines) console.log(render(l));
  console.log(
    `\nsklearn single = pipeline.predict_proba([customer])[0, 1] per record (the notes' service); ` +
      `sklearn batch = predict_proba on all ${n} rows per call.`,
  );
  console.log(
    `parity: TypeScript max |p - sklearn| over ${n} rows = ${maxAbsDiff.toExponential(2)}` +
      (py?.parity ? `; sklearn re-check max diff = ${py.parity.max_abs_diff}` : ''),
  );
  if (python instanceof Error) console.log(`scikit-learn side unavailable: ${python.message}`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `score-${stamp}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        benchmark: 'score',
        created_at: new Date().toISOString(),
        commit: gitCommit(),
        machine: {
          platform: platform(),
          release: release(),
          cpu: cpus()[0]?.model ?? 'unknown',
          cores: cpus().length,
          loadavg: loadavg(),
        },
        node: process.version,
        model: { dir: MODEL_DIR, name: model.meta.name, version: model.meta.version },
        rows: n,
        seconds_per_mode: secondsPerMode,
        parity_max_abs_diff: maxAbsDiff,
        typescript: ts,
        sklearn: py ?? null,
        sklearn_error: python instanceof Error ? python.message : null,
        ratios: Object.fromEntries(table.map(([mode, t, p]) => [mode, p === undefined ? null : t / p])),
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nwritten ${file}`);
  return python instanceof Error ? 1 : 0;
}

process.exitCode = await main();
