/**
 * kafkajs 2.2.4 arms its request queue's throttle timer with a negative delay (`throttledUntil` starts at -1,
 * tulios/kafkajs#1751, unfixed upstream). Node clamps it to 1 ms as it always did, but from Node 23 on it also
 * prints a TimeoutNegativeWarning to stderr: noise next to a CLI's one-line errors that nobody can act on.
 * Drops exactly that warning, when kafkajs' request queue set the timer; every other warning is emitted as before
 * (Node reports a negative timeout once per process either way).
 */
export function dropKafkajsNegativeTimeoutWarning(): void {
  // Bound: Node's own emitWarning does not use `this`, and the property is replaced just below.
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]): void {
    if (isKafkajsNegativeTimeoutWarning(warning, rest[0], new Error().stack)) return;
    Reflect.apply(emitWarning, process, [warning, ...rest]);
  };
}

/**
 * Pure: the warning (with its type, given as a string or as `{ type }` options) is the negative-timeout one
 * and the call stack that raised it runs through kafkajs' request queue.
 */
export function isKafkajsNegativeTimeoutWarning(
  warning: string | Error,
  typeOrOptions: unknown,
  stack: string | undefined,
): boolean {
  const type =
    warning instanceof Error
      ? warning.name
      : typeof typeOrOptions === 'string'
        ? typeOrOptions
        : (typeOrOptions as { type?: unknown } | undefined)?.type;
  return type === 'TimeoutNegativeWarning' && /kafkajs[\\/]src[\\/]network[\\/]requestQueue[\\/]/.test(stack ?? '');
}
