/** Pure figures of a demo run: what the marketing service would act on, and how fast we got there. */
export interface ScoredCustomer {
  customerid: string;
  probability: number;
  churn: boolean;
  /** event_time -> prediction received, ms */
  latencyMs: number;
  /** champion, canary or ab: how the rollout in force served the customer */
  variant: string;
  /** the model version that scored it */
  version: string;
  /** the prediction's top reasons (feature, value, contribution to the logit), largest first */
  reasons: readonly { feature: string; value: string; contribution: number }[];
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

/** How many customers one (variant, version) of a rollout served. */
export interface VariantShare {
  variant: string;
  version: string;
  customers: number;
  /** customers / all customers scored */
  share: number;
}

const VARIANT_ORDER = ['champion', 'canary', 'ab'];

/** The customers per (variant, version): the champion first, then canary, then ab, then by version. */
export function variantSplit(scored: readonly ScoredCustomer[]): VariantShare[] {
  const counts = new Map<string, VariantShare>();
  for (const s of scored) {
    const key = `${s.variant}\u0000${s.version}`;
    const entry = counts.get(key) ?? { variant: s.variant, version: s.version, customers: 0, share: 0 };
    entry.customers += 1;
    counts.set(key, entry);
  }
  return [...counts.values()]
    .map((v) => ({ ...v, share: v.customers / scored.length }))
    .sort((a, b) => rank(a.variant) - rank(b.variant) || a.version.localeCompare(b.version));
}

function rank(variant: string): number {
  const index = VARIANT_ORDER.indexOf(variant);
  return index === -1 ? VARIANT_ORDER.length : index;
}

/** What two paths said about the same customers: how many got the same variant and version on both. */
export interface VariantAgreement {
  compared: number;
  agreeing: number;
  /** the first few customers served differently, for the line that says so */
  differing: { customerid: string; stream: string; http: string }[];
}

/**
 * The stream's variant of each customer against another path's answer for the same customer (pure): a customer
 * is assigned by a hash of its id, so HTTP /predict must name the same variant and version as the stream did.
 */
export function variantAgreement(
  stream: readonly ScoredCustomer[],
  other: ReadonlyMap<string, { variant: string; version: string }>,
): VariantAgreement {
  const differing: VariantAgreement['differing'] = [];
  let compared = 0;
  let agreeing = 0;
  for (const s of stream) {
    const answer = other.get(s.customerid);
    if (answer === undefined) continue;
    compared += 1;
    if (answer.variant === s.variant && answer.version === s.version) agreeing += 1;
    else if (differing.length < 3) {
      differing.push({
        customerid: s.customerid,
        stream: `${s.variant} ${s.version}`,
        http: `${answer.variant} ${answer.version}`,
      });
    }
  }
  return { compared, agreeing, differing };
}
