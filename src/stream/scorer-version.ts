import { readFileSync } from 'node:fs';

/**
 * The scorer's own version (package.json), stamped on dead letters so an operator knows
 * which code rejected a record. Read once at start-up; src/ and dist/ are both one level
 * below the folder holding package.json's parent.
 */
export const SCORER_VERSION: string = (() => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? `churn-scorer/${pkg.version}` : 'churn-scorer/unknown';
})();
