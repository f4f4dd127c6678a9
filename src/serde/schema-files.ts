import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { REPO_PATHS } from '../config/repo-paths.js';
import { ScorerError } from '../errors/scorer-error.js';

/** The repository's schemas/ directory. */
export const SCHEMAS_DIR = REPO_PATHS.schemasDir;

export const CUSTOMER_EVENT_SCHEMA_FILE = 'customer-event.avsc';
export const CHURN_PREDICTION_SCHEMA_FILE = 'churn-prediction.avsc';
export const DRIFT_WINDOW_SCHEMA_FILE = 'drift-window.avsc';
export const CUSTOMER_OUTCOME_SCHEMA_FILE = 'customer-outcome.avsc';
export const PREDICTION_OUTCOME_SCHEMA_FILE = 'prediction-outcome.avsc';

export interface AvroSchemaFile {
  /** absolute path of the .avsc file */
  path: string;
  /** full name, e.g. "churn.CustomerEvent" */
  fullName: string;
  /** compact JSON text, as sent to the registry */
  text: string;
  type: avro.Type;
}

/** An Avro schema file (or text) that cannot be read or is not a valid Avro schema. */
export class SchemaFileError extends ScorerError {
  static override readonly code = 'CHURN_ERR_SCHEMA_FILE';
  override readonly name = 'SchemaFileError';
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/** Reads and parses one .avsc file (synchronously: start-up only). */
export function loadSchemaFile(fileName: string, dir: string = SCHEMAS_DIR): AvroSchemaFile {
  const path = join(dir, fileName);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (cause) {
    throw new SchemaFileError(path, `cannot read schema JSON: ${(cause as Error).message}`, { cause });
  }
  return parseSchema(json, path);
}

/** Parses an Avro schema given as JSON text or a parsed object. */
export function parseSchema(schema: unknown, origin = '<inline schema>'): AvroSchemaFile {
  let json: unknown = schema;
  try {
    if (typeof schema === 'string') json = JSON.parse(schema) as unknown;
  } catch (cause) {
    throw new SchemaFileError(origin, `not JSON: ${(cause as Error).message}`, { cause });
  }
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(json as avro.Schema);
  } catch (cause) {
    throw new SchemaFileError(origin, `not a valid Avro schema: ${(cause as Error).message}`, { cause });
  }
  return { path: origin, fullName: type.name ?? type.typeName, text: JSON.stringify(json), type };
}

export function customerEventSchema(dir?: string): AvroSchemaFile {
  return loadSchemaFile(CUSTOMER_EVENT_SCHEMA_FILE, dir);
}

export function churnPredictionSchema(dir?: string): AvroSchemaFile {
  return loadSchemaFile(CHURN_PREDICTION_SCHEMA_FILE, dir);
}

export function driftWindowSchema(dir?: string): AvroSchemaFile {
  return loadSchemaFile(DRIFT_WINDOW_SCHEMA_FILE, dir);
}

export function customerOutcomeSchema(dir?: string): AvroSchemaFile {
  return loadSchemaFile(CUSTOMER_OUTCOME_SCHEMA_FILE, dir);
}

export function predictionOutcomeSchema(dir?: string): AvroSchemaFile {
  return loadSchemaFile(PREDICTION_OUTCOME_SCHEMA_FILE, dir);
}
