import { redactUrl } from '../config/redact.js';
import { splitUrlCredentials } from '../config/url-credentials.js';
import { cappedGet, type CappedAnswer } from './capped-get.js';
import { createRegistryApi, readApiFailure, type RegistryApi, type RegistryApiResponse } from './registry-api.js';
import type { RegistryAuthObserver } from './registry-auth-watch.js';
import {
  type CompatibilityLevel,
  type RegistryOperation,
  type SchemaRegistryClient,
  RegistryAuthError,
  SchemaRegistryError,
} from './schema-registry.js';

export interface HttpSchemaRegistryOptions {
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:8081 or .../apis/ccompat/v7 */
  url: string;
  /** basic auth; the configuration moves credentials given in the URL here (withRegistryCredentialsFromUrl) */
  username?: string | undefined;
  password?: string | undefined;
  /** per-request timeout; a timeout is a retriable error */
  timeoutMs?: number;
  /** told whether each answer accepted our credentials (readiness, exit on a lasting 401/403) */
  authObserver?: RegistryAuthObserver | undefined;
}

/** Names us in the User-Agent the library sends. */
const CLIENT_ID = 'churn-scorer';
/** A schema-by-id answer longer than this is not read on (a 2xx one is an error). */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_TEXT_IN_ERROR = 2_000;
/** Answers the registry gives only to a caller it has authenticated. */
const AUTHENTICATED_STATUSES = new Set([404, 409, 422]);
const NO_CREDENTIALS =
  'no credentials are configured: set registry.username/password (SCHEMA_REGISTRY_USERNAME/_PASSWORD) ' +
  'or put them in the URL (http://user:password@host/...)';

interface CallContext {
  operation: RegistryOperation;
  subject?: string;
  schemaId?: number;
}

/** How a call failed, whichever HTTP client made it. */
interface Failure {
  method: string;
  url: string;
  /** undefined when no answer came (refused, reset, name not resolved, timed out) */
  status: number | undefined;
  /** what the registry said, or why no answer came */
  detail: string | undefined;
  body?: string;
  cause?: unknown;
}

/**
 * SchemaRegistryClient over the Confluent REST API: the subject and config calls go through
 * @kafkajs/confluent-schema-registry's API client; the schema-by-id lookup, which the records we
 * consume choose, through a GET with a size cap (docs/decisions/0001-registry-client.md).
 * No caching here: wrap it in CachedSchemaRegistryClient.
 */
export class HttpSchemaRegistryClient implements SchemaRegistryClient {
  /** without credentials, so safe in every message */
  private readonly baseUrl: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;
  private readonly authObserver: RegistryAuthObserver | undefined;
  private readonly api: RegistryApi;

  constructor(options: HttpSchemaRegistryOptions) {
    if (hasCredentials(options.url)) {
      throw new Error(
        `schema registry URL ${redactUrl(options.url)} has credentials in it: give them as username/password`,
      );
    }
    const auth = options.username ? { username: options.username, password: options.password ?? '' } : undefined;
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.authorization = auth && `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.authObserver = options.authObserver;
    this.api = createRegistryApi({
      host: this.baseUrl,
      clientId: CLIENT_ID,
      ...(auth && { auth }),
      // One attempt per call (the library would retry a GET 3 times): a failed record is retried by
      // the stream (its transaction aborts) and start-up waits for the registry itself.
      retry: { retries: 0 },
    });
  }

  async getSchemaById(id: number): Promise<string> {
    const context: CallContext = { operation: 'getSchemaById', schemaId: id };
    const request = { method: 'GET', url: `${this.baseUrl}/schemas/ids/${id}` };
    let answer: CappedAnswer;
    try {
      answer = await cappedGet(request.url, {
        headers: {
          Accept: 'application/vnd.schemaregistry.v1+json',
          ...(this.authorization && { Authorization: this.authorization }),
        },
        timeoutMs: this.timeoutMs,
        maxBytes: MAX_RESPONSE_BYTES,
      });
    } catch (cause) {
      throw this.failed(context, { ...request, status: undefined, detail: causeMessage(cause), cause });
    }
    const { status, text, overLimit } = answer;
    const body = overLimit ? undefined : parseJson(text);
    const excerpt = text.slice(0, MAX_TEXT_IN_ERROR);
    if (status < 200 || status >= 300) {
      const message = field(body, 'message');
      const detail = typeof message === 'string' ? message : undefined;
      throw this.failed(context, { ...request, status, detail, body: excerpt });
    }
    this.authObserver?.accepted();
    if (overLimit) {
      throw new SchemaRegistryError(
        `${describe(context)}: GET ${request.url} answered with a body over the limit of ${MAX_RESPONSE_BYTES} bytes`,
        { ...context, status, retriable: false, responseTooLarge: true, body: excerpt },
      );
    }
    return readField(body ?? text, 'schema', 'string', context);
  }

  async register(subject: string, schema: string): Promise<number> {
    const context: CallContext = { operation: 'register', subject };
    const body = await this.send(context, (signal) => this.api.Subject.register({ subject, body: { schema }, signal }));
    return readField(body, 'id', 'number', context);
  }

  async lookup(subject: string, schema: string): Promise<number> {
    const context: CallContext = { operation: 'lookup', subject };
    const body = await this.send(context, (signal) =>
      this.api.Subject.registered({ subject, body: { schema }, signal }),
    );
    return readField(body, 'id', 'number', context);
  }

  async setCompatibility(subject: string, compatibility: CompatibilityLevel): Promise<void> {
    const context: CallContext = { operation: 'setCompatibility', subject };
    await this.send(context, (signal) => this.api.Subject.updateConfig({ subject, body: { compatibility }, signal }));
  }

  /** One call through the library: the answer's parsed JSON, or a SchemaRegistryError. */
  private async send(
    context: CallContext,
    call: (signal: AbortSignal) => Promise<RegistryApiResponse>,
  ): Promise<unknown> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    let response: RegistryApiResponse;
    try {
      response = await call(signal);
    } catch (error) {
      const failure = readApiFailure(error, CLIENT_ID);
      // Not an answer but a fault in building the request: it goes up as it is.
      if (failure === undefined) throw error;
      if (failure.status !== undefined) throw this.failed(context, { ...failure, detail: clip(failure.detail) });
      const reason = signal.aborted ? `timed out after ${this.timeoutMs} ms` : failure.detail;
      // An Error of its own as the cause: start-up reports the innermost cause, the socket error.
      throw this.failed(context, { ...failure, detail: reason, cause: new Error(reason) });
    }
    this.authObserver?.accepted();
    return response.data<unknown>();
  }

  /** The error for a failed call; tells the observer whether the registry took our credentials. */
  private failed(context: CallContext, { method, url, status, detail, body, cause }: Failure): SchemaRegistryError {
    const said = detail === undefined ? '' : `: ${detail}`;
    const details = { ...context, status, body, cause };
    if (status === undefined) {
      return new SchemaRegistryError(`${describe(context)}: ${method} ${url} failed${said}`, details);
    }
    if (status === 401 || status === 403) {
      const path = url.startsWith(this.baseUrl) ? url.slice(this.baseUrl.length) : url;
      const error = new RegistryAuthError(
        `schema registry refused our credentials (${status}) at ${this.baseUrl}: ${method} ${path} ` +
          `(${describeCall(context)})${said}${this.authorization === undefined ? `; ${NO_CREDENTIALS}` : ''}`,
        details,
      );
      this.authObserver?.refused(error);
      return error;
    }
    if (AUTHENTICATED_STATUSES.has(status)) this.authObserver?.accepted();
    return new SchemaRegistryError(`${describe(context)}: ${method} ${url} answered ${status}${said}`, details);
  }
}

/** A URL with credentials would reach fetch, which refuses it, and messages. */
function hasCredentials(url: string): boolean {
  try {
    return splitUrlCredentials(url).username !== undefined;
  } catch {
    return true; // a malformed percent escape in the user-info
  }
}

/** e.g. "register, subject customers-value" */
function describeCall(context: CallContext): string {
  const parts: string[] = [context.operation];
  if (context.subject !== undefined) parts.push(`subject ${context.subject}`);
  if (context.schemaId !== undefined) parts.push(`schema id ${context.schemaId}`);
  return parts.join(', ');
}

function describe(context: CallContext): string {
  return `schema registry ${describeCall(context)}`;
}

function clip(text: string): string {
  return text.slice(0, MAX_TEXT_IN_ERROR);
}

function causeMessage(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // fetch reports "fetch failed" and keeps the useful part (ECONNREFUSED ...) in cause.
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  return `${cause.message}${inner}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function field(body: unknown, key: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
}

/** A field of a 2xx answer; its absence is a registry or proxy fault (retriable), not the record's. */
function readField<T extends 'string' | 'number'>(
  body: unknown,
  key: string,
  type: T,
  context: CallContext,
): T extends 'string' ? string : number {
  const value = field(body, key);
  if (typeof value === type) return value as T extends 'string' ? string : number;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
  throw new SchemaRegistryError(`${describe(context)}: response has no valid ${key}`, {
    ...context,
    retriable: true,
    body: clip(text),
  });
}
