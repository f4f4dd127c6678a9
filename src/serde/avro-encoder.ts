import avro from 'avsc';
import { ScorerError } from '../errors/scorer-error.js';
import type { SchemaRegistryClient } from './schema-registry.js';
import { HEADER_LENGTH, assertSchemaId, writeHeader } from './wire-format.js';

export interface AvroEncoderOptions {
  registry: SchemaRegistryClient;
  /** subject the schema is registered under, e.g. "predictions-value" (TopicNameStrategy) */
  subject: string;
  /** the writer schema: its compact JSON text and parsed type (see schema-files.ts) */
  schema: { text: string; type: avro.Type };
  /**
   * true: register the schema under the subject (idempotent: returns the
   * existing id when it is already there); false: only look it up, failing when
   * it is not registered (for deployments where producers may not register).
   */
  autoRegister: boolean;
}

/** A value that does not fit the writer schema; names the offending fields. */
export class EncodeError extends ScorerError {
  static override readonly code = 'CHURN_ERR_ENCODE';
  override readonly name = 'EncodeError';
  constructor(
    readonly schemaName: string,
    readonly invalidPaths: readonly string[],
  ) {
    super(`value does not match ${schemaName}: invalid ${invalidPaths.join(', ') || 'value'}`);
  }
}

const INITIAL_SCRATCH_BYTES = 16 * 1024;

/**
 * Encodes values into Confluent-framed Avro with the schema id registered for
 * the subject. Create with AvroEncoder.create(), which resolves the id once.
 */
export class AvroEncoder<T> {
  /** encoding happens in this reused buffer; each result is one exact-size copy */
  private scratch: Buffer = Buffer.allocUnsafe(INITIAL_SCRATCH_BYTES);

  private constructor(
    readonly subject: string,
    readonly schemaId: number,
    private readonly type: avro.Type,
  ) {
    assertSchemaId(schemaId);
  }

  static async create<T>(options: AvroEncoderOptions): Promise<AvroEncoder<T>> {
    const { registry, subject, schema } = options;
    const schemaId = options.autoRegister
      ? await registry.register(subject, schema.text)
      : await registry.lookup(subject, schema.text);
    return new AvroEncoder<T>(subject, schemaId, schema.type);
  }

  /** For callers that already know the id (e.g. tests, or an id from configuration). */
  static withSchemaId<T>(subject: string, schemaId: number, type: avro.Type): AvroEncoder<T> {
    return new AvroEncoder<T>(subject, schemaId, type);
  }

  encode(value: T): Buffer {
    let end: number;
    try {
      end = this.type.encode(value, this.scratch, HEADER_LENGTH);
    } catch {
      throw new EncodeError(this.type.name ?? this.type.typeName, invalidPaths(this.type, value));
    }
    if (end < 0) {
      // avsc returns minus the missing byte count when the buffer is too small.
      this.scratch = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.scratch.length - end));
      return this.encode(value);
    }
    const out = Buffer.allocUnsafe(end);
    writeHeader(out, this.schemaId);
    this.scratch.copy(out, HEADER_LENGTH, HEADER_LENGTH, end);
    return out;
  }
}

function invalidPaths(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, {
    errorHook: (path: string[]) => {
      paths.push(path.join('.'));
    },
  });
  return paths;
}
