import { SchemaRegistryError, type CompatibilityLevel, type SchemaRegistryClient } from './schema-registry.js';

export interface CachedSchemaRegistryOptions {
  /** how long an id the registry does not know is answered from memory; default 30 s */
  unknownIdTtlMs?: number;
  /** unknown ids remembered at most (the oldest is forgotten first); default 10,000 */
  maxUnknownIds?: number;
  /** clock, for tests */
  now?: () => number;
}

const DEFAULT_UNKNOWN_ID_TTL_MS = 30_000;
const DEFAULT_MAX_UNKNOWN_IDS = 10_000;

/**
 * What the registry client remembers on top of the HTTP calls. Schemas found by id are kept
 * by their user, AvroDecoder (with one request per id in flight); this keeps the failures:
 * ids the registry does not have (404) are remembered for a while, so a flood of records
 * naming one bad id costs one request, not one each; the while is short because a producer
 * may register that id just after. Outages are not remembered. Also remembers the ids
 * returned by register/lookup for a (subject, schema) pair.
 */
export class CachedSchemaRegistryClient implements SchemaRegistryClient {
  private readonly idBySubjectSchema = new Map<string, number>();
  /** insertion order is age order: the first key is the oldest */
  private readonly unknownIds = new Map<number, { error: SchemaRegistryError; until: number }>();
  private readonly unknownIdTtlMs: number;
  private readonly maxUnknownIds: number;
  private readonly now: () => number;

  constructor(
    private readonly inner: SchemaRegistryClient,
    options: CachedSchemaRegistryOptions = {},
  ) {
    this.unknownIdTtlMs = options.unknownIdTtlMs ?? DEFAULT_UNKNOWN_ID_TTL_MS;
    this.maxUnknownIds = options.maxUnknownIds ?? DEFAULT_MAX_UNKNOWN_IDS;
    this.now = options.now ?? Date.now;
  }

  async getSchemaById(id: number): Promise<string> {
    const unknown = this.unknownIds.get(id);
    if (unknown !== undefined) {
      if (unknown.until > this.now()) throw unknown.error;
      this.unknownIds.delete(id);
    }
    try {
      return await this.inner.getSchemaById(id);
    } catch (error) {
      if (error instanceof SchemaRegistryError && error.notFound) this.rememberUnknown(id, error);
      throw error;
    }
  }

  register(subject: string, schema: string): Promise<number> {
    return this.rememberId(subject, schema, () => this.inner.register(subject, schema));
  }

  lookup(subject: string, schema: string): Promise<number> {
    return this.rememberId(subject, schema, () => this.inner.lookup(subject, schema));
  }

  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void> {
    return this.inner.setCompatibility(subject, level);
  }

  private rememberUnknown(id: number, error: SchemaRegistryError): void {
    this.unknownIds.delete(id);
    if (this.unknownIds.size >= this.maxUnknownIds) {
      const oldest = this.unknownIds.keys().next();
      if (oldest.done !== true) this.unknownIds.delete(oldest.value);
    }
    this.unknownIds.set(id, { error, until: this.now() + this.unknownIdTtlMs });
  }

  private async rememberId(subject: string, schema: string, fetchId: () => Promise<number>): Promise<number> {
    // JSON.stringify of the pair cannot collide, unlike a plain separator.
    const key = JSON.stringify([subject, schema]);
    const known = this.idBySubjectSchema.get(key);
    if (known !== undefined) return known;
    const id = await fetchId();
    this.idBySubjectSchema.set(key, id);
    return id;
  }
}
