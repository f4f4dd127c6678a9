import { errorChain, findInChain } from '../errors/error-chain.js';

/**
 * What a kafkajs error says, wherever it sits in the cause chain (pure). kafkajs reports a broker's answer
 * as a KafkaJSProtocolError with its `type` (e.g. "INVALID_PRODUCER_EPOCH") and numeric `code`, and its own
 * failures by class name (e.g. KafkaJSConnectionError), and wraps both in retry errors.
 */

/** The first broker error type of the chain that is one of `types`. */
export function kafkaTypeIn(err: unknown, types: ReadonlySet<string>): string | undefined {
  for (const e of errorChain(err)) {
    const type = typeOf(e);
    if (type !== undefined && types.has(type)) return type;
  }
  return undefined;
}

/** Whether the chain holds a broker error of one of `types`, or of one of `codes` (for codes kafkajs has no name for). */
export function hasKafkaType(err: unknown, types: ReadonlySet<string>, codes: ReadonlySet<number> = NO_CODES): boolean {
  return errorChain(err).some((e) => {
    const type = typeOf(e);
    const { code } = e as { code?: unknown };
    return (type !== undefined && types.has(type)) || (typeof code === 'number' && codes.has(code));
  });
}

const NO_CODES: ReadonlySet<number> = new Set();

/** The first error of the chain whose class name is one of `names`, e.g. KafkaJSConnectionError. */
export function findKafkaError(err: unknown, names: ReadonlySet<string>): Error | undefined {
  return findInChain(err, (e): e is Error => e instanceof Error && names.has(e.name));
}

const SASL_ERRORS = new Set(['KafkaJSSASLAuthenticationError']);
/** A refused login, and what a listener without SASL answers a client that tries it. */
const SASL_TYPES = new Set(['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM']);

/** The error of the chain that says the broker did not take our SASL login. */
export function findSaslFailure(err: unknown): Error | undefined {
  return findInChain(
    err,
    (e): e is Error => e instanceof Error && (SASL_ERRORS.has(e.name) || SASL_TYPES.has(typeOf(e) ?? '')),
  );
}

/** A kafkajs error for a message: "TYPE: message" for a broker's answer, the message for kafkajs' own errors. */
export function describeKafkaError(e: Error): string {
  const type = typeOf(e);
  return type === undefined ? e.message : `${type}: ${e.message}`;
}

function typeOf(e: object): string | undefined {
  const { type } = e as { type?: unknown };
  return typeof type === 'string' ? type : undefined;
}
