import {
  type CompatibilityLevel,
  type RegistryOperation,
  type SchemaRegistryClient,
  SchemaRegistryError,
  type SubjectVersion,
} from './schema-registry.js';

export interface HttpSchemaRegistryOptions {
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:8081 or .../apis/ccompat/v7 */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** per-request timeout; a timeout is a retriable error */
  timeoutMs?: number;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const MAX_BODY_IN_ERROR = 2_000;

interface CallContext {
  operation: RegistryOperation;
  subject?: string;
  schemaId?: number;
}

/**
 * SchemaRegistryClient over the Confluent Schema Registry REST API, with Node's
 * fetch. No caching here: wrap it in CachedSchemaRegistryClient.
 */
export class HttpSchemaRegistryClient implements SchemaRegistryClient {
  private readonly baseUrl: string;
  private readonly authorization: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: HttpSchemaRegistryOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.authorization =
      options.username === undefined || options.username === ''
        ? undefined
        : `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async getSchemaById(id: number): Promise<string> {
    const body = await this.call('GET', `/schemas/ids/${id}`, undefined, { operation: 'getSchemaById', schemaId: id });
    return readString(body, 'schema', { operation: 'getSchemaById', schemaId: id });
  }

  async register(subject: string, schema: string): Promise<number> {
    const context: CallContext = { operation: 'register', subject };
    const body = await this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema }, context);
    return readNumber(body, 'id', context);
  }

  async lookup(subject: string, schema: string): Promise<number> {
    const context: CallContext = { operation: 'lookup', subject };
    const body = await this.call('POST', `/subjects/${encodeURIComponent(subject)}`, { schema }, context);
    return readNumber(body, 'id', context);
  }

  async getLatest(subject: string): Promise<SubjectVersion> {
    const context: CallContext = { operation: 'getLatest', subject };
    const body = await this.call('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`, undefined, context);
    return {
      subject: readString(body, 'subject', context),
      version: readNumber(body, 'version', context),
      id: readNumber(body, 'id', context),
      schema: readString(body, 'schema', context),
    };
  }

  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    await this.call('PUT', `/config/${encodeURIComponent(subject)}`, { compatibility: level }, {
      operation: 'setCompatibility',
      subject,
    });
  }

  async testCompatibility(subject: string, schema: string): Promise<boolean> {
    const context: CallContext = { operation: 'testCompatibility', subject };
    const body = await this.call(
      'POST',
      `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`,
      { schema },
      context,
    );
    const value = (body as Record<string, unknown>)['is_compatible'];
    if (typeof value !== 'boolean') throw malformed(context, 'is_compatible', body);
    return value;
  }

  private async call(method: string, path: string, payload: unknown, context: CallContext): Promise<unknown> {
    const headers: Record<string, string> = { Accept: CONTENT_TYPE };
    if (payload !== undefined) headers['Content-Type'] = CONTENT_TYPE;
    if (this.authorization !== undefined) headers['Authorization'] = this.authorization;
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: payload === undefined ? null : JSON.stringify(payload),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      throw new SchemaRegistryError(`${describe(context)}: ${method} ${url} failed: ${causeMessage(cause)}`, {
        ...context,
        cause,
      });
    }
    const parsed = parseJson(text);
    if (!response.ok) {
      const errorCode = numberField(parsed, 'error_code');
      const message = stringField(parsed, 'message');
      throw new SchemaRegistryError(
        `${describe(context)}: ${method} ${url} answered ${response.status}${message === undefined ? '' : `: ${message}`}`,
        {
          ...context,
          status: response.status,
          ...(errorCode === undefined ? {} : { errorCode }),
          body: text.slice(0, MAX_BODY_IN_ERROR),
        },
      );
    }
    if (parsed === undefined) throw malformed(context, 'JSON body', text);
    return parsed;
  }
}

function describe(context: CallContext): string {
  const parts: string[] = [`schema registry ${context.operation}`];
  if (context.subject !== undefined) parts.push(`subject ${context.subject}`);
  if (context.schemaId !== undefined) parts.push(`schema id ${context.schemaId}`);
  return parts.join(', ');
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

function numberField(body: unknown, key: string): number | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'number' ? value : undefined;
}

function stringField(body: unknown, key: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

function readNumber(body: unknown, key: string, context: CallContext): number {
  const value = numberField(body, key);
  if (value === undefined) throw malformed(context, key, body);
  return value;
}

function readString(body: unknown, key: string, context: CallContext): string {
  const value = stringField(body, key);
  if (value === undefined) throw malformed(context, key, body);
  return value;
}

function malformed(context: CallContext, what: string, body: unknown): SchemaRegistryError {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  // A 2xx with a body we cannot read is a registry or proxy fault, not the record's.
  return new SchemaRegistryError(`${describe(context)}: response has no valid ${what}`, {
    ...context,
    retriable: true,
    body: (text ?? '').slice(0, MAX_BODY_IN_ERROR),
  });
}
