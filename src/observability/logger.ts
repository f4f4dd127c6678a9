import { isatty } from 'node:tty';
import { pino, type DestinationStream, type Logger } from 'pino';
import PinoPretty from 'pino-pretty';
import type { LogFormat } from '../config/config-schema.js';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** Service name, added to every line as `name`. */
  name: string;
  /** pino level: trace | debug | info | warn | error | fatal | silent. */
  level: string;
  /** auto (the default): human-readable when the lines go to a terminal, JSON lines otherwise. */
  format?: LogFormat | undefined;
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
  'config.http.auth.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

/**
 * Structured logger shared by every command; one per process, passed down explicitly. JSON lines unless the
 * format asks for pretty output (or is auto and stdout is a terminal).
 */
export function createLogger(settings: LoggerSettings): Logger {
  return buildLogger(settings, settings.destination === undefined ? { fd: 1 } : { stream: settings.destination });
}

/** A pino logger writing to stderr synchronously, for commands whose stdout is data (score, model info). */
export function createStderrLogger(settings: Omit<LoggerSettings, 'destination'>): Logger {
  return buildLogger(settings, { fd: 2 });
}

/** Pretty output is for people: asked for explicitly, or auto on a terminal. Machines (files, pipes) get JSON. */
export function usesPrettyFormat(format: LogFormat, isTerminal: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && isTerminal);
}

type LogOutput = { fd: 1 | 2 } | { stream: DestinationStream };

/**
 * fastify logs "Server listening at <url>" itself, once per interface, and offers no switch; the side-port logs one
 * line of its own with the bound host (src/http/listen.ts callers), so fastify's is dropped here.
 */
function dropFastifyListeningLine(this: pino.Logger, args: Parameters<pino.LogFn>, method: pino.LogFn): void {
  const [first] = args;
  if (typeof first === 'string' && first.startsWith('Server listening at ')) return;
  method.apply(this, args);
}

function buildLogger(settings: LoggerSettings, output: LogOutput): Logger {
  const options = {
    name: settings.name,
    level: settings.level,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: { logMethod: dropFastifyListeningLine },
  };
  // isatty, not process.stdout.isTTY: the latter is undefined (not false) on a pipe, whatever its type says.
  const isTerminal = 'fd' in output && isatty(output.fd);
  if (usesPrettyFormat(settings.format ?? 'auto', isTerminal)) {
    // Formatted on the main thread, synchronously, so no line is lost at process.exit and the order with
    // stderr is kept. Only a person at a terminal (or LOG_FORMAT=pretty) pays for it; services get JSON.
    const pretty = PinoPretty({
      destination: 'fd' in output ? output.fd : output.stream,
      sync: true,
      colorize: isTerminal,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name,component',
      messageFormat: '{if component}{component}: {end}{msg}',
      singleLine: true,
    });
    return pino(options, pretty);
  }
  if ('stream' in output) return pino(options, output.stream);
  return output.fd === 1 ? pino(options) : pino(options, pino.destination({ fd: 2, sync: true }));
}
