import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpSchemaRegistryClient } from '../../../src/serde/http-schema-registry.js';
import { SchemaRegistryError } from '../../../src/serde/schema-registry.js';

interface Recorded {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Replaces global fetch with canned answers (no sockets in the unit project) and records the requests. */
function stubFetch(answer: (request: Recorded) => Response | Promise<Response>): Recorded[] {
  const requests: Recorded[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    const request: Recorded = {
      url,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body: typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
    };
    requests.push(request);
    return answer(request);
  });
  return requests;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
  });
}

async function failure(promise: Promise<unknown>): Promise<SchemaRegistryError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SchemaRegistryError);
  return error as SchemaRegistryError;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('HttpSchemaRegistryClient (Confluent REST API)', () => {
  const client = new HttpSchemaRegistryClient({ url: 'http://registry.test:8081/apis/ccompat/v7/' });

  it('gets a schema by id', async () => {
    const requests = stubFetch(() => json(200, { schema: '"string"' }));
    expect(await client.getSchemaById(12)).toBe('"string"');
    expect(requests[0]).toMatchObject({ url: 'http://registry.test:8081/apis/ccompat/v7/schemas/ids/12', method: 'GET' });
    expect(requests[0]!.headers['Accept']).toBe('application/vnd.schemaregistry.v1+json');
    expect(requests[0]!.headers['Authorization']).toBeUndefined();
  });

  it('registers, looks up, reads the latest version, sets compatibility and tests compatibility', async () => {
    const requests = stubFetch((request) => {
      if (request.url.endsWith('/versions')) return json(200, { id: 5 });
      if (request.url.endsWith('/versions/latest') && request.method === 'GET')
        return json(200, { subject: 'a b-value', version: 3, id: 5, schema: '"int"' });
      if (request.url.includes('/compatibility/')) return json(200, { is_compatible: false });
      if (request.url.includes('/config/')) return json(200, { compatibility: 'BACKWARD' });
      return json(200, { subject: 'a b-value', version: 3, id: 5, schema: '"int"' });
    });
    expect(await client.register('a b-value', '"int"')).toBe(5);
    expect(await client.lookup('a b-value', '"int"')).toBe(5);
    expect(await client.getLatest('a b-value')).toEqual({ subject: 'a b-value', version: 3, id: 5, schema: '"int"' });
    await client.setCompatibility('a b-value', 'BACKWARD');
    expect(await client.testCompatibility('a b-value', '"int"')).toBe(false);

    const base = 'http://registry.test:8081/apis/ccompat/v7';
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `POST ${base}/subjects/a%20b-value/versions`,
      `POST ${base}/subjects/a%20b-value`,
      `GET ${base}/subjects/a%20b-value/versions/latest`,
      `PUT ${base}/config/a%20b-value`,
      `POST ${base}/compatibility/subjects/a%20b-value/versions/latest`,
    ]);
    expect(requests[0]!.body).toEqual({ schema: '"int"' });
    expect(requests[0]!.headers['Content-Type']).toBe('application/vnd.schemaregistry.v1+json');
    expect(requests[3]!.body).toEqual({ compatibility: 'BACKWARD' });
  });

  it('sends basic auth when a username is configured, and never puts the password in errors', async () => {
    const secure = new HttpSchemaRegistryClient({ url: 'http://registry.test', username: 'svc', password: 's3cr3t!' });
    const requests = stubFetch(() => json(401, { error_code: 40101, message: 'Unauthorized' }));
    const error = await failure(secure.getSchemaById(1));
    expect(requests[0]!.headers['Authorization']).toBe(`Basic ${Buffer.from('svc:s3cr3t!').toString('base64')}`);
    expect(error.status).toBe(401);
    expect(error.retriable).toBe(false);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('s3cr3t');
  });

  it('reports an unknown schema id as notFound with the id, status, error code and body', async () => {
    stubFetch(() => json(404, { error_code: 40403, message: 'Schema 77 not found' }));
    const error = await failure(client.getSchemaById(77));
    expect(error).toMatchObject({ operation: 'getSchemaById', schemaId: 77, status: 404, errorCode: 40403, notFound: true, retriable: false });
    expect(error.body).toContain('Schema 77 not found');
    expect(error.message).toContain('schema id 77');
    expect(error.message).toContain('404');
  });

  it('reports an incompatible schema (409) with the subject', async () => {
    stubFetch(() => json(409, { error_code: 409, message: 'Schema being registered is incompatible with an earlier schema' }));
    const error = await failure(client.register('customers-value', '"int"'));
    expect(error).toMatchObject({ subject: 'customers-value', status: 409, incompatible: true, retriable: false });
    expect(error.message).toContain('incompatible with an earlier schema');
  });

  it.each([500, 502, 503, 504, 429])('treats HTTP %i as retriable', async (status) => {
    stubFetch(() => new Response('upstream trouble', { status }));
    const error = await failure(client.getSchemaById(3));
    expect(error.retriable).toBe(true);
    expect(error.status).toBe(status);
    expect(error.body).toBe('upstream trouble');
  });

  it('treats a refused connection as retriable, keeping the cause in the message', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8081') });
    });
    const error = await failure(client.getSchemaById(3));
    expect(error).toMatchObject({ retriable: true, status: undefined, schemaId: 3 });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('treats a timeout as retriable', async () => {
    const slow = new HttpSchemaRegistryClient({ url: 'http://registry.test', timeoutMs: 20 });
    vi.stubGlobal('fetch', (_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      }),
    );
    const error = await failure(slow.getSchemaById(3));
    expect(error.retriable).toBe(true);
    expect(error.message).toMatch(/timeout|aborted/i);
  });

  it('treats a 200 without the expected field as a retriable registry fault', async () => {
    stubFetch(() => new Response('<html>proxy login</html>', { status: 200 }));
    const error = await failure(client.getSchemaById(3));
    expect(error.retriable).toBe(true);
    expect(error.body).toContain('proxy login');
  });
});
