import type { ErrorCode } from '../errors/error-codes.js';
import { ScorerError } from '../errors/scorer-error.js';

/**
 * The schema registry as the codec sees it (a port). Implemented over the
 * Confluent REST API by HttpSchemaRegistryClient; unit tests use an in-process fake.
 */
export type CompatibilityLevel =
  'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';

export interface SchemaRegistryClient {
  /** Schema JSON text of a schema id. Rejects with SchemaRegistryError (notFound for an unknown id). */
  getSchemaById(id: number): Promise<string>;
  /** Registers (or finds the existing identical) schema under the subject; returns its id. */
  register(subject: string, schema: string): Promise<number>;
  /** Id of a schema already registered under the subject, without registering. */
  lookup(subject: string, schema: string): Promise<number>;
  setCompatibility(subject: string, level: CompatibilityLevel): Promise<void>;
}

export type RegistryOperation = 'getSchemaById' | 'register' | 'lookup' | 'setCompatibility';

interface SchemaRegistryErrorDetails {
  operation: RegistryOperation;
  subject?: string;
  schemaId?: number;
  /** HTTP status; undefined when no response came (connection refused, timeout) */
  status?: number;
  /** response body (truncated) */
  body?: string;
  /** a 2xx response whose body was over the client's size cap */
  responseTooLarge?: boolean;
  /** overrides the status-based classification */
  retriable?: boolean;
  cause?: unknown;
}

/**
 * A registry call that failed. `retriable` is true when the registry could not
 * answer (no connection, timeout, 5xx, 429): the record is fine and must not be
 * dead-lettered; the caller should back off and try again.
 */
export class SchemaRegistryError extends ScorerError {
  static override readonly code: ErrorCode = 'CHURN_ERR_REGISTRY';
  override readonly name: string = 'SchemaRegistryError';
  readonly operation: RegistryOperation;
  readonly subject: string | undefined;
  readonly schemaId: number | undefined;
  readonly status: number | undefined;
  readonly body: string | undefined;
  readonly responseTooLarge: boolean;

  constructor(message: string, details: SchemaRegistryErrorDetails) {
    const retriable =
      details.retriable ??
      (details.status === undefined || details.status >= 500 || details.status === 429 || details.status === 408);
    super(message, details.cause === undefined ? { retriable } : { cause: details.cause, retriable });
    this.operation = details.operation;
    this.subject = details.subject;
    this.schemaId = details.schemaId;
    this.status = details.status;
    this.body = details.body;
    this.responseTooLarge = details.responseTooLarge === true;
  }

  get notFound(): boolean {
    return this.status === 404;
  }

  /** The registry refused our credentials (401) or what they allow (403): no retry mends that. */
  get credentialsRefused(): boolean {
    return this.status === 401 || this.status === 403;
  }

  /** The registry refused a schema as incompatible with the subject's earlier versions. */
  get incompatible(): boolean {
    return this.status === 409;
  }
}

/** The registry refused our credentials (401) or what they allow (403), as the HTTP client reports it. */
export class RegistryAuthError extends SchemaRegistryError {
  static override readonly code: ErrorCode = 'CHURN_ERR_REGISTRY_AUTH';
  override readonly name = 'RegistryAuthError';
}

/** Subject of a topic's record values under the TopicNameStrategy ("<topic>-value"). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
