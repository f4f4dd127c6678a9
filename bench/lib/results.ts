/** Where results go and what every result file records about the machine it ran on. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot } from '../../src/config/index.js';

export const REPO_ROOT = findRepoRoot();
export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');
export const LOGS_DIR = join(RESULTS_DIR, 'logs');

export function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

export function machine() {
  return {
    platform: platform(),
    release: release(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

export function loadAverage(): number[] {
  return loadavg().map((l) => Number(l.toFixed(2)));
}

function packageVersion(name: string, root = REPO_ROOT): string {
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

function stackVersions(): Record<string, string> {
  try {
    const lib = readFileSync(join(REPO_ROOT, 'scripts', 'stack', 'lib.sh'), 'utf8');
    const pick = (name: string) => new RegExp(`${name}="\\$\\{[A-Z_]+:-([^}]+)\\}"`).exec(lib)?.[1] ?? 'unknown';
    return { kafka: pick('KAFKA_VERSION'), apicurio: pick('APICURIO_VERSION') };
  } catch {
    return {};
  }
}

export function versions() {
  // `java -version` writes to stderr
  const javaOut = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const java = (javaOut.stderr || javaOut.stdout || 'unknown').split('\n')[0]?.trim() ?? 'unknown';
  return {
    node: process.version,
    kafkajs: packageVersion('kafkajs'),
    fastify: packageVersion('fastify'),
    avsc: packageVersion('avsc'),
    autocannon: packageVersion('autocannon'),
    // the 'clients' section's alternative client (bench/clients), 'unknown' until scripts/bench/kafka-clients.sh ran
    '@confluentinc/kafka-javascript': packageVersion(
      '@confluentinc/kafka-javascript',
      join(REPO_ROOT, 'bench', 'clients'),
    ),
    ...stackVersions(),
    java,
  };
}

export interface RunStamp {
  id: string;
  quick: boolean;
}

/** Writes bench/results/<name>-<stamp>.json with the run's context; returns the path. */
export function writeResult(stamp: RunStamp, name: string, body: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}-${stamp.id}.json`);
  const doc = {
    benchmark: name,
    run: stamp.id,
    quick: stamp.quick,
    created_at: new Date().toISOString(),
    commit: gitCommit(),
    machine: machine(),
    ...body,
  };
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return file;
}
