/** Outcome of a liveness or readiness check; reasons say what is wrong when ok is false. */
export interface ProbeResult {
  ok: boolean;
  reasons: string[];
}

/**
 * A readiness/liveness check supplied by whoever runs the server: `serve` checks the model, the stream worker
 * adds consumer/producer state. Checks should be cheap (they run on every probe) and must not throw, but a
 * throwing or rejecting check is reported as not ok with its message rather than crashing the probe.
 */
export type ProbeCheck = () => ProbeResult | Promise<ProbeResult>;

/** Runs every check and combines them: ok only if all are ok; reasons concatenated in check order. */
export async function runProbeChecks(checks: readonly ProbeCheck[]): Promise<ProbeResult> {
  const results = await Promise.all(checks.map(runOne));
  const reasons = results.flatMap((r) => r.reasons);
  return { ok: results.every((r) => r.ok), reasons };
}

async function runOne(check: ProbeCheck): Promise<ProbeResult> {
  try {
    const result = await check();
    if (result.ok) return result;
    return { ok: false, reasons: result.reasons.length > 0 ? result.reasons : ['check failed without a reason'] };
  } catch (err) {
    return { ok: false, reasons: [`check threw: ${err instanceof Error ? err.message : String(err)}`] };
  }
}
