import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../../src/errors/error-codes.js';
import { ScorerError } from '../../../src/errors/scorer-error.js';

/**
 * One error vocabulary, checked: every error class of src/ is a ScorerError with a code of its own, every code
 * has a class, and docs/errors.md lists exactly these codes with the same flags. A new error class, code or
 * doc row that is not added to the other two fails here.
 */

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SRC = join(REPO_ROOT, 'src');
const BASE_FILE = join(SRC, 'errors', 'scorer-error.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

interface DeclaredClass {
  file: string;
  name: string;
  base: string;
}

/** Every `class X extends Y` in src/, from the source text (so an error class nobody imports is found too). */
function declaredSubclasses(): DeclaredClass[] {
  return sourceFiles(SRC).flatMap((file) =>
    [
      ...readFileSync(file, 'utf8').matchAll(/^(?:export )?(?:abstract )?class (?<name>\w+) extends (?<base>\w+)/gm),
    ].map((m) => ({ file, name: m.groups?.['name'] ?? '', base: m.groups?.['base'] ?? '' })),
  );
}

type ErrorClass = (abstract new (...args: never[]) => ScorerError) & { code: ErrorCode };

async function errorClasses(): Promise<{ where: string; cls: ErrorClass }[]> {
  const found: { where: string; cls: ErrorClass }[] = [];
  for (const declared of declaredSubclasses().filter((c) => c.file !== BASE_FILE)) {
    const where = `${relative(REPO_ROOT, declared.file)}: ${declared.name}`;
    const exports = (await import(pathToFileURL(declared.file).href)) as Record<string, unknown>;
    const cls = exports[declared.name];
    expect(cls, `${where} is not exported`).toBeTypeOf('function');
    expect((cls as { prototype: unknown }).prototype, `${where} does not extend ScorerError`).toBeInstanceOf(
      ScorerError,
    );
    found.push({ where, cls: cls as ErrorClass });
  }
  return found;
}

interface DocRow {
  code: string;
  className: string;
  retriable: string;
  exitCode: string;
  reportedAs: string;
}

/** The rows of the code table in docs/errors.md. */
function documentedCodes(): DocRow[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
  return doc
    .split('\n')
    .filter((line) => line.startsWith('| `CHURN_ERR_'))
    .map((line) => {
      const cells = line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^`|`$/g, ''));
      const [code = '', className = '', , retriable = '', exitCode = '', reportedAs = ''] = cells;
      return { code, className, retriable, exitCode, reportedAs };
    });
}

describe('the error vocabulary', () => {
  it('has one base: no class of src/ but ScorerError extends Error itself', () => {
    const direct = declaredSubclasses().filter((c) => c.base === 'Error' && c.file !== BASE_FILE);
    expect(direct.map((c) => `${relative(REPO_ROOT, c.file)}: ${c.name}`)).toEqual([]);
  });

  it('gives every error class a code of its own, and every code a class', async () => {
    const classes = await errorClasses();
    expect(classes.length).toBeGreaterThanOrEqual(20);
    for (const { where, cls } of classes) {
      expect(Object.hasOwn(cls, 'code'), `${where} declares no static code of its own`).toBe(true);
      expect(Object.keys(ERROR_CODES), `${where}: ${cls.code} is not in ERROR_CODES`).toContain(cls.code);
    }
    const codes = classes.map(({ cls }) => cls.code);
    expect(new Set(codes).size, `codes used twice: ${codes.filter((c, i) => codes.indexOf(c) !== i).join(', ')}`).toBe(
      codes.length,
    );
    expect([...codes].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('is documented in docs/errors.md: exactly the codes of the source, with their class, retriable flag, exit code and reporting', async () => {
    const rows = documentedCodes();
    expect(rows.map((r) => r.code).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    const classOf = new Map((await errorClasses()).map(({ cls }) => [cls.code as string, cls.name]));
    for (const row of rows) {
      const traits = ERROR_CODES[row.code as ErrorCode];
      expect({ code: row.code, className: row.className }).toEqual({
        code: row.code,
        className: classOf.get(row.code),
      });
      expect({ code: row.code, retriable: row.retriable.split(' ')[0] }).toEqual({
        code: row.code,
        retriable: traits.retriable ? 'yes' : 'no',
      });
      expect({ code: row.code, exitCode: row.exitCode }).toEqual({ code: row.code, exitCode: String(traits.exitCode) });
      expect({ code: row.code, reportedAs: row.reportedAs }).toEqual({
        code: row.code,
        reportedAs: traits.expected ? 'one line' : 'stack trace',
      });
    }
  });
});
