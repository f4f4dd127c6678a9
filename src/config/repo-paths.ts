import { join } from 'node:path';
import { findRepoRoot } from './repo-root.js';

/**
 * Every file the service reads from its own checkout, named in one place. Paths are absolute and the same
 * under tsx, vitest and the compiled dist/ build, whatever the working directory.
 */
export const REPO_ROOT = findRepoRoot();

export const REPO_PATHS = {
  packageJson: join(REPO_ROOT, 'package.json'),
  schemasDir: join(REPO_ROOT, 'schemas'),
  telcoCsv: join(REPO_ROOT, 'data', 'WA_Fn-UseC_-Telco-Customer-Churn.csv'),
  /** one directory per trained version (models/churn/1.0.0, ...): the demo publishes two of them */
  churnModelsDir: join(REPO_ROOT, 'models', 'churn'),
  localStackEnv: join(REPO_ROOT, '.stack', 'env'),
} as const;
