/**
 * The notes' rule, exactly: `str.lower().str.replace(' ', '_')`. No trimming: a padded value would have
 * been an unknown category to the Python service too, so it is reported (quoted) rather than silently fixed.
 */
export function normalizeCategory(value: string): string {
  // Fast path for the common already-normalized ASCII value: no new string per Kafka record.
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 32 || (code >= 65 && code <= 90) || code > 127) return normalizeRaw(value);
  }
  return value;
}

// Raw spellings ("Fiber optic", "Yes") repeat on every record, and lower-casing them was a visible share of the
// worker's CPU (see BENCHMARKS.md, "Optimization opportunities"). A bounded memo turns that into one Map lookup.
// Both bounds matter against hostile input (a new value per record): the entry count alone would let 1,024 values of a
// megabyte each stay in memory for good. Every spelling worth remembering is short.
const RAW_MEMO_MAX = 1024;
const RAW_MEMO_MAX_CHARS = 64;
const rawMemo = new Map<string, string>();

function normalizeRaw(value: string): string {
  if (value.length > RAW_MEMO_MAX_CHARS) return value.toLowerCase().replaceAll(' ', '_');
  let normalized = rawMemo.get(value);
  if (normalized === undefined) {
    normalized = value.toLowerCase().replaceAll(' ', '_');
    if (rawMemo.size < RAW_MEMO_MAX) rawMemo.set(value, normalized);
  }
  return normalized;
}
