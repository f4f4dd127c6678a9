/**
 * The deployment files (deploy/kubernetes, deploy/fly) held to what the service is: the Dockerfile (port, user,
 * command, environment), src/config (every environment variable the service reads, its defaults and its loader)
 * and the side-port's open routes (src/http/route-access.ts PROBE_ROUTES).
 *
 * Two users: test/unit/deploy/manifests.test.ts on the files as they are (no kustomize), and
 * test/support/validate-kubernetes.ts (run by scripts/ci/kubernetes-check.sh) on `kustomize build`'s output, where
 * the overlays' patches are applied. Schema validation is kubernetes-models' and @kubernetes-models/keda's (their
 * classes' validate()); the rules below are this project's, not a schema.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as kedaModels from '@kubernetes-models/keda';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as kubernetesModels from 'kubernetes-models';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Service, type IContainer, type IPodSpec, type IProbe } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import {
  CONFIG_FILE_ENV,
  ConfigError,
  ENV_VARS,
  findRepoRoot,
  loadConfig,
  type Config,
} from '../../src/config/index.js';
import { PROBE_ROUTES } from '../../src/http/route-access.js';

/** The image's users by name: `node` is the official Node.js images' built-in user. */
const IMAGE_USERS: Readonly<Record<string, number>> = { node: 1000 };
/** The commands a manifest may run (bin/churn-scorer): the stream worker, the HTTP service, the outcome join. */
export const ROLES = ['run', 'serve', 'join'] as const;
export type Role = (typeof ROLES)[number];
/** The container the manifests run the service in. */
export const CONTAINER_NAME = 'churn-scorer';
/** A stand-in for the bearer token a mounted Secret holds (the check never reads the real one). */
const PLACEHOLDER_TOKEN = 'manifest-check-placeholder-token-0000';
/** A stand-in for a value that comes from a Secret. */
const PLACEHOLDER_SECRET = 'from-a-secret';
/** KAFKA_SASL_MECHANISM -> the `sasl` value of KEDA's Kafka scaler. */
const KEDA_SASL: Readonly<Record<string, string>> = {
  plain: 'plaintext',
  'scram-sha-256': 'scram_sha256',
  'scram-sha-512': 'scram_sha512',
};

export interface DockerfileFacts {
  /** ENV of the runtime stage (the last FROM). */
  readonly env: Readonly<Record<string, string>>;
  readonly port: number;
  readonly exposed: readonly number[];
  readonly user: string;
  readonly uid: number;
  /** CMD, exec form. */
  readonly cmd: readonly string[];
  readonly healthcheckPath: string | undefined;
}

export interface ServiceFacts {
  readonly repoRoot: string;
  readonly dockerfile: DockerfileFacts;
  /** Every environment variable the service reads (config/README.md's table). */
  readonly envNames: ReadonlySet<string>;
  readonly probeRoutes: ReadonlySet<string>;
  /** `serve`'s own drain deadline after SIGTERM (CLOSE_DEADLINE_MS in src/cli/commands/serve.ts). */
  readonly serveCloseDeadlineMs: number;
  /** The configuration with no environment at all: the defaults. */
  readonly defaults: Config;
}

/** A parsed manifest: at least apiVersion and kind. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly [field: string]: unknown;
}

function dockerInstructions(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function envPairs(args: string): [string, string][] {
  const pairs = [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)].map(
    ([, key = '', value = '']): [string, string] => [key, value.startsWith('"') ? value.slice(1, -1) : value],
  );
  if (pairs.length > 0) return pairs;
  const legacy = /^(\S+)\s+(.*)$/.exec(args); // ENV KEY value
  return legacy === null ? [] : [[legacy[1] ?? '', legacy[2] ?? '']];
}

/** What the runtime stage of the Dockerfile says: environment, port, user, command, health check. */
export function readDockerfile(repoRoot: string): DockerfileFacts {
  const instructions = dockerInstructions(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  const lastFrom = instructions.findLastIndex((line) => /^FROM\s/i.test(line));
  const stage = instructions.slice(lastFrom + 1);
  const env: Record<string, string> = {};
  const exposed: number[] = [];
  let user: string | undefined;
  let cmd: string[] | undefined;
  let healthcheckPath: string | undefined;
  for (const line of stage) {
    const [, keyword = '', args = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    switch (keyword.toUpperCase()) {
      case 'ENV':
        for (const [key, value] of envPairs(args)) env[key] = value;
        break;
      case 'EXPOSE':
        exposed.push(...args.split(/\s+/).map((port) => Number.parseInt(port, 10)));
        break;
      case 'USER':
        user = args.split(':')[0];
        break;
      case 'CMD':
        if (!args.startsWith('[')) throw new Error(`Dockerfile: CMD must be in exec form (a JSON array): ${args}`);
        cmd = JSON.parse(args) as string[];
        break;
      case 'HEALTHCHECK':
        healthcheckPath = /https?:\/\/[^/'"\s]+(\/[^'"\s)]*)/.exec(args)?.[1];
        break;
      default:
        break;
    }
  }
  if (user === undefined || cmd === undefined) throw new Error('Dockerfile: the runtime stage needs USER and CMD');
  const uid = /^\d+$/.test(user) ? Number(user) : IMAGE_USERS[user];
  if (uid === undefined) throw new Error(`Dockerfile: USER ${user}: unknown uid (add it to IMAGE_USERS)`);
  const port = Number(env['PORT']);
  if (!Number.isInteger(port)) throw new Error('Dockerfile: the runtime stage sets no ENV PORT');
  return { env, port, exposed, user, uid, cmd, healthcheckPath };
}

/** Everything the checks compare the deployment files with, read from the repository. */
export function serviceFacts(repoRoot = findRepoRoot()): ServiceFacts {
  const serveSource = readFileSync(join(repoRoot, 'src', 'cli', 'commands', 'serve.ts'), 'utf8');
  const closeDeadline = /const CLOSE_DEADLINE_MS = ([\d_]+);/.exec(serveSource)?.[1];
  if (closeDeadline === undefined) throw new Error('src/cli/commands/serve.ts: CLOSE_DEADLINE_MS not found');
  return {
    repoRoot,
    dockerfile: readDockerfile(repoRoot),
    envNames: new Set([...ENV_VARS.map((spec) => spec.name), CONFIG_FILE_ENV]),
    probeRoutes: PROBE_ROUTES,
    serveCloseDeadlineMs: Number(closeDeadline.replaceAll('_', '')),
    defaults: loadConfig({ env: {}, repoRoot, cwd: repoRoot }),
  };
}

/** Every document of a YAML file (Kubernetes reads YAML 1.1, as kustomize does). */
export function readYamlDocuments(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'), { version: '1.1' }).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

/** A kustomize `envs` file: KEY=VALUE lines, # comments and blank lines skipped. */
export function readEnvFile(file: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [index, raw] of readFileSync(file, 'utf8').split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}:${index + 1}: not KEY=VALUE: ${line}`);
    entries.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return entries;
}

/** The files under a directory, recursively, relative to it. */
export function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path).map((inner) => join(name, inner)) : [name];
  });
}

export function isManifest(value: unknown): value is Manifest {
  if (value === null || typeof value !== 'object') return false;
  const { apiVersion, kind } = value as Record<string, unknown>;
  return typeof apiVersion === 'string' && typeof kind === 'string';
}

// ---------------------------------------------------------------------------------------------------------------
// Schema validation: kubernetes-models and @kubernetes-models/keda, one model class per apiVersion and kind.

interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: object): { validate(): void };
}

function isModelClass(value: unknown): value is ModelClass {
  if (typeof value !== 'function') return false;
  const { apiVersion, kind } = value as unknown as Record<string, unknown>;
  return typeof apiVersion === 'string' && typeof kind === 'string';
}

function collectModels(namespace: object, into: Map<string, ModelClass>, depth = 0): Map<string, ModelClass> {
  for (const value of Object.values(namespace) as unknown[]) {
    if (isModelClass(value)) into.set(`${value.apiVersion}/${value.kind}`, value);
    else if (depth < 3 && value !== null && typeof value === 'object') collectModels(value, into, depth + 1);
  }
  return into;
}

let models: Map<string, ModelClass> | undefined;

/** The model classes of both packages by "apiVersion/kind" (Kubernetes' own kinds and KEDA's). */
export function schemaModels(): ReadonlyMap<string, ModelClass> {
  models ??= collectModels(kedaModels, collectModels(kubernetesModels, new Map()));
  return models;
}

export function describeObject(object: Manifest): string {
  return `${object.kind}/${object.metadata?.name ?? '(no name)'}`;
}

/** Each object against its kind's schema; a kind neither package knows is a problem too. */
export function validateSchemas(objects: readonly Manifest[]): string[] {
  return objects.flatMap((object) => {
    const model = schemaModels().get(`${object.apiVersion}/${object.kind}`);
    if (model === undefined) return [`${describeObject(object)}: no schema for ${object.apiVersion} ${object.kind}`];
    try {
      new model(object).validate();
      return [];
    } catch (error) {
      return [`${describeObject(object)}: ${(error as Error).message}`];
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The project's rules, on a set of objects that belong together (one `kustomize build`, or the base's files).

/** Kubernetes quantity -> number (bytes for memory, cores for CPU); undefined when it is not one. */
export function quantity(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(value);
  if (match === null) return undefined;
  const factors: Readonly<Record<string, number>> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(match[1]) * (factors[match[2] ?? ''] ?? Number.NaN);
}

function isSubset(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>) {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** One Deployment of the service, with what the checks learnt about it. */
export interface Workload {
  readonly deployment: Deployment;
  readonly name: string;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly container: IContainer | undefined;
  readonly role: Role | undefined;
  /** The environment the process sees: the image's ENV, then the ConfigMaps and the container's env. */
  readonly env: Readonly<Record<string, string>>;
  /** The configuration that environment loads to (undefined when it does not load). */
  readonly config: Config | undefined;
  /** Variables read from Secrets: name -> the Secret and key. */
  readonly secretRefs: ReadonlyMap<string, { readonly name: string; readonly key: string }>;
}

export interface CheckOptions {
  /** kustomize sets the namespace; the files as they are have none. */
  readonly requireNamespace: boolean;
}

/**
 * The rules every set of deployment objects must keep; returns the problems (empty: all hold). The objects are
 * expected to have passed validateSchemas (this reads them as the types it checked).
 */
export function checkManifests(
  objects: readonly Manifest[],
  facts: ServiceFacts,
  options: CheckOptions = { requireNamespace: true },
): string[] {
  const problems: string[] = [];
  const deployments = objects.filter((o) => Deployment.is(o)).map((o) => new Deployment(o));
  if (deployments.length === 0) problems.push('no Deployment');

  if (options.requireNamespace) {
    const namespaces = new Set(objects.map((o) => o.metadata?.namespace ?? '(none)'));
    if (namespaces.size !== 1 || namespaces.has('(none)')) {
      problems.push(`every object must be in one namespace; found: ${[...namespaces].join(', ')}`);
    }
  }

  const configMaps = new Map(
    objects
      .filter((o) => ConfigMap.is(o))
      .map((o) => new ConfigMap(o))
      .map((cm) => [cm.metadata?.name ?? '', cm.data ?? {}] as const),
  );
  const workloads = deployments.map((deployment) => checkWorkload(deployment, configMaps, facts, problems));
  const byName = new Map(workloads.map((w) => [w.name, w]));
  const selected = (where: string, selector: Record<string, string> | undefined): Workload | undefined => {
    const matches = workloads.filter((w) => isSubset(selector, w.podLabels));
    if (matches.length !== 1) {
      problems.push(`${where}: its selector must match the pods of exactly one Deployment (matches ${matches.length})`);
    }
    return matches[0];
  };

  const coveredBy = new Map<string, Set<string>>(workloads.map((w) => [w.name, new Set<string>()]));
  for (const object of objects) {
    const where = describeObject(object);
    if (Service.is(object)) {
      const service = new Service(object);
      const target = selected(where, service.spec?.selector);
      if (target !== undefined) coveredBy.get(target.name)?.add('Service');
      const portName = target?.container?.ports?.find((p) => p.containerPort === facts.dockerfile.port)?.name;
      for (const port of service.spec?.ports ?? []) {
        if (port.targetPort !== facts.dockerfile.port && (portName === undefined || port.targetPort !== portName)) {
          problems.push(
            `${where}: targetPort ${String(port.targetPort)} is not the side-port (${portName ?? facts.dockerfile.port})`,
          );
        }
      }
    } else if (PodDisruptionBudget.is(object)) {
      const target = selected(where, new PodDisruptionBudget(object).spec?.selector?.matchLabels);
      if (target !== undefined) coveredBy.get(target.name)?.add('PodDisruptionBudget');
    } else if (NetworkPolicy.is(object)) {
      const policy = new NetworkPolicy(object);
      const own = policy.spec?.podSelector.matchLabels;
      const target = selected(where, own);
      if (target !== undefined) coveredBy.get(target.name)?.add('NetworkPolicy');
      const peers = [
        ...(policy.spec?.ingress ?? []).flatMap((rule) => rule.from ?? []),
        ...(policy.spec?.egress ?? []).flatMap((rule) => rule.to ?? []),
      ];
      for (const peer of peers) {
        const labels = peer.podSelector?.matchLabels ?? {};
        if (Object.entries(own ?? {}).some(([key, value]) => labels[key] === value)) {
          problems.push(
            `${where}: a peer's podSelector carries the policy's own pod labels (${JSON.stringify(labels)}); ` +
              'a kustomize label transformer with includeSelectors adds them: select peers by namespace instead',
          );
        }
      }
      const ingressPorts = (policy.spec?.ingress ?? []).flatMap((rule) => rule.ports ?? []).map((p) => p.port);
      if (!ingressPorts.some((port) => port === 'http' || port === facts.dockerfile.port)) {
        problems.push(`${where}: no ingress rule lets callers reach the side-port (${facts.dockerfile.port})`);
      }
      const egressPorts = (policy.spec?.egress ?? []).flatMap((rule) => rule.ports ?? []).map((p) => p.port);
      if (!egressPorts.includes(53)) problems.push(`${where}: no egress to DNS (port 53)`);
    } else if (ScaledObject.is(object)) {
      checkScaledObject(new ScaledObject(object), objects, byName, problems);
    } else if (HorizontalPodAutoscaler.is(object)) {
      const { spec } = new HorizontalPodAutoscaler(object);
      if (spec === undefined) {
        problems.push(`${where}: no spec`);
        continue;
      }
      const target = byName.get(spec.scaleTargetRef.name);
      if (spec.scaleTargetRef.kind !== 'Deployment' || target === undefined) {
        problems.push(`${where}: scaleTargetRef names no Deployment of this set`);
      } else if (target.deployment.spec?.replicas !== undefined) {
        problems.push(`${where}: ${target.name} sets spec.replicas, which would fight the autoscaler on every apply`);
      }
      if ((spec.minReplicas ?? 1) > spec.maxReplicas) problems.push(`${where}: minReplicas > maxReplicas`);
    }
  }
  for (const [name, kinds] of coveredBy) {
    for (const kind of ['Service', 'PodDisruptionBudget', 'NetworkPolicy']) {
      if (!kinds.has(kind)) problems.push(`Deployment/${name}: no ${kind} selects its pods`);
    }
  }
  return problems;
}

function probeProblems(where: string, name: string, probe: IProbe | undefined, wantPath: string, facts: ServiceFacts) {
  if (probe === undefined) return [`${where}: no ${name}`];
  const get = probe.httpGet;
  if (get === undefined) return [`${where}: ${name} must be an HTTP GET on the side-port`];
  const problems: string[] = [];
  if (get.path === undefined || !facts.probeRoutes.has(get.path)) {
    problems.push(
      `${where}: ${name} path ${get.path ?? '(none)'} is not an open probe route (${[...facts.probeRoutes].join(', ')})`,
    );
  } else if (get.path !== wantPath) {
    problems.push(`${where}: ${name} must use ${wantPath}, not ${get.path}`);
  }
  if (get.port !== 'http' && get.port !== facts.dockerfile.port) {
    problems.push(`${where}: ${name} port ${String(get.port)} is not the side-port`);
  }
  return problems;
}

function checkWorkload(
  deployment: Deployment,
  configMaps: ReadonlyMap<string, Readonly<Record<string, string>>>,
  facts: ServiceFacts,
  problems: string[],
): Workload {
  const name = deployment.metadata?.name ?? '(no name)';
  const where = `Deployment/${name}`;
  const pod: IPodSpec | undefined = deployment.spec?.template.spec;
  const podLabels = deployment.spec?.template.metadata?.labels ?? {};
  if (!isSubset(deployment.spec?.selector.matchLabels, podLabels)) {
    problems.push(`${where}: spec.selector does not match the pod template's labels`);
  }
  const container = pod?.containers.find((c) => c.name === CONTAINER_NAME);
  const secretRefs = new Map<string, { name: string; key: string }>();
  const workload = { deployment, name, podLabels, container, secretRefs };
  if (pod === undefined || container === undefined) {
    problems.push(`${where}: no container named ${CONTAINER_NAME}`);
    return { ...workload, role: undefined, env: {}, config: undefined };
  }

  // The command: the image's CMD program with one of the service's commands; the image's entrypoint kept.
  const [program, command, ...rest] = container.args ?? [];
  const role = ROLES.find((r) => r === command);
  if (container.command !== undefined) problems.push(`${where}: set args, not command (keep the image's entrypoint)`);
  if (program !== facts.dockerfile.cmd[0] || role === undefined || rest.length > 0) {
    problems.push(
      `${where}: args must be ["${facts.dockerfile.cmd[0] ?? ''}", one of ${ROLES.join('|')}] (the Dockerfile's CMD ` +
        `program); got ${JSON.stringify(container.args ?? null)}`,
    );
  }

  // The environment: names the service reads, values its loader accepts.
  const env: Record<string, string> = { ...facts.dockerfile.env };
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef?.name;
    const data = ref === undefined ? undefined : configMaps.get(ref);
    if (ref === undefined || source.prefix !== undefined) {
      problems.push(`${where}: envFrom may only load a ConfigMap, without prefix`);
    } else if (data === undefined) {
      problems.push(`${where}: envFrom names ConfigMap ${ref}, which is not in this set`);
    } else {
      for (const [key, value] of Object.entries(data)) {
        if (!facts.envNames.has(key))
          problems.push(`${where}: ConfigMap ${ref}: ${key} is not a variable the service reads (config/README.md)`);
        env[key] = value;
      }
    }
  }
  for (const variable of container.env ?? []) {
    if (!facts.envNames.has(variable.name)) {
      problems.push(`${where}: env ${variable.name} is not a variable the service reads (config/README.md)`);
    }
    const secret = variable.valueFrom?.secretKeyRef;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (secret !== undefined) {
      secretRefs.set(variable.name, { name: secret.name ?? '', key: secret.key });
      // An optional Secret may be absent: the variable is then unset, which the configuration must survive.
      if (secret.optional !== true) env[variable.name] = PLACEHOLDER_SECRET;
    } else problems.push(`${where}: env ${variable.name}: only literal values and Secret references`);
  }
  let config: Config | undefined;
  try {
    const tokenFile = env['HTTP_AUTH_TOKEN_FILE'];
    config = loadConfig({
      env,
      repoRoot: facts.repoRoot,
      cwd: facts.repoRoot,
      readTextFile: (path) => (path === tokenFile ? PLACEHOLDER_TOKEN : readFileSync(path, 'utf8')),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(`${where}: its configuration does not load: ${error.message}`);
  }
  const result: Workload = { ...workload, role, env, config };
  if (config === undefined) return result;

  // The side-port: the image's port, on every interface, behind the bearer token.
  if (config.http.port !== facts.dockerfile.port) {
    problems.push(`${where}: PORT ${config.http.port} is not the image's (${facts.dockerfile.port})`);
  }
  if (!facts.dockerfile.exposed.includes(config.http.port)) {
    problems.push(`${where}: the Dockerfile does not EXPOSE ${config.http.port}`);
  }
  if (!['0.0.0.0', '::'].includes(config.http.host)) {
    problems.push(`${where}: HOST ${config.http.host}: the side-port must listen on the pod's address (0.0.0.0)`);
  }
  const httpPort = container.ports?.find((p) => p.name === 'http');
  if (httpPort?.containerPort !== config.http.port) {
    problems.push(
      `${where}: the container port named http must be ${config.http.port} (got ${httpPort?.containerPort ?? 'none'})`,
    );
  }
  if (config.http.auth.tokenFile === null) {
    problems.push(`${where}: no HTTP_AUTH_TOKEN_FILE: the side-port listens on the pod network without a bearer token`);
  } else {
    const tokenFile = config.http.auth.tokenFile;
    const mount = container.volumeMounts?.find((m) => dirname(tokenFile) === m.mountPath);
    const volume = pod.volumes?.find((v) => v.name === mount?.name);
    if (mount === undefined || volume?.secret === undefined) {
      problems.push(`${where}: HTTP_AUTH_TOKEN_FILE ${tokenFile} is not in a mounted Secret`);
    } else if (
      volume.secret.items !== undefined &&
      !volume.secret.items.some((i) => join(mount.mountPath, i.path) === tokenFile)
    ) {
      problems.push(`${where}: the Secret volume ${volume.name} does not project ${tokenFile}`);
    }
  }

  // Probes: open routes (never behind the token); the startup probe covers the first group join.
  problems.push(
    ...probeProblems(where, 'startupProbe', container.startupProbe, '/readyz', facts),
    ...probeProblems(where, 'readinessProbe', container.readinessProbe, '/readyz', facts),
    ...probeProblems(where, 'livenessProbe', container.livenessProbe, '/livez', facts),
  );

  // Shutdown: SIGTERM after the preStop pause, then the process's own deadline, all within the grace period.
  const preStop = container.lifecycle?.preStop;
  if (preStop?.exec !== undefined) problems.push(`${where}: preStop must not exec (the image may lack the program)`);
  const pauseSeconds = preStop?.sleep?.seconds ?? 0;
  const deadlineMs = role === 'serve' ? facts.serveCloseDeadlineMs : config.stream.shutdownDeadlineMs;
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  if (grace * 1000 <= pauseSeconds * 1000 + deadlineMs) {
    problems.push(
      `${where}: terminationGracePeriodSeconds ${grace} must exceed the preStop pause (${pauseSeconds} s) + the ` +
        `${role === 'serve' ? "serve's drain deadline" : 'SHUTDOWN_DEADLINE_MS'} (${deadlineMs / 1000} s)`,
    );
  }

  // Security: the image's unprivileged user, nothing more.
  const podSecurity = pod.securityContext;
  const security = container.securityContext;
  if ((security?.runAsNonRoot ?? podSecurity?.runAsNonRoot) !== true)
    problems.push(`${where}: runAsNonRoot must be true`);
  const uid = security?.runAsUser ?? podSecurity?.runAsUser;
  if (uid !== facts.dockerfile.uid) {
    problems.push(
      `${where}: runAsUser ${uid ?? '(unset)'} is not the image's USER ${facts.dockerfile.user} (${facts.dockerfile.uid})`,
    );
  }
  if (security?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation must be false`);
  if (security?.privileged === true) problems.push(`${where}: must not be privileged`);
  if (security?.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem must be true`);
  if (!(security?.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: capabilities must drop ALL`);
  if ((security?.capabilities?.add ?? []).length > 0) problems.push(`${where}: must add no capabilities`);
  if ((security?.seccompProfile ?? podSecurity?.seccompProfile)?.type !== 'RuntimeDefault') {
    problems.push(`${where}: seccompProfile must be RuntimeDefault`);
  }
  const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
  if (pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir === undefined) {
    problems.push(`${where}: a read-only root file system needs an emptyDir at /tmp`);
  }
  if (pod.automountServiceAccountToken !== false) problems.push(`${where}: automountServiceAccountToken must be false`);
  if (pod.enableServiceLinks !== false) {
    problems.push(`${where}: enableServiceLinks must be false (the service reads only the variables it is given)`);
  }

  // Resources: requests and limits, and the side-port's load shedding below the memory limit.
  const cpuLimit = quantity(container.resources?.limits?.['cpu']);
  const memoryLimit = quantity(container.resources?.limits?.['memory']);
  const memoryRequest = quantity(container.resources?.requests?.['memory']);
  if (quantity(container.resources?.requests?.['cpu']) === undefined || memoryRequest === undefined) {
    problems.push(`${where}: set CPU and memory requests`);
  }
  if (cpuLimit === undefined || memoryLimit === undefined) problems.push(`${where}: set CPU and memory limits`);
  if (memoryLimit !== undefined && memoryRequest !== undefined && memoryRequest > memoryLimit) {
    problems.push(`${where}: memory request above the limit`);
  }
  const maxRss = config.http.pressure.maxRssBytes;
  if (memoryLimit !== undefined && maxRss > 0) {
    const processes = role === 'serve' && config.http.workers > 1 ? config.http.workers + 1 : 1;
    if (maxRss * processes >= memoryLimit) {
      problems.push(`${where}: HTTP_MAX_RSS_BYTES ${maxRss} x ${processes} process(es) is not below the memory limit`);
    }
  }
  if (role === 'serve') {
    if (config.http.workers === 0) {
      problems.push(`${where}: set HTTP_WORKERS: 0 means one process per core of the host, not of the CPU limit`);
    } else if (cpuLimit !== undefined && config.http.workers > Math.ceil(cpuLimit)) {
      problems.push(`${where}: HTTP_WORKERS ${config.http.workers} is more than the CPU limit's cores (${cpuLimit})`);
    }
  }
  // Workers beyond the partitions sit idle (and so do join tasks).
  const replicas = deployment.spec?.replicas;
  if (role !== 'serve' && replicas !== undefined && replicas > config.topics.partitions) {
    problems.push(
      `${where}: ${replicas} replicas for ${config.topics.partitions} partitions (TOPIC_PARTITIONS): the rest sit idle`,
    );
  }
  return result;
}

function checkScaledObject(
  scaled: ScaledObject,
  objects: readonly Manifest[],
  workloads: ReadonlyMap<string, Workload>,
  problems: string[],
): void {
  const where = `ScaledObject/${scaled.metadata?.name ?? '(no name)'}`;
  const targetRef = scaled.spec.scaleTargetRef;
  const target = workloads.get(targetRef.name);
  if ((targetRef.kind ?? 'Deployment') !== 'Deployment' || target === undefined) {
    problems.push(`${where}: scaleTargetRef names no Deployment of this set`);
    return;
  }
  if (target.deployment.spec?.replicas !== undefined) {
    problems.push(`${where}: ${target.name} sets spec.replicas, which would fight KEDA on every apply`);
  }
  const config = target.config;
  if (config === undefined) return;
  const max = scaled.spec.maxReplicaCount;
  if (max !== config.topics.partitions) {
    problems.push(
      `${where}: maxReplicaCount ${max ?? '(unset: KEDA default 100)'} must equal the partitions ` +
        `(TOPIC_PARTITIONS = ${config.topics.partitions}): partitions are the unit of parallelism`,
    );
  }
  if ((scaled.spec.minReplicaCount ?? 0) > (max ?? 100)) problems.push(`${where}: minReplicaCount > maxReplicaCount`);
  const kafka = scaled.spec.triggers.filter((t) => t.type === 'kafka' || t.type === 'apache-kafka');
  if (kafka.length === 0) problems.push(`${where}: no Kafka trigger on the consumer group's lag`);
  for (const trigger of kafka) {
    const meta = trigger.metadata;
    const expect = (key: string, want: string | undefined, why: string) => {
      if (meta[key] !== want) {
        problems.push(
          `${where}: trigger metadata ${key} is ${meta[key] ?? '(unset)'}, but the workers' ${why} is ${want ?? '(unset)'}`,
        );
      }
    };
    expect('bootstrapServers', config.kafka.brokers.join(','), 'KAFKA_BROKERS');
    expect('consumerGroup', config.stream.groupId, 'CONSUMER_GROUP');
    expect('topic', config.topics.customers, 'TOPIC_CUSTOMERS');
    const sasl = config.kafka.sasl === null ? undefined : KEDA_SASL[config.kafka.sasl.mechanism];
    expect('sasl', sasl, 'KAFKA_SASL_MECHANISM');
    expect('tls', config.kafka.ssl.enabled ? 'enable' : undefined, 'KAFKA_SSL');
    expect('offsetResetPolicy', 'earliest', 'new-group start (the beginning of the topic)');
    if (sasl === undefined) continue;
    const authName = trigger.authenticationRef?.name;
    const auth = objects
      .filter((o) => TriggerAuthentication.is(o))
      .map((o) => new TriggerAuthentication(o))
      .find((a) => a.metadata?.name === authName);
    if (auth === undefined) {
      problems.push(`${where}: SASL needs an authenticationRef to a TriggerAuthentication of this set`);
      continue;
    }
    const refs = target.secretRefs;
    for (const [parameter, variable] of [
      ['username', 'KAFKA_SASL_USERNAME'],
      ['password', 'KAFKA_SASL_PASSWORD'],
    ] as const) {
      const fromAuth = auth.spec.secretTargetRef?.find((r) => r.parameter === parameter);
      const fromPod = refs.get(variable);
      if (
        fromAuth === undefined ||
        fromPod === undefined ||
        fromAuth.name !== fromPod.name ||
        fromAuth.key !== fromPod.key
      ) {
        problems.push(
          `${where}: TriggerAuthentication ${authName ?? ''} ${parameter} must come from the Secret key the workers' ` +
            `${variable} comes from (${fromPod === undefined ? 'none' : `${fromPod.name}/${fromPod.key}`})`,
        );
      }
    }
  }
}

/** Path of a file relative to the repository, for messages. */
export function repoPath(facts: ServiceFacts, file: string): string {
  return relative(facts.repoRoot, file);
}
