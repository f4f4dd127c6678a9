/**
 * Validates `kustomize build` outputs (scripts/ci/kubernetes-check.sh runs it):
 *
 *   tsx test/support/validate-kubernetes.ts [--core-out DIR] BUILD.yaml ...
 *
 * Each file, one build of deploy/kubernetes: every object against its kind's schema (kubernetes-models,
 * @kubernetes-models/keda), then the project's rules (test/support/deploy-manifests.ts: the manifests against the
 * Dockerfile and src/config). With --core-out, writes each file's objects of Kubernetes' own API groups (no CRDs)
 * to DIR/<name>.core.yaml for kubernetes-validate's strict pass, which the shell script runs next.
 * Prints one line per file; exits 1 when any object or rule fails, naming each.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { stringify } from 'yaml';
import {
  checkManifests,
  isManifest,
  readYamlDocuments,
  serviceFacts,
  validateSchemas,
  type Manifest,
} from './deploy-manifests.js';

const facts = serviceFacts();

function packageVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(join(facts.repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
  };
  return `${name} ${manifest.version}`;
}

/** Kubernetes' own API groups: core (v1), unqualified groups (apps, policy, ...) and *.k8s.io. */
function isCoreKind(object: Manifest): boolean {
  const group = object.apiVersion.includes('/') ? (object.apiVersion.split('/')[0] ?? '') : '';
  return !group.includes('.') || group.endsWith('.k8s.io');
}

const args = process.argv.slice(2);
let coreOut: string | undefined;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] ?? '';
  if (arg === '--core-out') coreOut = args[++i];
  else files.push(arg);
}
if (files.length === 0 || (args.includes('--core-out') && coreOut === undefined)) {
  console.error('usage: tsx test/support/validate-kubernetes.ts [--core-out DIR] BUILD.yaml ...');
  process.exit(2);
}

const schemas = `${packageVersion('kubernetes-models')}, ${packageVersion('@kubernetes-models/keda')}`;
let failed = false;
for (const file of files) {
  const documents = readYamlDocuments(file);
  const objects = documents.filter(isManifest);
  const problems = [
    ...documents.filter((doc) => !isManifest(doc)).map(() => 'a document without apiVersion and kind'),
    ...validateSchemas(objects),
  ];
  // The rules read the objects as the schemas describe them: only once those hold.
  if (problems.length === 0) problems.push(...checkManifests(objects, facts));
  if (problems.length > 0) {
    failed = true;
    for (const problem of problems) console.error(`[validate-kubernetes] FAIL ${file}: ${problem}`);
    continue;
  }
  const kinds = [...new Set(objects.map((o) => o.kind))].join(', ');
  console.log(
    `[validate-kubernetes] ok: ${basename(file)}: ${objects.length} objects (${kinds}) valid (${schemas}); project rules hold`,
  );
  if (coreOut !== undefined) {
    const core = objects.filter(isCoreKind);
    const target = join(coreOut, `${basename(file, '.yaml')}.core.yaml`);
    writeFileSync(target, core.map((object) => stringify(object)).join('---\n'));
  }
}
process.exit(failed ? 1 : 0);
