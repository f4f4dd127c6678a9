/** Pure figures of a demo run: what the marketing service would act on, and how fast we got there. */
export interface ScoredCustomer {
  customerid: string;
  probability: number;
  churn: boolean;
  /** event_time -> prediction received, ms */
  latencyMs: number;
}

export interface DemoSummary {
  predictions: number;
  churned: number;
  churnRate: number;
  /** size of the riskiest quarter: the notes' e-mail campaign targets 25% of customers */
  campaignSize: number;
  /** lowest probability inside the riskiest quarter */
  campaignCutoff: number;
  topTen: ScoredCustomer[];
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

export const CAMPAIGN_SHARE = 0.25;

export function summarize(scored: readonly ScoredCustomer[]): DemoSummary {
  const byRisk = [...scored].sort((a, b) => b.probability - a.probability || a.customerid.localeCompare(b.customerid));
  const churned = scored.filter((s) => s.churn).length;
  const campaignSize = Math.ceil(scored.length * CAMPAIGN_SHARE);
  const latencies = scored.map((s) => s.latencyMs).sort((a, b) => a - b);
  return {
    predictions: scored.length,
    churned,
    churnRate: scored.length === 0 ? 0 : churned / scored.length,
    campaignSize,
    campaignCutoff: campaignSize === 0 ? 0 : (byRisk[campaignSize - 1] as ScoredCustomer).probability,
    topTen: byRisk.slice(0, 10),
    latencyMs: {
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      max: latencies.length === 0 ? 0 : (latencies[latencies.length - 1] as number),
    },
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
