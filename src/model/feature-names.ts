/** DictVectorizer's default separator between field and category in one-hot feature names. */
export const FEATURE_SEPARATOR = '=';

/**
 * "contract=one_year" -> { key: "contract", value: "one_year" }; "tenure" -> { key: "tenure" }.
 * Splits at the first separator: field names never contain '=', category values might.
 */
export function splitFeatureName(name: string): { key: string; value: string | undefined } {
  const at = name.indexOf(FEATURE_SEPARATOR);
  return at < 0 ? { key: name, value: undefined } : { key: name.slice(0, at), value: name.slice(at + 1) };
}
