/**
 * The notes' rule, exactly: `str.lower().str.replace(' ', '_')`. No trimming: a padded value would have
 * been an unknown category to the Python service too, so it is reported (quoted) rather than silently fixed.
 */
export function normalizeCategory(value: string): string {
  // Fast path for the common already-normalized ASCII value: no new string per Kafka record.
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 32 || (code >= 65 && code <= 90) || code > 127) return value.toLowerCase().replaceAll(' ', '_');
  }
  return value;
}
