import { must } from './must.js';

/** The value of one sample of a Prometheus text exposition, e.g. metricValue(text, 'x_total', {source: 'live'}). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (match === null || match[1] !== name) continue;
    const found = new Map<string, string>();
    for (const pair of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      found.set(must(pair[1], `a label name in ${line}`), must(pair[2], `a label value in ${line}`));
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) return Number(match[4]);
  }
  return undefined;
}
