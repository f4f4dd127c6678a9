export type { CustomerEvent, ChurnPrediction } from './avro-records.js';
export { AvroDecoder, type AvroDecoderOptions } from './avro-decoder.js';
export { AvroEncoder, EncodeError, type AvroEncoderOptions } from './avro-encoder.js';
export { CachedSchemaRegistryClient } from './cached-schema-registry.js';
export { DECODE_REASONS, DecodeError, isDecodeError, type DecodeErrorContext, type DecodeReason } from './decode-error.js';
export { HttpSchemaRegistryClient, type HttpSchemaRegistryOptions } from './http-schema-registry.js';
export {
  CHURN_PREDICTION_SCHEMA_FILE,
  CUSTOMER_EVENT_SCHEMA_FILE,
  SCHEMAS_DIR,
  SchemaFileError,
  churnPredictionSchema,
  customerEventSchema,
  loadSchemaFile,
  parseSchema,
  type AvroSchemaFile,
} from './schema-files.js';
export { registerWithCompatibility } from './schema-registration.js';
export {
  SchemaRegistryError,
  isRetriableRegistryError,
  valueSubject,
  type CompatibilityLevel,
  type RegistryOperation,
  type SchemaRegistryClient,
  type SchemaRegistryErrorDetails,
  type SubjectVersion,
} from './schema-registry.js';
export { HEADER_LENGTH, MAGIC_BYTE, frame, parseFrame, readSchemaId, writeHeader, type Frame } from './wire-format.js';
