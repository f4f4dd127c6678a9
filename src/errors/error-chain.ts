/**
 * An error and what it wraps, outermost first (pure). Libraries nest the error that says what happened
 * under wrappers: kafkajs puts the broker's answer under retry errors, fetch the socket error under
 * "fetch failed". Follows `cause`, or `underlying` where we keep the original out of `cause` on purpose
 * (RetriableBatchError: kafkajs would read retriability from the innermost cause). Stops at 8 levels, so a
 * cycle cannot hang it.
 */
export function errorChain(err: unknown): object[] {
  const chain: object[] = [];
  let current: unknown = err;
  while (current !== null && typeof current === 'object' && chain.length < MAX_DEPTH) {
    chain.push(current);
    const { cause, underlying } = current as { cause?: unknown; underlying?: unknown };
    current = cause ?? underlying;
  }
  return chain;
}

const MAX_DEPTH = 8;

/** The outermost error of the chain that `predicate` accepts (pure). */
export function findInChain<T extends object>(err: unknown, predicate: (e: object) => e is T): T | undefined;
export function findInChain(err: unknown, predicate: (e: object) => boolean): object | undefined;
export function findInChain(err: unknown, predicate: (e: object) => boolean): object | undefined {
  return errorChain(err).find(predicate);
}
