/**
 * `value`, or a thrown error naming `what` was missing. A test's lookup that has to succeed (an array item, a
 * map entry, a regex group) then fails with a message saying which, instead of a TypeError a few lines on, and
 * without a non-null assertion that would hide the missing value from the type checker.
 */
export function must<T>(value: T, what: string): NonNullable<T> {
  if (value === undefined || value === null) throw new Error(`expected ${what}, found ${String(value)}`);
  return value;
}
