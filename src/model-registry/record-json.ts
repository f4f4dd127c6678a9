import { clipText, SHOWN_VALUE_CHARS } from '../contract/shown-value.js';

/*
 * What the two record codecs (model-package.ts, rollout-record.ts) share in reading a record's JSON value: which
 * values are objects, and how a value appears in a refusal. src/rollout's rollout-document.ts keeps its own pair:
 * it may import only src/errors (rollout-is-pure).
 */

/** A JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value of a record as a refusal quotes it: its JSON, cut at SHOWN_VALUE_CHARS; "nothing" when missing. */
export function shownJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  return clipText(JSON.stringify(value), SHOWN_VALUE_CHARS);
}
