import { createRequire } from 'node:module';
import type {
  SchemaRegistryAPIClient,
  SchemaRegistryAPIClientArgs,
} from '@kafkajs/confluent-schema-registry/dist/api/index.js';

/**
 * @kafkajs/confluent-schema-registry's API client (mappersmith over node:http): the registry's REST
 * resources, JSON bodies, basic auth, User-Agent. Its module is CommonJS with an __esModule default,
 * which Node's ESM loader and Vite's (vitest) import differently, so it is required.
 */
export const createRegistryApi = (
  createRequire(import.meta.url)('@kafkajs/confluent-schema-registry/dist/api/index.js') as {
    default: (args: SchemaRegistryAPIClientArgs) => SchemaRegistryAPIClient;
  }
).default;

export type RegistryApi = SchemaRegistryAPIClient;
export type RegistryApiResponse = Awaited<ReturnType<RegistryApi['Schema']['find']>>;

/** How a call through the API client failed. */
export interface ApiFailure {
  /** e.g. POST */
  method: string;
  /** the request URL */
  url: string;
  /** undefined when no answer came (refused, reset, name not resolved, aborted) */
  status: number | undefined;
  /** what the registry said, or why no answer came */
  detail: string;
}

/**
 * Reads the library's error (ResponseError, which it does not export): it keeps the status, the
 * request as "method URL" and the message "<clientId> - <the registry's message>". mappersmith
 * reports a call that got no answer as a 400 whose message is the socket error's; the registry API
 * answers none of our requests 400 (docs/decisions/0001-registry-client.md), so a 400 is no answer.
 * Anything else is not an answer at all: undefined.
 */
export function readApiFailure(error: unknown, clientId: string): ApiFailure | undefined {
  if (!(error instanceof Error) || error.name !== 'ResponseError') return undefined;
  const { status, url: request } = error as Error & { status?: unknown; url?: unknown };
  if (typeof status !== 'number' || typeof request !== 'string') return undefined;
  const [method = '', url = ''] = request.split(' ');
  const said = withoutPrefix(error.message, `${clientId} - `);
  return status === 400
    ? { method: method.toUpperCase(), url, status: undefined, detail: withoutPrefix(said, 'Error, status 400: ') }
    : { method: method.toUpperCase(), url, status, detail: said };
}

function withoutPrefix(text: string, prefix: string): string {
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}
