import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** Service name, added to every line as `name`. */
  name: string;
  /** pino level: trace | debug | info | warn | error | fatal | silent. */
  level: string;
  /**
   * Where lines go. Defaults to stdout; the `score` command passes stderr because its stdout carries data.
   */
  destination?: DestinationStream;
}

/**
 * Paths that may carry credentials (config dumps, request headers). pino replaces them with "[redacted]"
 * so a secret never reaches a log line even when a whole object is logged by mistake.
 */
export const REDACTED_PATHS: readonly string[] = [
  'password',
  '*.password',
  '*.*.password',
  'config.kafka.sasl.password',
  'config.registry.password',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

/** Structured JSON logger shared by every command; one per process, passed down explicitly. */
export function createLogger(settings: LoggerSettings): Logger {
  const options = {
    name: settings.name,
    level: settings.level,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A pino logger writing to stderr synchronously, for commands whose stdout is data (score, model info). */
export function createStderrLogger(settings: Omit<LoggerSettings, 'destination'>): Logger {
  return createLogger({ ...settings, destination: pino.destination({ fd: 2, sync: true }) });
}
