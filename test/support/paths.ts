import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Per-process logs of the workers and CLI runs the tests start (git-ignored with .stack/). */
export const TEST_LOG_DIR = join(REPO_ROOT, '.stack', 'test-logs');
export const PARITY_FILE = join(REPO_ROOT, 'models', 'churn', '1.0.0', 'parity.jsonl');
