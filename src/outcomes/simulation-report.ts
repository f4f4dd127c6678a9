import type { OutcomeSimulationSummary } from './outcome-simulator.js';
import { churnedShare, type OutcomeRule } from './simulated-outcome.js';

/** What `simulate outcomes` prints, as one line of text or one JSON document (pure). */

export interface SimulationContext {
  readonly rule: OutcomeRule;
  readonly truthModel: { readonly dir: string; readonly version: string };
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** "7 d", "36 h", "1500 ms" */
export function durationText(ms: number): string {
  if (ms !== 0 && ms % DAY_MS === 0) return `${ms / DAY_MS} d`;
  if (ms !== 0 && ms % HOUR_MS === 0) return `${ms / HOUR_MS} h`;
  return `${ms} ms`;
}

function pct(x: number | null): string {
  return x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`;
}

export function simulationLine(summary: OutcomeSimulationSummary, context: SimulationContext): string {
  const { tally } = summary;
  const { rule } = context;
  const read =
    `read ${summary.customersRead} customers (${summary.events} events` +
    (summary.undecodable > 0 ? `, ${summary.undecodable} not CustomerEvents` : '') +
    `) from ${summary.customersTopic}`;
  const limited = tally.customers < summary.customersRead ? `, the first ${tally.customers} of them` : '';
  const unscorable = tally.unscorable > 0 ? `, ${tally.unscorable} the truth model cannot score` : '';
  const noise = [
    ...(rule.share < 1 ? [`share ${rule.share}`] : []),
    ...(rule.flipRate > 0 ? [`${tally.flipped} flipped (--flip ${rule.flipRate})`] : []),
    ...(rule.offer === null
      ? []
      : [`offer ${rule.offer}${rule.acceptRate === null ? '' : `, ${tally.accepted} accepted`}`]),
  ];
  return (
    `simulate outcomes: ${read}${limited}${unscorable}; wrote ${tally.outcomes} outcomes to ${summary.outcomesTopic}` +
    `${summary.createdTopic ? ` (created, ${summary.partitions} partitions)` : ''}: ` +
    `${tally.churned} churned (${pct(churnedShare(tally))})${noise.length > 0 ? `, ${noise.join(', ')}` : ''}; ` +
    `truth ${context.truthModel.version} by ${rule.rule}, seed ${rule.seed}, event time + ${durationText(rule.delayMs)}`
  );
}

export function simulationJson(summary: OutcomeSimulationSummary, context: SimulationContext) {
  const { tally } = summary;
  const { rule } = context;
  return {
    customersTopic: summary.customersTopic,
    outcomesTopic: summary.outcomesTopic,
    partitions: summary.partitions,
    createdTopic: summary.createdTopic,
    events: summary.events,
    undecodable: summary.undecodable,
    customersRead: summary.customersRead,
    customers: tally.customers,
    unscorable: tally.unscorable,
    withoutOutcome: tally.customers - tally.unscorable - tally.outcomes,
    outcomes: tally.outcomes,
    churned: tally.churned,
    churnedShare: churnedShare(tally),
    flipped: tally.flipped,
    accepted: rule.offer === null || rule.acceptRate === null ? null : tally.accepted,
    truthModel: context.truthModel,
    rule: rule.rule,
    seed: rule.seed,
    flip: rule.flipRate,
    share: rule.share,
    delayMs: rule.delayMs,
    offer: rule.offer,
    acceptRate: rule.acceptRate,
  };
}
