import avro from 'avsc';
import { AvroWalkError, compileBoundedWalk, needsBoundedWalk, type AvroWalk } from './bounded-avro-walk.js';
import { DecodeError } from './decode-error.js';
import type { SchemaRegistryClient } from './schema-registry.js';
import { SchemaRegistryError } from './schema-registry.js';
import { HEADER_LENGTH, readSchemaId } from './wire-format.js';

type Resolver = ReturnType<avro.Type['createResolver']>;

/**
 * What we learnt about one writer schema id; ids are immutable, so this is kept forever.
 * `walk` is set for writer schemas whose decoding avsc does not bound by the byte count
 * (arrays, maps, recursion): their bytes are checked by it before avsc reads them.
 */
type WriterResolution =
  | { ok: true; resolver: Resolver; walk: AvroWalk | undefined }
  | { ok: false; reason: 'schema-mismatch'; detail: string };

export interface AvroDecoderOptions {
  registry: SchemaRegistryClient;
  /** the schema this application reads with (e.g. customerEventSchema().type) */
  readerType: avro.Type;
}

/**
 * Decodes Confluent-framed Avro into values of the reader schema, resolving
 * each writer schema (fetched by id from the registry) into the reader schema.
 *
 * Outcomes of decode():
 * - the value;
 * - rejects with DecodeError: the record is bad (dead-letter it);
 * - rejects with SchemaRegistryError: the registry failed; when `retriable`
 *   the record is fine and should be retried after a back-off.
 *
 * After a writer id has been seen once, decoding makes no registry call and
 * allocates only what avsc needs for the value.
 */
export class AvroDecoder<T> {
  private readonly registry: SchemaRegistryClient;
  private readonly readerType: avro.Type;
  private readonly resolutions = new Map<number, WriterResolution>();
  private readonly pending = new Map<number, Promise<WriterResolution>>();

  constructor(options: AvroDecoderOptions) {
    this.registry = options.registry;
    this.readerType = options.readerType;
  }

  async decode(bytes: Buffer | null | undefined): Promise<T> {
    const schemaId = readSchemaId(bytes);
    if (schemaId instanceof DecodeError) throw schemaId;
    const buf = bytes as Buffer;
    const resolution = this.resolutions.get(schemaId) ?? (await this.resolve(schemaId, buf.length));
    return this.decodeWith(resolution, buf, schemaId);
  }

  /**
   * Decodes without awaiting when the writer schema of `bytes` is already
   * resolved; returns undefined when it is not (call decode() then). Throws
   * DecodeError like decode().
   */
  decodeIfResolved(bytes: Buffer | null | undefined): T | undefined {
    const schemaId = readSchemaId(bytes);
    if (schemaId instanceof DecodeError) throw schemaId;
    const resolution = this.resolutions.get(schemaId);
    return resolution === undefined ? undefined : this.decodeWith(resolution, bytes as Buffer, schemaId);
  }

  /** Fetches and resolves a writer schema ahead of the first record that uses it. */
  async warmUp(schemaId: number): Promise<void> {
    const resolution = this.resolutions.get(schemaId) ?? (await this.resolve(schemaId, 0));
    if (!resolution.ok) throw new DecodeError(resolution.reason, resolution.detail, { byteLength: 0, schemaId });
  }

  private decodeWith(resolution: WriterResolution, buf: Buffer, schemaId: number): T {
    if (!resolution.ok) {
      throw new DecodeError(resolution.reason, resolution.detail, { byteLength: buf.length, schemaId });
    }
    if (resolution.walk !== undefined) checkBounded(resolution.walk, buf, schemaId);
    let decoded: { value: unknown; offset: number };
    try {
      decoded = this.readerType.decode(buf, HEADER_LENGTH, resolution.resolver);
    } catch (cause) {
      // avsc throws on bytes that cannot be Avro for the writer schema, e.g. a
      // union or enum index out of range, or a long beyond 2^53.
      throw new DecodeError(
        'invalid-avro',
        `payload is not valid Avro: ${(cause as Error).message}`,
        {
          byteLength: buf.length,
          schemaId,
        },
        { cause },
      );
    }
    if (decoded.offset < 0) {
      // avsc also lands here for a negative string or bytes length.
      throw new DecodeError('truncated', 'Avro payload ends before the record does', {
        byteLength: buf.length,
        schemaId,
      });
    }
    if (decoded.offset !== buf.length) {
      throw new DecodeError('trailing-bytes', `${buf.length - decoded.offset} bytes left after the record`, {
        byteLength: buf.length,
        schemaId,
      });
    }
    return decoded.value as T;
  }

  private async resolve(schemaId: number, byteLength: number): Promise<WriterResolution> {
    let pending = this.pending.get(schemaId);
    if (pending === undefined) {
      pending = this.fetchAndResolve(schemaId).finally(() => this.pending.delete(schemaId));
      this.pending.set(schemaId, pending);
    }
    try {
      return await pending;
    } catch (error) {
      if (error instanceof SchemaRegistryError && error.notFound) {
        throw new DecodeError(
          'unknown-schema-id',
          `the schema registry has no schema ${schemaId}`,
          {
            byteLength,
            schemaId,
          },
          { cause: error },
        );
      }
      throw error;
    }
  }

  private async fetchAndResolve(schemaId: number): Promise<WriterResolution> {
    let resolution: WriterResolution;
    try {
      resolution = resolveWriter(this.readerType, await this.registry.getSchemaById(schemaId));
    } catch (error) {
      // A schema over the registry response cap stays over it: a property of the id, like a mismatch.
      if (!(error instanceof SchemaRegistryError && error.responseTooLarge)) throw error;
      resolution = {
        ok: false,
        reason: 'schema-mismatch',
        detail: `writer schema cannot be fetched: ${error.message}`,
      };
    }
    this.resolutions.set(schemaId, resolution);
    return resolution;
  }
}

function resolveWriter(readerType: avro.Type, writerSchemaText: string): WriterResolution {
  let writerType: avro.Type;
  try {
    writerType = avro.Type.forSchema(JSON.parse(writerSchemaText) as avro.Schema);
  } catch (cause) {
    return {
      ok: false,
      reason: 'schema-mismatch',
      detail: `writer schema is not an Avro schema: ${(cause as Error).message}`,
    };
  }
  let resolver: Resolver;
  try {
    resolver = readerType.createResolver(writerType);
  } catch (cause) {
    return {
      ok: false,
      reason: 'schema-mismatch',
      detail: `writer schema ${describeType(writerType)} cannot be read as ${describeType(readerType)}: ${(cause as Error).message}`,
    };
  }
  if (!needsBoundedWalk(writerType)) return { ok: true, resolver, walk: undefined };
  try {
    return { ok: true, resolver, walk: compileBoundedWalk(writerType) };
  } catch (cause) {
    return {
      ok: false,
      reason: 'schema-mismatch',
      detail: `writer schema ${describeType(writerType)}: ${(cause as Error).message}`,
    };
  }
}

/** Runs the bounded walk over the Avro body; a failure is the record's: invalid-avro or truncated. */
function checkBounded(walk: AvroWalk, buf: Buffer, schemaId: number): void {
  try {
    walk(buf, HEADER_LENGTH);
  } catch (cause) {
    const context = { byteLength: buf.length, schemaId };
    if (cause instanceof AvroWalkError && cause.kind === 'truncated') {
      throw new DecodeError('truncated', `Avro payload ends before the record does: ${cause.message}`, context);
    }
    // Anything else, including a stack overflow on a deeply recursive schema, is bad bytes.
    throw new DecodeError('invalid-avro', `payload is not valid Avro: ${(cause as Error).message}`, context, { cause });
  }
}

function describeType(type: avro.Type): string {
  return type.name ?? type.typeName;
}
