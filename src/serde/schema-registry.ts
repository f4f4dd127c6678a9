/**
 * The schema registry as the codec sees it (a port). Implemented over the
 * Confluent REST API by HttpSchemaRegistryClient; tests use an in-process fake.
 */
export type CompatibilityLevel =
  | 'NONE'
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE';

export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  /** schema JSON text */
  schema: string;
}

export interface SchemaRegistryClient {
  /** Schema JSON text of a schema id. Rejects with SchemaRegistryError (notFound for an unknown id). */
  getSchemaById(id: number): Promise<string>;
  /** Registers (or finds the existing identical) schema under the subject; returns its id. */
  register(subject: string, schema: string): Promise<number>;
  /** Id of a schema already registered under the subject, without registering. */
  lookup(subject: string, schema: string): Promise<number>;
  getLatest(subject: string): Promise<SubjectVersion>;
  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
  /** Whether the schema could be registered as the subject's next version. */
  testCompatibility(subject: string, schema: string): Promise<boolean>;
}

export type RegistryOperation =
  | 'getSchemaById'
  | 'register'
  | 'lookup'
  | 'getLatest'
  | 'setCompatibility'
  | 'testCompatibility';

export interface SchemaRegistryErrorDetails {
  operation: RegistryOperation;
  subject?: string;
  schemaId?: number;
  /** HTTP status; undefined when no response came (connection refused, timeout) */
  status?: number;
  /** Confluent error_code from the body, e.g. 40403 schema not found, 409 incompatible */
  errorCode?: number;
  /** response body (truncated) */
  body?: string;
  /** overrides the status-based classification */
  retriable?: boolean;
  cause?: unknown;
}

/**
 * A registry call that failed. `retriable` is true when the registry could not
 * answer (no connection, timeout, 5xx, 429): the record is fine and must not be
 * dead-lettered; the caller should back off and try again.
 */
export class SchemaRegistryError extends Error {
  override readonly name = 'SchemaRegistryError';
  readonly operation: RegistryOperation;
  readonly subject: string | undefined;
  readonly schemaId: number | undefined;
  readonly status: number | undefined;
  readonly errorCode: number | undefined;
  readonly body: string | undefined;
  readonly retriable: boolean;

  constructor(message: string, details: SchemaRegistryErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.operation = details.operation;
    this.subject = details.subject;
    this.schemaId = details.schemaId;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.body = details.body;
    this.retriable =
      details.retriable ??
      (details.status === undefined || details.status >= 500 || details.status === 429 || details.status === 408);
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  /** The registry refused a schema as incompatible with the subject's earlier versions. */
  get incompatible(): boolean {
    return this.status === 409;
  }
}

export function isRetriableRegistryError(error: unknown): error is SchemaRegistryError {
  return error instanceof SchemaRegistryError && error.retriable;
}

/** Subject of a topic's record values under the TopicNameStrategy ("<topic>-value"). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
