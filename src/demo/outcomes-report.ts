import type { RealizedPerformance } from '../outcomes/realized-performance.js';
import type { OutcomesActResult } from './outcomes-act.js';

/** What the demo's third act prints (pure). */

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`;
}

function fixed(x: number | null, digits: number): string {
  return x === null ? 'n/a' : x.toFixed(digits);
}

/** One row per (model version, variant): joined predictions, churn rate, AUC, log-loss, riskiest-25% precision/recall. */
export function realizedLines(performance: readonly RealizedPerformance[]): string[] {
  const header = ['version', 'variant', 'joined', 'churned', 'AUC', 'log-loss', 'top-25% precision', 'recall'];
  const rows = performance.map((p) => [
    p.version,
    p.variant,
    String(p.n),
    pct(p.churn_rate),
    fixed(p.auc, 4),
    fixed(p.log_loss, 4),
    pct(p.precision_riskiest25),
    pct(p.recall_riskiest25),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `    ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`;
  return [line(header), ...rows.map(line)];
}

/** The join's answer to the act's outcomes, and the realized figures of what it joined. */
export function outcomesActLines(result: OutcomesActResult, joinedTopic: string, firstAnswerMs: number): string[] {
  const { simulation, joins, complete, waitedMs } = result;
  const outcomes = simulation.tally.outcomes;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  if (joins.resolvedOutcomes === 0 && outcomes > 0) {
    return [
      `  no answer from the worker's outcome join on '${joinedTopic}' within ${seconds(firstAnswerMs)}: it is off ` +
        `(OUTCOME_JOIN=false) or not running; the outcomes wait on '${simulation.outcomesTopic}' for it`,
    ];
  }
  const answered =
    `  the worker's outcome join answered ${joins.resolvedOutcomes} of ${outcomes} outcomes in ${seconds(waitedMs)}` +
    `${complete ? '' : ' (then the demo stopped waiting)'}: ${joins.joined.length} joined predictions ` +
    `(one per model version and variant that scored the customer), ${joins.unmatched} unmatched outcomes, on '${joinedTopic}'`;
  const performance = joins.performance();
  if (performance.length === 0) return [answered];
  return [answered, '  realized on these outcomes:', ...realizedLines(performance)];
}
