import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';
import { ENV_VARS, findRepoRoot } from '../../../src/config/index.js';
import { REJECTION_KINDS } from '../../../src/stream/rejection.js';
import { buildTestServer } from '../http/http-test-support.js';

/*
 * The docs a user reads agree with the code, both ways: every flag, route, dead-letter reason and upper-case name
 * they mention exists, and every flag, route and dead-letter reason the code has is mentioned. (config/README.md's
 * table of environment variables is held to the schema by test/unit/config/env-vars.test.ts.)
 */

const ROOT = findRepoRoot();
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The text of README.md under a heading, up to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 1;
  const rest = readme.slice(start + heading.length + 2);
  const next = new RegExp(`\\n#{1,${level}} `).exec(rest);
  return next === null ? rest : rest.slice(0, next.index);
}

/** Every command path of the CLI ('run', 'model info', ...) with its long options (--help aside). */
function commandOptions(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const walk = (command: Command, path: string[]) => {
    if (command.commands.length === 0) {
      out.set(path.join(' '), new Set(command.options.map((o) => o.long).filter((f): f is string => f !== undefined)));
    }
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  for (const command of buildProgram().commands) walk(command, [command.name()]);
  return out;
}

/** The README's CLI synopsis: each command path with the flags its lines show. */
function documentedOptions(commands: ReadonlySet<string>): Map<string, Set<string>> {
  const synopsis = section('## CLI').replace(/^\n+/, '').split('\n\n')[0] ?? '';
  const out = new Map<string, Set<string>>();
  let current: string | undefined;
  for (const raw of synopsis.split('\n')) {
    const line = raw.replace(/#.*$/, '');
    const command = /^ {4}bin\/churn-scorer (.*)$/.exec(line);
    // `a | b | c` on one line are several commands (`model info ... | model publish DIR`); an indented
    // continuation line adds to the command before it
    const parts = command === null ? [line] : (command[1] ?? '').split(' | ');
    for (const part of parts) {
      const words = part.trim().split(/\s+/);
      const path = [words.slice(0, 2).join(' '), words[0] ?? ''].find((p) => commands.has(p));
      if (path !== undefined) current = path;
      else if (command !== null && parts.length > 1 && current?.includes(' ') === true) {
        // `rollout set ... | show | promote V`: a bare subcommand of the same parent
        const sibling = `${current.split(' ')[0] ?? ''} ${words[0] ?? ''}`;
        if (commands.has(sibling)) current = sibling;
      }
      if (current === undefined) continue;
      const flags = out.get(current) ?? new Set<string>();
      out.set(current, flags);
      for (const flag of part.matchAll(/--[a-z][a-z-]*/g)) flags.add(flag[0]);
    }
  }
  return out;
}

describe('the docs agree with the code', () => {
  it("README's CLI synopsis shows every command with exactly the flags it takes", () => {
    const actual = commandOptions();
    const documented = documentedOptions(new Set(actual.keys()));
    expect([...documented.keys()].sort()).toEqual([...actual.keys()].sort());
    for (const [path, flags] of actual) {
      expect([...(documented.get(path) ?? [])].sort(), `bin/churn-scorer ${path}`).toEqual([...flags].sort());
    }
  });

  it("README's routes are the side-port's routes, and the reverse", async () => {
    const { app } = await buildTestServer();
    try {
      const routesText = /Routes: ([\s\S]*?)\n\n/.exec(section('## HTTP side-port'))?.[1] ?? '';
      const documented = new Set([...routesText.matchAll(/`(GET|POST) (\/[^\s`]*)`/g)].map((m) => `${m[1]} ${m[2]}`));
      expect(documented.size).toBeGreaterThan(10);
      for (const route of documented) {
        const [method, url] = route.split(' ') as ['GET' | 'POST', string];
        expect(app.hasRoute({ method, url }), `${route} is documented but not served`).toBe(true);
      }
      const doc = (await app.inject({ url: '/openapi.json' })).json<{
        paths: Record<string, Record<string, unknown>>;
      }>();
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const method of Object.keys(methods)) {
          const route = `${method.toUpperCase()} ${path}`;
          expect(documented.has(route), `${route} is served but README does not list it`).toBe(true);
        }
      }
    } finally {
      await app.close();
    }
  });

  it("README's dead-letter table lists exactly the reasons a dead letter can carry", () => {
    const table = section('### Dead letters')
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([a-z-]+)`/g)].map((m) => m[1] ?? ''));
    expect([...table].sort()).toEqual([...REJECTION_KINDS].sort());
  });

  it('every upper-case name the docs put in backticks (variables, error codes, constants) exists in the code', () => {
    const docs = [
      'README.md',
      'config/README.md',
      ...readdirSync(join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
      ...readdirSync(join(ROOT, 'src'))
        .map((d) => `src/${d}/README.md`)
        .filter((f) => isFile(join(ROOT, f))),
    ];
    const code = codeText();
    const envNames = new Set(ENV_VARS.map((v) => v.name));
    const missing = new Set<string>();
    for (const file of docs) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const match of text.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`/g)) {
        const name = match[1] ?? '';
        if (!envNames.has(name) && !code.includes(name)) missing.add(`${file}: ${name}`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The text of every source, script and config file a documented name could live in (not the docs themselves). */
function codeText(): string {
  const parts: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'results') continue;
        walk(path);
      } else if (/\.(ts|mjs|js|cjs|sh|py|json|ya?ml|toml)$/.test(entry.name) || entry.name === 'run') {
        parts.push(readFileSync(path, 'utf8'));
      }
    }
  };
  for (const dir of ['src', 'scripts', 'docker', 'bench', 'test', 'training', '.ci', 'deploy']) {
    try {
      if (statSync(join(ROOT, dir)).isDirectory()) walk(join(ROOT, dir));
    } catch {
      // not there (deploy/ before issue 16)
    }
  }
  for (const file of ['Dockerfile', 'docker-compose.yml', 'package.json']) {
    parts.push(readFileSync(join(ROOT, file), 'utf8'));
  }
  return parts.join('\n');
}
