/** Section 1: runs bench/score.ts (TypeScript scorer vs scikit-learn) as its own process and reads its result file. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runToCompletion } from './lib/children.js';
import { LOGS_DIR, REPO_ROOT } from './lib/results.js';

export interface ScoreResult {
  file: string;
  typescript: Record<'single_validate_score' | 'single_score_only' | 'batch', { scores_per_second: number }>;
  sklearn: {
    single: { scores_per_second: number };
    batch: { scores_per_second: number; batch_size: number };
    versions: Record<string, string>;
  } | null;
  ratios: Record<string, number | null>;
  rows: number;
  parity_max_abs_diff: number;
}

export async function runScoreBench(seconds: number, runId: string): Promise<ScoreResult> {
  const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  const out = await runToCompletion(
    'bench/score.ts',
    tsx,
    [join(REPO_ROOT, 'bench', 'score.ts'), '--seconds', String(seconds)],
    {
      cwd: REPO_ROOT,
      timeoutMs: 300_000,
      logFile: join(LOGS_DIR, `score-${runId}.log`),
    },
  );
  const file = /written (\S+\.json)/.exec(out)?.[1];
  if (!file) throw new Error(`bench/score.ts did not say where it wrote its result:\n${out}`);
  process.stderr.write(out.split('\n').slice(0, 5).join('\n') + '\n');
  return {
    file: file.replace(`${REPO_ROOT}/`, ''),
    ...(JSON.parse(readFileSync(file, 'utf8')) as Omit<ScoreResult, 'file'>),
  };
}
