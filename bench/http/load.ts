/** One fixed-concurrency autocannon run against POST /predict, with exact latency percentiles. */
import autocannon from 'autocannon';
import { percentile } from '../lib/stats.js';

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  requests_per_second: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number; mean: number };
  errors: number;
  timeouts: number;
  non_2xx: number;
}

export async function loadPredict(
  url: string,
  body: string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  // autocannon's own histogram keeps whole milliseconds; the per-response times below are exact.
  const latencies: number[] = [];
  const instance = autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
    timeout: 10,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  const ok = result['2xx'];
  return {
    connections,
    seconds: result.duration,
    requests: ok,
    requests_per_second: ok / result.duration,
    latency_ms: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
      mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non_2xx: result.non2xx,
  };
}
