/** `npx tsx bench/profile/main.ts <file.cpuprofile> [top]`: prints the summary of a worker or server profile. */
import { readFileSync } from 'node:fs';
import { summarize, type CpuProfile } from './cpuprofile.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: tsx bench/profile/main.ts <file.cpuprofile> [top]');
  process.exit(1);
}
const summary = summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 25));
console.log(
  `total ${summary.total_ms.toFixed(0)} ms, idle ${summary.idle_ms.toFixed(0)} ms, busy ${summary.busy_ms.toFixed(0)} ms`,
);
for (const a of summary.areas.slice(0, 15)) console.log(`${a.busy_pct.toFixed(1).padStart(5)}%  ${a.area}`);
console.log('');
for (const f of summary.top_functions)
  console.log(`${f.busy_pct.toFixed(1).padStart(5)}%  ${f.function}  ${f.location}  [${f.area}]`);
