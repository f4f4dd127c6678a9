import { comparisonTables } from '../experiments/comparison-table.js';
import type { ComparisonView } from '../experiments/comparison-view.js';
import type { PublishedPackage } from '../model-registry/registry-topics.js';
import { rolloutOneLine } from '../model-registry/rollout-summary.js';
import type { RolloutRecord } from '../model-registry/rollout-record.js';
import type { VariantAgreement, VariantShare } from './demo-summary.js';

/* The lines of the demo's second act (pure): what an operator sees at each step of shipping a model. */

const INDENT = '    ';

/** A `model publish` outcome: sent, or already there with the same checksum (a rerun). */
export function publishedLine(pkg: PublishedPackage): string {
  const sha = `sha256 ${pkg.sha256.slice(0, 12)}…`;
  return pkg.alreadyPublished
    ? `  model ${pkg.version}: on '${pkg.topic}' already (${sha}); nothing sent`
    : `  model ${pkg.version}: published to '${pkg.topic}' (${sha}, ${pkg.parityExamples} parity examples), verified first`;
}

/** A `rollout set` outcome and how soon the worker served it. */
export function rolloutLine(record: RolloutRecord, published: boolean, topic: string, servedAfterMs: number): string {
  const what = published ? `revision ${record.revision} published to '${topic}'` : `revision ${record.revision}`;
  const when = published
    ? `in force on the worker ${(servedAfterMs / 1000).toFixed(2)} s later`
    : 'in force already; nothing published';
  return `  rollout ${what}: ${rolloutOneLine(record.rollout)} (${when})`;
}

/** The comparison as `experiment report` prints it, indented under the demo's lines. */
export function comparisonLines(view: ComparisonView): string[] {
  return comparisonTables(view).map((line) => (line === '' ? '' : `${INDENT}${line}`));
}

/** The customers per variant. */
export function splitLines(split: readonly VariantShare[]): string[] {
  const width = Math.max(...split.map((s) => `${s.variant} ${s.version}`.length));
  const countWidth = Math.max(...split.map((s) => String(s.customers).length));
  return split.map(
    (s) =>
      `${INDENT}${`${s.variant} ${s.version}`.padEnd(width)}  ${String(s.customers).padStart(countWidth)} customers` +
      `  ${(s.share * 100).toFixed(2).padStart(6)}%`,
  );
}

/** Whether HTTP /predict named the stream's variant for the same customers. */
export function agreementLine(agreement: VariantAgreement): string {
  const head =
    `  HTTP: POST /predict/batch with the same customer ids names the variant the stream used for ` +
    `${agreement.agreeing} of ${agreement.compared} customers`;
  if (agreement.differing.length === 0) return head;
  const examples = agreement.differing.map((d) => `${d.customerid} stream ${d.stream}, HTTP ${d.http}`).join('; ');
  return `${head} (differing: ${examples})`;
}
