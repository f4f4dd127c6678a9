/**
 * How a user starts churn-scorer: `bin/churn-scorer`, whose shebang carries V8 flags (see the launcher). The bench
 * starts it as `node <flags> bin/churn-scorer` (to add --cpu-prof and what-if flags), which skips the shebang, so
 * it passes the shebang's flags itself: what is measured is what a user runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './results.js';

export const LAUNCHER = join(REPO_ROOT, 'bin', 'churn-scorer');

/** The node flags on the launcher's shebang line, e.g. ['--max-semi-space-size=8']. */
export function launcherNodeFlags(): string[] {
  const shebang = readFileSync(LAUNCHER, 'utf8').split('\n', 1)[0] ?? '';
  const words = shebang.replace(/^#!/, '').trim().split(/\s+/);
  const node = words.indexOf('node');
  if (node < 0) throw new Error(`${LAUNCHER}: shebang does not run node: ${shebang}`);
  return words.slice(node + 1).filter((w) => w.startsWith('--'));
}
