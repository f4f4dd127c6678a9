import type { CompatibilityLevel, SchemaRegistryClient, SubjectVersion } from './schema-registry.js';

/**
 * Caches schemas by id forever (a registered schema id never changes its
 * schema), shares one in-flight request between concurrent lookups of the same
 * id, and forgets failures so the next lookup asks again. Also remembers the ids
 * returned by register/lookup for a (subject, schema) pair. Everything else
 * passes through.
 */
export class CachedSchemaRegistryClient implements SchemaRegistryClient {
  private readonly byId = new Map<number, string>();
  private readonly inFlightById = new Map<number, Promise<string>>();
  private readonly idBySubjectSchema = new Map<string, number>();

  constructor(private readonly inner: SchemaRegistryClient) {}

  /** Schema text of an id if it was fetched before; never calls the registry. */
  peekSchemaById(id: number): string | undefined {
    return this.byId.get(id);
  }

  getSchemaById(id: number): Promise<string> {
    const cached = this.byId.get(id);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = this.inFlightById.get(id);
    if (pending !== undefined) return pending;
    const request = this.inner.getSchemaById(id).then(
      (schema) => {
        this.byId.set(id, schema);
        this.inFlightById.delete(id);
        return schema;
      },
      (error: unknown) => {
        this.inFlightById.delete(id);
        throw error;
      },
    );
    this.inFlightById.set(id, request);
    return request;
  }

  async register(subject: string, schema: string): Promise<number> {
    return this.rememberId(subject, schema, () => this.inner.register(subject, schema));
  }

  async lookup(subject: string, schema: string): Promise<number> {
    return this.rememberId(subject, schema, () => this.inner.lookup(subject, schema));
  }

  getLatest(subject: string): Promise<SubjectVersion> {
    return this.inner.getLatest(subject);
  }

  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    return this.inner.setCompatibility(subject, level);
  }

  testCompatibility(subject: string, schema: string): Promise<boolean> {
    return this.inner.testCompatibility(subject, schema);
  }

  private async rememberId(subject: string, schema: string, fetchId: () => Promise<number>): Promise<number> {
    // JSON.stringify of the pair cannot collide, unlike a plain separator.
    const key = JSON.stringify([subject, schema]);
    const known = this.idBySubjectSchema.get(key);
    if (known !== undefined) return known;
    const id = await fetchId();
    this.idBySubjectSchema.set(key, id);
    this.byId.set(id, schema);
    return id;
  }
}
