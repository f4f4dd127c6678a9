/**
 * `npm run bench:join-state`: the heap one pending prediction costs in the outcome join's state (src/outcomes/
 * join-state.ts: the customer's list, the expiry queue's entry, the prediction itself), so that
 * OUTCOME_MAX_PENDING_PER_PARTITION can be sized from a memory budget. A benchmark, not a test: it prints figures
 * and asserts nothing about them.
 *
 *   npm run bench:join-state [-- --pending 200000]
 *
 * Each mix fills one task's state through committed transactions of 500 predictions, as the join does, with
 * predictions shaped as the stream writes them (UUID event ids, Telco-style customer ids), then reads the heap
 * after a full GC. Runs itself under --expose-gc.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { JoinState } from '../src/outcomes/join-state.js';

const { values } = parseArgs({ options: { pending: { type: 'string', default: '200000' }, mix: { type: 'string' } } });
const pending = Number(values.pending);
if (!Number.isInteger(pending) || pending < 1000) throw new Error(`--pending must be an integer >= 1000`);

interface Mix {
  name: string;
  /** predictions per customer (a customer scored this many times within the window, or by several versions) */
  perCustomer: number;
  versions: readonly { version: string; variant: string }[];
}

const MIXES: readonly Mix[] = [
  { name: 'one prediction per customer', perCustomer: 1, versions: [{ version: '1.0.0', variant: 'champion' }] },
  {
    name: 'champion + shadow per customer',
    perCustomer: 2,
    versions: [
      { version: '1.0.0', variant: 'champion' },
      { version: '1.1.0', variant: 'shadow' },
    ],
  },
  { name: 'four snapshots per customer', perCustomer: 4, versions: [{ version: '1.0.0', variant: 'champion' }] },
];

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

function heapAfterGc(collect: () => void): number {
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

function fill(mix: Mix, count: number): JoinState {
  const state = new JoinState(30 * 86_400_000);
  let time = Date.UTC(2026, 10, 1);
  let made = 0;
  while (made < count) {
    const staged = state.begin(time);
    for (let i = 0; i < 500 && made < count; i++, made++) {
      const customer = Math.floor(made / mix.perCustomer);
      const { version, variant } = mix.versions[made % mix.versions.length] as Mix['versions'][number];
      staged.applyPrediction(`${String(customer).padStart(4, '0')}-${(customer * 7919).toString(36).toUpperCase()}`, {
        event_id: randomUUID(),
        model_version: version,
        variant,
        rollout_revision: 3,
        churn_probability: Math.random(),
        predicted_churn: false,
        assignment_probability: 1,
        prediction_time: time++,
      });
    }
    staged.commit();
  }
  return state;
}

/** One mix, measured in a process of its own so that nothing of another mix is on the heap. */
function measure(mix: Mix): void {
  const before = heapAfterGc(gc as () => void);
  const state = fill(mix, pending);
  const after = heapAfterGc(gc as () => void);
  const bytes = after - before;
  console.log(
    `| ${mix.name} | ${state.pendingCount.toLocaleString('en-US')} | ${state.customerCount.toLocaleString('en-US')} | ` +
      `${(bytes / 1e6).toFixed(1)} | ${Math.round(bytes / state.pendingCount)} |`,
  );
}

if (values.mix !== undefined) {
  measure(MIXES[Number(values.mix)] as Mix);
} else {
  console.log(
    `join state: heap per pending prediction, ${pending.toLocaleString('en-US')} pending, node ${process.version}`,
  );
  console.log('| mix | pending | customers | heap MB | bytes per pending |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  MIXES.forEach((_, i) => {
    const args = [...process.execArgv, process.argv[1] as string, '--pending', String(pending), '--mix', String(i)];
    const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (child.status !== 0) process.exit(child.status ?? 1);
  });
}
