import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import {
  CONTAINER_NAME,
  ROLES,
  checkManifests,
  isManifest,
  listFiles,
  quantity,
  readEnvFile,
  readYamlDocuments,
  serviceFacts,
  validateSchemas,
  type Manifest,
} from '../../support/deploy-manifests.js';

// The deployment files (deploy/kubernetes, deploy/fly) as they are, without kustomize, against the Dockerfile and
// src/config: if the image's port, user or command, an environment variable, a probe route or the shutdown deadline
// changes, these fail until the manifests follow. scripts/ci/kubernetes-check.sh checks the same rules on
// `kustomize build`'s output of every overlay, with the schemas.

const facts = serviceFacts();
const deployDir = join(facts.repoRoot, 'deploy', 'kubernetes');
const flyFile = join(facts.repoRoot, 'deploy', 'fly', 'fly.toml');

type Tree = Record<string, unknown>;
const isTree = (value: unknown): value is Tree => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every YAML document under deploy/kubernetes with its file (relative to it). */
const documents = listFiles(deployDir)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => readYamlDocuments(join(deployDir, file)).map((doc) => ({ file, doc })));
const kustomizations = documents.filter(({ file }) => basename(file) === 'kustomization.yaml');

function kustomization(dir: string): Tree {
  const found = kustomizations.find(({ file }) => dirname(file) === dir)?.doc;
  if (!isTree(found)) throw new Error(`no kustomization.yaml in deploy/kubernetes/${dir}`);
  return found;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** A configMapGenerator's entries: its envs files, then its literals. */
function generatorEntries(dir: string, generator: Tree): Map<string, string> {
  const entries = new Map<string, string>();
  for (const file of strings(generator['envs'])) {
    for (const [key, value] of readEnvFile(join(deployDir, dir, file))) entries.set(key, value);
  }
  for (const literal of strings(generator['literals'])) {
    const eq = literal.indexOf('=');
    entries.set(literal.slice(0, eq), literal.slice(eq + 1));
  }
  return entries;
}

function generators(dir: string): Tree[] {
  const list = kustomization(dir)['configMapGenerator'];
  return Array.isArray(list) ? list.filter(isTree) : [];
}

/** The base's configuration, with an overlay's configMapGenerator (dir: overlays/NAME) merged over it. */
function configEnv(overlay?: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const dir of overlay === undefined ? ['base'] : ['base', overlay]) {
    for (const generator of generators(dir)) for (const [k, v] of generatorEntries(dir, generator)) env.set(k, v);
  }
  return env;
}

/** The base as kustomize would build it, less the namespace, the name hashes and the image rewrite. */
function baseObjects(): Manifest[] {
  const resources = strings(kustomization('base')['resources']).flatMap((file) =>
    readYamlDocuments(join(deployDir, 'base', file)),
  );
  const configMaps = generators('base').map((generator) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: String(generator['name']) },
    data: Object.fromEntries(generatorEntries('base', generator)),
  }));
  return [...resources, ...configMaps].filter(isManifest);
}

/** Every value under `key` anywhere in a tree, with the object that holds it. */
function findAll(tree: unknown, key: string, found: { holder: Tree; value: unknown }[] = []) {
  if (Array.isArray(tree)) for (const item of tree) findAll(item, key, found);
  else if (isTree(tree)) {
    for (const [k, v] of Object.entries(tree)) {
      if (k === key) found.push({ holder: tree, value: v });
      findAll(v, key, found);
    }
  }
  return found;
}

const manifestDocs = documents.filter(({ file }) => basename(file) !== 'kustomization.yaml');
const everywhere = (key: string) =>
  manifestDocs.flatMap(({ file, doc }) => findAll(doc, key).map((hit) => ({ file, ...hit })));

describe('deploy/kubernetes/base as written', () => {
  const base = baseObjects();

  it('validates against the Kubernetes schemas (kubernetes-models)', () => {
    expect(validateSchemas(base)).toEqual([]);
  });

  it('keeps the rules: the Dockerfile port and user, open probe routes, known variables, grace over the deadline', () => {
    expect(checkManifests(base, facts, { requireNamespace: false })).toEqual([]);
  });

  // Each drift the rules must catch, applied to a copy of the base.
  const container = (objects: Manifest[]): Tree => {
    const deployment = objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: { template: { spec: { containers: Tree[] } } };
    };
    const found = deployment.spec.template.spec.containers.find((c) => c['name'] === CONTAINER_NAME);
    if (found === undefined) throw new Error('no container');
    return found;
  };
  const podSpec = (objects: Manifest[]): Tree =>
    (objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: Tree } } }).spec.template
      .spec;
  const configData = (objects: Manifest[]): Tree =>
    (objects.find((o) => o.kind === 'ConfigMap') as unknown as { data: Tree }).data;
  const probe = (objects: Manifest[], name: string): Tree => (container(objects)[name] as { httpGet: Tree }).httpGet;

  it.each<[string, (objects: Manifest[]) => void, RegExp]>([
    [
      'another container port',
      (o) => ((container(o)['ports'] as Tree[])[0] = { name: 'http', containerPort: 9090 }),
      /container port named http must be 8080/,
    ],
    ['another PORT', (o) => (configData(o)['PORT'] = '9090'), /PORT 9090 is not the image's/],
    [
      'root',
      (o) => ((container(o)['securityContext'] as Tree)['runAsUser'] = 0),
      /runAsUser 0 is not the image's USER/,
    ],
    [
      'runAsNonRoot off',
      (o) => ((container(o)['securityContext'] as Tree)['runAsNonRoot'] = false),
      /runAsNonRoot must be true/,
    ],
    [
      'a writable root file system',
      (o) => ((container(o)['securityContext'] as Tree)['readOnlyRootFilesystem'] = false),
      /readOnlyRootFilesystem/,
    ],
    ['a probe on a guarded route', (o) => (probe(o, 'readinessProbe')['path'] = '/metrics'), /not an open probe route/],
    ['liveness on /readyz', (o) => (probe(o, 'livenessProbe')['path'] = '/readyz'), /livenessProbe must use \/livez/],
    [
      'an unknown variable',
      (o) => (configData(o)['KAFKA_BROKER'] = 'x:9092'),
      /KAFKA_BROKER is not a variable the service reads/,
    ],
    [
      'an unknown env entry',
      (o) => (container(o)['env'] as Tree[]).push({ name: 'NODE_OPTIONS', value: '--inspect' }),
      /NODE_OPTIONS is not a variable/,
    ],
    ['a value the loader refuses', (o) => (configData(o)['TOPIC_PARTITIONS'] = 'six'), /configuration does not load/],
    [
      'a grace period under the deadline',
      (o) => (podSpec(o)['terminationGracePeriodSeconds'] = 30),
      /terminationGracePeriodSeconds 30 must exceed/,
    ],
    [
      'a longer shutdown deadline',
      (o) => (configData(o)['SHUTDOWN_DEADLINE_MS'] = '60000'),
      /must exceed the preStop pause \(5 s\) \+ the SHUTDOWN_DEADLINE_MS \(60 s\)/,
    ],
    ['no bearer token', (o) => delete configData(o)['HTTP_AUTH_TOKEN_FILE'], /without a bearer token/],
    [
      'a token file outside the Secret',
      (o) => (configData(o)['HTTP_AUTH_TOKEN_FILE'] = '/etc/token'),
      /is not in a mounted Secret/,
    ],
    ['another command', (o) => (container(o)['args'] = ['bin/churn-scorer', 'score']), /args must be/],
    [
      'more replicas than partitions',
      (o) => ((o.find((x) => x.kind === 'Deployment') as unknown as { spec: Tree }).spec['replicas'] = 7),
      /7 replicas for 6 partitions/,
    ],
    [
      'load shedding above the memory limit',
      (o) => (configData(o)['HTTP_MAX_RSS_BYTES'] = '600000000'),
      /HTTP_MAX_RSS_BYTES 600000000/,
    ],
    [
      'a DNS peer selecting our own pods',
      (o) => {
        const policy = o.find((x) => x.kind === 'NetworkPolicy') as unknown as { spec: { egress: { to: Tree[] }[] } };
        const to = policy.spec.egress[0]?.to[0];
        if (to !== undefined) to['podSelector'] = { matchLabels: { 'app.kubernetes.io/component': 'worker' } };
      },
      /peer's podSelector carries the policy's own pod labels/,
    ],
  ])('catches %s', (_name, mutate, problem) => {
    const copy = structuredClone(base);
    mutate(copy);
    expect(checkManifests(copy, facts, { requireNamespace: false }).join('\n')).toMatch(problem);
  });
});

describe('every file of deploy/kubernetes', () => {
  it('is used by a kustomization, and each kustomization names files that exist', () => {
    const used = new Set<string>();
    for (const { file, doc } of kustomizations) {
      const dir = dirname(file);
      const tree = isTree(doc) ? doc : {};
      const patches = Array.isArray(tree['patches']) ? tree['patches'].filter(isTree) : [];
      const referenced = [
        ...strings(tree['resources']),
        ...patches.map((p) => p['path']).filter((p): p is string => typeof p === 'string'),
        ...generators(dir).flatMap((g) => strings(g['envs'])),
      ];
      for (const ref of referenced) {
        const path = resolve(deployDir, dir, ref);
        expect(existsSync(path), `${file}: ${ref}`).toBe(true);
        used.add(path);
        if (existsSync(join(path, 'kustomization.yaml'))) used.add(join(path, 'kustomization.yaml'));
      }
    }
    const unused = listFiles(deployDir)
      .filter((file) => basename(file) !== 'kustomization.yaml' && !file.endsWith('.md'))
      .filter((file) => !used.has(join(deployDir, file)));
    expect(unused).toEqual([]);
  });

  it('names only environment variables the service reads (config/README.md)', () => {
    const names = [
      ...everywhere('env').flatMap(({ file, value }) =>
        (Array.isArray(value) ? value.filter(isTree) : []).map((v) => ({ file, name: String(v['name']) })),
      ),
      ...kustomizations.flatMap(({ file }) =>
        generators(dirname(file)).flatMap((g) =>
          [...generatorEntries(dirname(file), g).keys()].map((name) => ({ file, name })),
        ),
      ),
    ];
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter(({ name }) => !facts.envNames.has(name))).toEqual([]);
  });

  it("listens on the Dockerfile's PORT", () => {
    const ports = everywhere('containerPort');
    expect(ports.length).toBeGreaterThan(0);
    for (const { file, value } of ports) expect(value, file).toBe(facts.dockerfile.port);
    for (const overlay of [undefined, 'overlays/keda', 'overlays/serve', 'overlays/join']) {
      expect(configEnv(overlay).get('PORT') ?? facts.dockerfile.env['PORT']).toBe(String(facts.dockerfile.port));
    }
  });

  it("runs as the Dockerfile's USER, never as root", () => {
    const users = everywhere('runAsUser');
    expect(users.length).toBeGreaterThan(0);
    for (const { file, value } of users) expect(value, file).toBe(facts.dockerfile.uid);
    for (const { file, value } of everywhere('runAsNonRoot')) expect(value, file).toBe(true);
  });

  it('probes open routes only (src/http/route-access.ts PROBE_ROUTES)', () => {
    const probes = ['startupProbe', 'readinessProbe', 'livenessProbe'].flatMap((key) => everywhere(key));
    expect(probes.length).toBeGreaterThanOrEqual(3);
    for (const { file, value } of probes) {
      const path = isTree(value) && isTree(value['httpGet']) ? value['httpGet']['path'] : undefined;
      expect(facts.probeRoutes.has(String(path)), `${file}: ${String(path)}`).toBe(true);
    }
  });

  it("runs the Dockerfile's CMD program with one of its commands", () => {
    const args = everywhere('args');
    expect(args.length).toBeGreaterThan(0);
    for (const { file, value } of args) {
      const [program, command] = strings(value);
      expect(program, file).toBe(facts.dockerfile.cmd[0]);
      expect(ROLES as readonly (string | undefined)[], file).toContain(command);
    }
  });

  it('gives every pod a grace period above its preStop pause and shutdown deadline', () => {
    const baseDeployment = baseObjects().find((o) => o.kind === 'Deployment');
    const basePause = findAll(baseDeployment, 'preStop')[0]?.value as { sleep?: { seconds?: number } } | undefined;
    const graces = everywhere('terminationGracePeriodSeconds');
    expect(graces.length).toBeGreaterThan(0);
    for (const { file, holder, value } of graces) {
      const containers = Array.isArray(holder['containers']) ? holder['containers'].filter(isTree) : [];
      const command = strings(containers.find((c) => c['name'] === CONTAINER_NAME)?.['args'])[1] ?? 'run';
      const overlay = file.startsWith('overlays/') ? dirname(file) : undefined;
      const shutdown = Number(
        configEnv(overlay).get('SHUTDOWN_DEADLINE_MS') ?? facts.defaults.stream.shutdownDeadlineMs,
      );
      const deadlineMs = command === 'serve' ? facts.serveCloseDeadlineMs : shutdown;
      const pauseMs = (basePause?.sleep?.seconds ?? 0) * 1000;
      expect(Number(value) * 1000, `${file} (${command})`).toBeGreaterThan(pauseMs + deadlineMs);
    }
  });

  it("scales KEDA's workers up to the partitions the ConfigMap gives TOPIC_PARTITIONS, on the workers' group", () => {
    const scaled = documents.find(({ doc }) => isTree(doc) && doc['kind'] === 'ScaledObject');
    expect(scaled?.file).toBe('overlays/keda/scaledobject.yaml');
    const spec = (scaled?.doc as { spec: { maxReplicaCount: number; minReplicaCount: number; triggers: Tree[] } }).spec;
    const env = configEnv('overlays/keda');
    const partitions = Number(env.get('TOPIC_PARTITIONS') ?? facts.defaults.topics.partitions);
    expect(spec.maxReplicaCount).toBe(partitions);
    expect(spec.minReplicaCount).toBeLessThanOrEqual(partitions);
    const kafka = spec.triggers.find((t) => t['type'] === 'kafka')?.['metadata'] as Record<string, string>;
    expect(kafka['bootstrapServers']).toBe(env.get('KAFKA_BROKERS'));
    expect(kafka['consumerGroup']).toBe(env.get('CONSUMER_GROUP') ?? facts.defaults.stream.groupId);
    expect(kafka['topic']).toBe(env.get('TOPIC_CUSTOMERS') ?? facts.defaults.topics.customers);
  });
});

describe('deploy/fly/fly.toml (`serve` on Fly.io)', () => {
  const fly = parseToml(readFileSync(flyFile, 'utf8')) as {
    kill_signal?: string;
    kill_timeout?: number | string;
    build?: { dockerfile?: string };
    env?: Record<string, string>;
    processes?: Record<string, string>;
    http_service?: { internal_port?: number; processes?: string[]; checks?: { path?: string }[] };
    vm?: { cpus?: number; memory?: string }[];
  };
  const env = fly.env ?? {};

  it("sends requests and health checks to the image's PORT, on open probe routes", () => {
    expect(fly.http_service?.internal_port).toBe(facts.dockerfile.port);
    expect(env['PORT'] ?? facts.dockerfile.env['PORT']).toBe(String(facts.dockerfile.port));
    const checks = fly.http_service?.checks ?? [];
    expect(checks.length).toBeGreaterThan(0);
    for (const check of checks) expect(facts.probeRoutes.has(check.path ?? ''), check.path).toBe(true);
  });

  it("runs `serve` with the Dockerfile's CMD program and builds the repository's Dockerfile", () => {
    const group = fly.http_service?.processes?.[0] ?? 'app';
    expect(fly.processes?.[group]?.split(/\s+/)).toEqual([facts.dockerfile.cmd[0], 'serve']);
    // flyctl resolves build.dockerfile against the directory of the config file.
    expect(resolve(dirname(flyFile), fly.build?.dockerfile ?? 'Dockerfile')).toBe(join(facts.repoRoot, 'Dockerfile'));
  });

  it('stops with SIGTERM and waits longer than serve drains', () => {
    expect(fly.kill_signal).toBe('SIGTERM');
    const timeout = typeof fly.kill_timeout === 'string' ? Number.parseInt(fly.kill_timeout, 10) : fly.kill_timeout;
    expect((timeout ?? 5) * 1000).toBeGreaterThan(facts.serveCloseDeadlineMs);
  });

  it('sets only variables the service reads, which load, with a worker per vCPU and shedding under the memory', () => {
    expect(Object.keys(env).filter((name) => !facts.envNames.has(name))).toEqual([]);
    const config = loadConfig({
      env: { ...facts.dockerfile.env, ...env },
      repoRoot: facts.repoRoot,
      cwd: facts.repoRoot,
    });
    expect(config.http.host).toBe('0.0.0.0');
    const vm = fly.vm?.[0];
    expect(config.http.workers).toBeGreaterThanOrEqual(1);
    expect(config.http.workers).toBeLessThanOrEqual(vm?.cpus ?? 1);
    const memory = quantity(vm?.memory?.replace(/mb$/i, 'Mi').replace(/gb$/i, 'Gi'));
    expect(config.http.pressure.maxRssBytes).toBeGreaterThan(0);
    expect(config.http.pressure.maxRssBytes * (config.http.workers > 1 ? config.http.workers + 1 : 1)).toBeLessThan(
      memory ?? 0,
    );
  });
});
