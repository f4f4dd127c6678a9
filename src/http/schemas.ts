import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CustomerSchema } from '../contract/customer.js';

/*
 * Every schema the side-port documents, in one place. They are registered as shared schemas (by $id) so the
 * OpenAPI document names them under components.schemas and routes point at them with $ref.
 * Request bodies are NOT validated by these schemas (validateCustomer decides, so HTTP, CLI and stream agree);
 * response schemas drive fastify's serializer, so a response can only carry what is documented here.
 */

export const SCHEMA_IDS = {
  customer: 'Customer',
  batchRequest: 'BatchPredictionRequest',
  prediction: 'Prediction',
  batchItem: 'BatchPredictionItem',
  batchResponse: 'BatchPredictionResponse',
  error: 'Error',
  probe: 'ProbeStatus',
  model: 'ModelInfo',
} as const;

export function ref(id: string): TSchema {
  return Type.Unsafe({ $ref: `${id}#` });
}

const Probability = Type.Number({
  minimum: 0,
  maximum: 1,
  description: "Churn probability, as scikit-learn's predict_proba(X)[:, 1].",
});
const Churn = Type.Boolean({ description: 'churn_probability >= the model threshold (0.5).' });
const Warnings = Type.Array(Type.String(), {
  description: 'Non-fatal remarks, e.g. a category the model has not seen (scored as all-zero for that field).',
});

export const PredictionSchema = Type.Object(
  {
    churn_probability: Probability,
    churn: Churn,
    model_version: Type.String({ description: 'Version of the model artifact that scored the customer.' }),
    warnings: Warnings,
  },
  { $id: SCHEMA_IDS.prediction, title: 'Prediction', additionalProperties: false },
);
export type Prediction = Static<typeof PredictionSchema>;

export const BatchItemSchema = Type.Object(
  { churn_probability: Probability, churn: Churn, warnings: Warnings },
  { $id: SCHEMA_IDS.batchItem, title: 'BatchPredictionItem', additionalProperties: false },
);
export type BatchItem = Static<typeof BatchItemSchema>;

export const BatchResponseSchema = Type.Object(
  {
    model_version: Type.String(),
    predictions: Type.Array(ref(SCHEMA_IDS.batchItem), {
      description: 'One prediction per customer, in the order of the request.',
    }),
  },
  { $id: SCHEMA_IDS.batchResponse, title: 'BatchPredictionResponse', additionalProperties: false },
);
export type BatchResponse = { model_version: string; predictions: BatchItem[] };

export function batchRequestSchema(batchMax: number) {
  return Type.Object(
    {
      customers: Type.Array(ref(SCHEMA_IDS.customer), {
        minItems: 1,
        maxItems: batchMax,
        description:
          `1 to ${batchMax} customers. If any is invalid the whole batch is rejected with 400 and every ` +
          'problem is named as customers[<index>].<field>; nothing is scored.',
      }),
    },
    { $id: SCHEMA_IDS.batchRequest, title: 'BatchPredictionRequest' },
  );
}

export const CustomerComponentSchema = { ...CustomerSchema, $id: SCHEMA_IDS.customer };

export const ErrorSchema = Type.Object(
  {
    error: Type.String({
      description:
        'Kind: invalid_json, invalid_body, invalid_customer, invalid_batch, unsupported_media_type, ' +
        'payload_too_large, bad_request, not_found, method_not_allowed, request_timeout, unauthorized, ' +
        'overloaded, internal_error.',
    }),
    message: Type.String(),
    fields: Type.Array(
      Type.Object(
        {
          field: Type.String({
            description:
              'Body path such as "tenure" or "customers[3].tenure", or "(body)", "(content-type)", "(authorization)", "(request)".',
          }),
          message: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: SCHEMA_IDS.error, title: 'Error', additionalProperties: false },
);

export const ProbeSchema = Type.Object(
  {
    status: Type.String({ description: '"ok" when the check passes; "not_ready" / "not_live" otherwise.' }),
    reasons: Type.Array(Type.String(), { description: 'Why the check fails; empty when ok.' }),
  },
  { $id: SCHEMA_IDS.probe, title: 'ProbeStatus', additionalProperties: false },
);

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

export const ModelInfoSchema = Type.Object(
  {
    format: Type.String(),
    name: Type.String(),
    version: Type.String(),
    created_at: Type.String(),
    estimator: Type.Optional(Type.String()),
    threshold: Type.Number(),
    intercept: Type.Number(),
    n_features: Type.Integer(),
    features: Type.Array(Type.String(), { description: 'DictVectorizer feature names, in coefficient order.' }),
    metrics: Type.Record(Type.String(), Type.Number()),
    training: Type.Record(Type.String(), Scalar),
    data: Type.Optional(Type.Object({ file: Type.String(), sha256: Type.String(), rows: Type.Integer() })),
    preprocessing: Type.Record(Type.String(), Type.Unknown()),
    categories: Type.Record(Type.String(), Type.Array(Type.String())),
    numeric_ranges: Type.Optional(Type.Record(Type.String(), Type.Object({ min: Type.Number(), max: Type.Number() }))),
  },
  { $id: SCHEMA_IDS.model, title: 'ModelInfo', description: 'Model artifact metadata (no coefficients).' },
);

/** Shared schemas in registration order (referenced ones first). */
export function sharedSchemas(batchMax: number): TSchema[] {
  return [
    CustomerComponentSchema,
    BatchItemSchema,
    PredictionSchema,
    BatchResponseSchema,
    batchRequestSchema(batchMax),
    ErrorSchema,
    ProbeSchema,
    ModelInfoSchema,
  ];
}

/** Responses every body-taking route can give for bad client input. */
export const CLIENT_ERROR_RESPONSES = {
  400: { ...ref(SCHEMA_IDS.error), description: 'Not JSON, not an object, or invalid fields (each named).' },
  404: { ...ref(SCHEMA_IDS.error), description: 'No such route.' },
  413: { ...ref(SCHEMA_IDS.error), description: 'Body larger than the configured limit.' },
  415: { ...ref(SCHEMA_IDS.error), description: 'Content-Type is not application/json.' },
} as const;
