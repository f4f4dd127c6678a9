import {
  type CompatibilityLevel,
  type RegistryOperation,
  type SchemaRegistryClient,
  SchemaRegistryError,
} from '../../../src/serde/schema-registry.js';
import { must } from '../../support/must.js';

/** `body`'s result as a promise, rejected when it throws: how the real, asynchronous client fails. */
function answer<T>(body: () => T): Promise<T> {
  return new Promise((resolve) => {
    resolve(body());
  });
}

/**
 * In-process stand-in for our SchemaRegistryClient port: a map of ids to
 * schemas, with call counters and a switch that simulates an outage (the
 * errors the HTTP client raises when the registry is down). No compatibility
 * checking: that is the real registry's job and is covered by the integration test.
 */
export class FakeSchemaRegistry implements SchemaRegistryClient {
  private nextId = 1;
  private readonly schemas = new Map<number, string>();
  private readonly subjects = new Map<string, number[]>();
  readonly compatibility = new Map<string, CompatibilityLevel>();
  readonly calls = { getSchemaById: 0, register: 0, lookup: 0 };
  /** when set, every call fails as if the registry were unreachable */
  outage: 'connection-refused' | 'http-503' | undefined;
  /** when set, getSchemaById waits for this promise before answering */
  gate: Promise<void> | undefined;

  /** Puts a schema under a chosen id, as a registry filled by another producer would have it. */
  put(id: number, schema: string): void {
    this.schemas.set(id, schema);
    this.nextId = Math.max(this.nextId, id + 1);
  }

  async getSchemaById(id: number): Promise<string> {
    this.calls.getSchemaById += 1;
    if (this.gate !== undefined) await this.gate;
    this.failIfDown('getSchemaById', { schemaId: id });
    const schema = this.schemas.get(id);
    if (schema === undefined) {
      throw new SchemaRegistryError(`schema registry getSchemaById, schema id ${id}: answered 404: Schema not found`, {
        operation: 'getSchemaById',
        schemaId: id,
        status: 404,
        body: '{"error_code":40403,"message":"Schema not found"}',
      });
    }
    return schema;
  }

  register(subject: string, schema: string): Promise<number> {
    return answer(() => {
      this.calls.register += 1;
      this.failIfDown('register', { subject });
      const existing = this.findInSubject(subject, schema);
      if (existing !== undefined) return existing;
      const id = this.nextId++;
      this.schemas.set(id, schema);
      this.subjects.set(subject, [...(this.subjects.get(subject) ?? []), id]);
      return id;
    });
  }

  lookup(subject: string, schema: string): Promise<number> {
    return answer(() => {
      this.calls.lookup += 1;
      this.failIfDown('lookup', { subject });
      const existing = this.findInSubject(subject, schema);
      if (existing === undefined) {
        throw new SchemaRegistryError(`schema registry lookup, subject ${subject}: answered 404`, {
          operation: 'lookup',
          subject,
          status: 404,
        });
      }
      return existing;
    });
  }

  /** The subject's latest version, for assertions (not part of the port). */
  latest(subject: string): { version: number; id: number; schema: string } | undefined {
    const ids = this.subjects.get(subject) ?? [];
    const id = ids[ids.length - 1];
    return id === undefined
      ? undefined
      : { version: ids.length, id, schema: must(this.schemas.get(id), `the schema of id ${id}`) };
  }

  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    return answer(() => {
      this.failIfDown('setCompatibility', { subject });
      this.compatibility.set(subject, level);
    });
  }

  private findInSubject(subject: string, schema: string): number | undefined {
    return (this.subjects.get(subject) ?? []).find((id) => this.schemas.get(id) === schema);
  }

  private failIfDown(operation: RegistryOperation, where: { schemaId?: number; subject?: string }): void {
    if (this.outage === 'connection-refused') {
      throw new SchemaRegistryError(`schema registry ${operation}: fetch failed: connect ECONNREFUSED 127.0.0.1:8081`, {
        operation,
        ...where,
      });
    }
    if (this.outage === 'http-503') {
      throw new SchemaRegistryError(`schema registry ${operation}: answered 503`, {
        operation,
        ...where,
        status: 503,
        body: 'Service Unavailable',
      });
    }
  }
}
