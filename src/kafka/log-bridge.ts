import { logLevel, type logCreator, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

// kafkajs logs through its own interface; route it into our structured pino logger so
// broker-level events (rebalances, retries, fencing) land in the same stream as ours.
// kafkajs puts SASL credentials nowhere in its log entries, but we still never spread the
// whole entry: only the fields an operator needs.
export function pinoLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _ts, logger: _name, ...fields } = log;
      const safe = pickLoggable(fields);
      switch (level) {
        // kafkajs logs every retried protocol error (coordinator moving, broker restarting)
        // at ERROR; the failures that matter reach us as exceptions and CRASH events, which
        // we log at error ourselves.
        case logLevel.ERROR:
        case logLevel.WARN:
          kafkaLogger.warn(safe, message);
          break;
        case logLevel.INFO:
          kafkaLogger.info(safe, message);
          break;
        default:
          kafkaLogger.debug(safe, message);
      }
    };
}

const LOGGABLE_KEYS = [
  'namespace',
  'groupId',
  'memberId',
  'leaderId',
  'generationId',
  'topic',
  'partition',
  'offset',
  'broker',
  'clientId',
  'error',
  'retryCount',
  'retryTime',
  'transactionalId',
  'memberAssignment',
  'groupProtocol',
  'duration',
  'type',
  'code',
] as const;

function pickLoggable(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of LOGGABLE_KEYS) {
    if (fields[key] !== undefined) out[key] = fields[key];
  }
  return out;
}
