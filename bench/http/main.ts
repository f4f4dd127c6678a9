/** `npm run bench:http [-- --quick]`: section 2 on its own. */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { stopAll } from '../lib/children.js';
import { writeResult } from '../lib/results.js';
import { httpTable, runHttpBench } from './http-bench.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, seconds: { type: 'string' } } });
const quick = values.quick;
const stamp = { id: new Date().toISOString().replace(/[:.]/g, '-'), quick };
try {
  const result = await runHttpBench({
    connections: [1, 8, 32, 128],
    seconds: Number(values.seconds ?? (quick ? 3 : 10)),
    warmupSeconds: quick ? 1 : 2,
    runId: stamp.id,
    pinned: { connections: 32, workers: [1, Math.max(2, availableParallelism())] },
  });
  console.log(httpTable(result));
  console.log(`written ${writeResult(stamp, 'http', { result })}`);
} finally {
  await stopAll();
}
