import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CustomerSchema } from '../contract/customer.js';
import type { Explanation } from '../model/explain.js';
import { REALIZED_SCHEMA_IDS } from './realized-schemas.js';

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
  explanation: 'Explanation',
  error: 'Error',
  probe: 'ProbeStatus',
  model: 'ModelInfo',
  variantComparison: 'VariantComparison',
  shadowComparison: 'ShadowComparison',
  rollout: 'Rollout',
  experimentRevision: 'ExperimentRevision',
  experiments: 'Experiments',
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
const Variant = Type.Unsafe<'champion' | 'canary' | 'ab' | 'bandit'>({
  type: 'string',
  enum: ['champion', 'canary', 'ab', 'bandit'],
  description:
    'How the model version served the customer: champion, or a challenger (canary, ab, or an arm of a bandit) whose share of the ' +
    "customers holds the customer's bucket (a stable hash of customerid; the champion without a customerid).",
});
const RolloutRevision = Type.Integer({
  minimum: 0,
  description: 'Revision of the rollout in force (0: no rollout published; the local model is the champion).',
});
const Warnings = Type.Array(Type.String(), {
  description: 'Non-fatal remarks, e.g. a category the model has not seen (scored as all-zero for that field).',
});

export const ExplanationSchema = Type.Object(
  {
    intercept: Type.Number({ description: "The model's intercept (log-odds of a customer with every number 0)." }),
    logit: Type.Number({
      description:
        'The log-odds of churn the model computed: intercept + the sum of every contribution (within 1e-9), and ' +
        'churn_probability = 1 / (1 + e^-logit).',
    }),
    contributions: Type.Array(
      Type.Object(
        {
          feature: Type.String({
            description:
              "The model's feature (DictVectorizer's name): 'contract=month-to-month' for the category present " +
              "in a categorical field, 'tenure' for a numeric one.",
            examples: ['contract=month-to-month', 'tenure'],
          }),
          value: Type.Union([Type.String(), Type.Number()], {
            description: "The customer's value as scored: the normalized category, or the number.",
          }),
          contribution: Type.Number({
            description:
              'coefficient x value, in log-odds: positive pushes towards churn, negative away from it. Numbers ' +
              'are not scaled, so tenure and totalcharges often carry large terms of opposite signs.',
          }),
          unseen: Type.Optional(
            Type.Boolean({
              description: 'Present (true) on a category the model never saw in training: it adds 0 (see warnings).',
            }),
          ),
        },
        { additionalProperties: false },
      ),
      {
        description:
          "One per customer field (19), largest |contribution| first (ties in the contract's field order); the " +
          'first three are the reasons every prediction on the predictions topic carries.',
      },
    ),
  },
  {
    $id: SCHEMA_IDS.explanation,
    title: 'Explanation',
    description:
      "The exact decomposition of the prediction's logit by the model that made it (a logistic regression: each " +
      "feature's coefficient times its value), not an approximation.",
    additionalProperties: false,
  },
);

const ExplanationProperty = Type.Optional(
  Type.Unsafe<Explanation>({
    ...ref(SCHEMA_IDS.explanation),
    description: 'Only with ?explain=true.',
  }),
);

/** The query of /predict and /predict/batch (documentation only: the handlers read it, see explainFlag). */
export const ExplainQuerySchema = Type.Object({
  explain: Type.Optional(
    Type.Boolean({
      default: false,
      description:
        "true: each prediction also carries `explanation`, the exact contribution of every feature to the model's " +
        'logit, sorted by magnitude. Only true or false.',
    }),
  ),
});

export const PredictionSchema = Type.Object(
  {
    churn_probability: Probability,
    churn: Churn,
    model_version: Type.String({ description: 'Version of the model artifact that scored the customer.' }),
    variant: Variant,
    rollout_revision: RolloutRevision,
    warnings: Warnings,
    explanation: ExplanationProperty,
  },
  { $id: SCHEMA_IDS.prediction, title: 'Prediction', additionalProperties: false },
);
export type Prediction = Static<typeof PredictionSchema>;

export const BatchItemSchema = Type.Object(
  {
    churn_probability: Probability,
    churn: Churn,
    model_version: Type.String({ description: 'Version of the model artifact that scored this customer.' }),
    variant: Variant,
    warnings: Warnings,
    explanation: ExplanationProperty,
  },
  { $id: SCHEMA_IDS.batchItem, title: 'BatchPredictionItem', additionalProperties: false },
);
export type BatchItem = Static<typeof BatchItemSchema>;

export const BatchResponseSchema = Type.Object(
  {
    model_version: Type.String({
      description: "The champion's version; each prediction names the version that scored it.",
    }),
    rollout_revision: RolloutRevision,
    predictions: Type.Array(ref(SCHEMA_IDS.batchItem), {
      description: 'One prediction per customer, in the order of the request.',
    }),
  },
  { $id: SCHEMA_IDS.batchResponse, title: 'BatchPredictionResponse', additionalProperties: false },
);
export type BatchResponse = { model_version: string; rollout_revision: number; predictions: BatchItem[] };

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

/**
 * The contract's customer, plus the customerid that picks the customer's variant (the stream uses the
 * event's customerid the same way, so both give a customer the same model).
 */
export const CustomerComponentSchema = {
  ...CustomerSchema,
  properties: {
    ...CustomerSchema.properties,
    customerid: Type.String({
      description:
        "Optional. The customer's id: picks the model version that serves the customer under the rollout in force " +
        '(the same one the stream uses for this customer). Without it the champion scores.',
      examples: ['8879-zkjof'],
    }),
  },
  $id: SCHEMA_IDS.customer,
};

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
              'Body path such as "tenure" or "customers[3].tenure", a query parameter such as "?explain", or "(body)", ' +
              '"(content-type)", "(authorization)", "(request)".',
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
    rollout_revision: RolloutRevision,
  },
  {
    $id: SCHEMA_IDS.model,
    title: 'ModelInfo',
    description: "The champion's artifact metadata (no coefficients) under the rollout in force.",
  },
);

const NullableNumber = (description: string) =>
  Type.Union([Type.Number(), Type.Null()], { description: `${description}; null before the first event.` });

export const VariantComparisonSchema = Type.Object(
  {
    variant: Type.String({ description: 'champion, canary, ab or bandit' }),
    version: Type.String(),
    count: Type.Integer({ minimum: 0, description: 'Committed live predictions.' }),
    mean_score: NullableNumber('Mean churn probability'),
    histogram: Type.Array(Type.Integer({ minimum: 0 }), {
      description: 'Predictions per tenth of [0, 1], lowest first (10 bins; 1 counts in the last).',
    }),
    churned: Type.Integer({ minimum: 0, description: "Predictions at or above the version's threshold." }),
    churn_rate: NullableNumber('churned / count'),
    threshold: Type.Number(),
  },
  { $id: SCHEMA_IDS.variantComparison, title: 'VariantComparison', additionalProperties: false },
);

export const ShadowComparisonSchema = Type.Object(
  {
    version: Type.String({ description: 'The shadow version.' }),
    champion_version: Type.String(),
    events: Type.Integer({ minimum: 0, description: 'Events both scored.' }),
    agreement: NullableNumber('Share of events with the same churn decision, each at its own threshold'),
    mean_abs_delta: NullableNumber('Mean |shadow score - champion score|'),
    psi: NullableNumber("Population stability index of the shadow's score histogram against the champion's"),
    riskiest_quartile_jaccard: NullableNumber('Jaccard overlap of the riskiest 25% of events by each model'),
    riskiest_quartile_exact: Type.Boolean({
      description: 'false once the events outnumber the sample the overlap is computed over.',
    }),
  },
  { $id: SCHEMA_IDS.shadowComparison, title: 'ShadowComparison', additionalProperties: false },
);

export const RolloutSchema = Type.Object(
  {
    champion: Type.String(),
    challengers: Type.Array(
      Type.Object(
        {
          version: Type.String(),
          kind: Type.String({ description: 'canary, ab or bandit' }),
          weight: Type.Number({ minimum: 0, maximum: 100, description: 'Percent of the customers.' }),
        },
        { additionalProperties: false },
      ),
    ),
    shadows: Type.Array(Type.String()),
    salt: Type.String(),
  },
  { $id: SCHEMA_IDS.rollout, title: 'Rollout', additionalProperties: false },
);

const revisionProperties = {
  revision: RolloutRevision,
  rollout: ref(SCHEMA_IDS.rollout),
  since: Type.String({ format: 'date-time', description: 'When this process first saw the revision.' }),
  variants: Type.Array(ref(SCHEMA_IDS.variantComparison)),
  shadows: Type.Array(ref(SCHEMA_IDS.shadowComparison)),
};

export const ExperimentRevisionSchema = Type.Object(revisionProperties, {
  $id: SCHEMA_IDS.experimentRevision,
  title: 'ExperimentRevision',
  additionalProperties: false,
});

export const ExperimentsSchema = Type.Object(
  {
    ...revisionProperties,
    previous: Type.Union([ref(SCHEMA_IDS.experimentRevision), Type.Null()], {
      description: 'The revision before the one in force (its experiment, finished), or null.',
    }),
    note: Type.Union([Type.String(), Type.Null()], {
      description: 'Why variants and shadows are empty when no stream feeds this process; null otherwise.',
    }),
    realized: Type.Union([ref(REALIZED_SCHEMA_IDS.realized), Type.Null()], {
      description:
        'Realized performance per model version and variant, against the outcomes joined back to the predictions; ' +
        'null when this process joins no outcomes (`serve`, or OUTCOME_JOIN=false).',
    }),
  },
  {
    $id: SCHEMA_IDS.experiments,
    title: 'Experiments',
    description:
      'The comparison of the rollout in force, from the predictions this process committed to Kafka ' +
      '(HTTP predictions are not counted); `experiment report` recomputes it from the topics.',
    additionalProperties: false,
  },
);

/** Shared schemas in registration order (referenced ones first). */
export function sharedSchemas(batchMax: number): TSchema[] {
  return [
    CustomerComponentSchema,
    ExplanationSchema,
    BatchItemSchema,
    PredictionSchema,
    BatchResponseSchema,
    batchRequestSchema(batchMax),
    ErrorSchema,
    ProbeSchema,
    ModelInfoSchema,
    VariantComparisonSchema,
    ShadowComparisonSchema,
    RolloutSchema,
    ExperimentRevisionSchema,
    ExperimentsSchema,
  ];
}

/** Responses every body-taking route can give for bad client input. */
export const CLIENT_ERROR_RESPONSES = {
  400: { ...ref(SCHEMA_IDS.error), description: 'Not JSON, not an object, or invalid fields (each named).' },
  404: { ...ref(SCHEMA_IDS.error), description: 'No such route.' },
  413: { ...ref(SCHEMA_IDS.error), description: 'Body larger than the configured limit.' },
  415: { ...ref(SCHEMA_IDS.error), description: 'Content-Type is not application/json.' },
} as const;
