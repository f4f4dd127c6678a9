/**
 * How text a client sent appears in our messages (warnings, 4xx bodies, dead-letter headers, log lines):
 * whole when short, otherwise a prefix and an explicit marker with the full length, so a message never
 * carries a megabyte back to the client, into a Kafka header or into a log line.
 */

/** How much of a client's value a message quotes: enough to recognise it. */
export const SHOWN_VALUE_CHARS = 40;

/** `text` when it has at most `maxChars` characters, else its first `maxChars` and `… (N chars)`. */
export function clipText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, cutIndex(text, maxChars))}${lengthMarker(text.length)}`;
}

/**
 * A client's string quoted for a message: `'fiber'` (or JSON-quoted, escaping control characters), and
 * when longer than SHOWN_VALUE_CHARS, its quoted prefix followed by `… (N chars)`.
 */
export function quoteValue(text: string, style: 'single' | 'json' = 'single'): string {
  const cut = text.length <= SHOWN_VALUE_CHARS ? text.length : cutIndex(text, SHOWN_VALUE_CHARS);
  const shown = cut === text.length ? text : text.slice(0, cut);
  const quoted = style === 'json' ? JSON.stringify(shown) : `'${shown}'`;
  return cut === text.length ? quoted : `${quoted}${lengthMarker(text.length)}`;
}

function lengthMarker(length: number): string {
  return `… (${length} chars)`;
}

/** Where to cut so the prefix does not end in half a surrogate pair (which would print as U+FFFD). */
function cutIndex(text: string, maxChars: number): number {
  const last = text.charCodeAt(maxChars - 1);
  return last >= 0xd800 && last <= 0xdbff ? maxChars - 1 : maxChars;
}
