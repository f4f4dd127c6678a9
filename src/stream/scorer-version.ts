import { readFileSync } from 'node:fs';
import { REPO_PATHS } from '../config/repo-paths.js';

/**
 * The scorer's own version (package.json), stamped on dead letters so an operator knows
 * which code rejected a record. Read once at start-up.
 */
export const SCORER_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(REPO_PATHS.packageJson, 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? `churn-scorer/${pkg.version}` : 'churn-scorer/unknown';
})();
