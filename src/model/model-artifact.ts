import { Type, type Static } from '@sinclair/typebox';

/** Format id written by training/ and the only one this scorer understands. */
export const MODEL_FORMAT = 'churn-scorer.logistic-dv/1';

export const MODEL_FILE_NAME = 'model.json';

// TypeBox rejects NaN and +-Infinity for Type.Number by default, which is what an exact scorer needs.
const NumericRange = Type.Object({ min: Type.Number(), max: Type.Number() });

// Inside `reference` every object is closed (additionalProperties: false): the drift monitor reads these counts
// as its baseline, so a misspelt key must fail at load time rather than silently leave a feature unmonitored.
const CLOSED = { additionalProperties: false } as const;
const Count = Type.Integer({ minimum: 0 });

/**
 * A numeric feature over the training deciles: `edges` ascending; a value x falls in bin i = the number of edges
 * <= x, so bin i holds [edges[i-1], edges[i]) and the end bins are open; `counts` has one entry per bin
 * (edges.length + 1). `min` and `max` are the training range (a live value outside it is "out of range").
 */
export const NumericReferenceSchema = Type.Object(
  {
    edges: Type.Array(Type.Number(), { minItems: 1 }),
    counts: Type.Array(Count, { minItems: 2 }),
    min: Type.Number(),
    max: Type.Number(),
  },
  CLOSED,
);

/** A categorical feature's category counts, in the artifact's category order; `unseen` is 0 in training. */
export const CategoricalReferenceSchema = Type.Object(
  {
    categories: Type.Array(Type.Union([Type.String(), Type.Number()]), { minItems: 1 }),
    counts: Type.Array(Count, { minItems: 1 }),
    unseen: Count,
  },
  CLOSED,
);

/** The training scores over `bins` equal bins on [0, 1]: bin = floor(score * bins), 1 in the last bin. */
export const ScoreReferenceSchema = Type.Object(
  {
    bins: Type.Union([Type.Literal(10), Type.Literal(20)]),
    counts: Type.Array(Count),
  },
  CLOSED,
);

/**
 * The training data's distributions (training/churn_training/reference.py writes them): the drift monitor's
 * baseline. `rows` customers of the `split` the model was fitted on; every feature's counts add up to `rows`.
 */
export const ModelReferenceSchema = Type.Object(
  {
    split: Type.String({ minLength: 1 }),
    rows: Type.Integer({ minimum: 1 }),
    numeric: Type.Record(Type.String(), NumericReferenceSchema),
    categorical: Type.Record(Type.String(), CategoricalReferenceSchema),
    score: ScoreReferenceSchema,
  },
  CLOSED,
);

export type NumericReference = Static<typeof NumericReferenceSchema>;
export type CategoricalReference = Static<typeof CategoricalReferenceSchema>;
export type ScoreReference = Static<typeof ScoreReferenceSchema>;
export type ModelReference = Static<typeof ModelReferenceSchema>;

/**
 * Shape of models/churn/<version>/model.json, written by training/train.py and described in that model folder's
 * README ("Files"). Extra keys are tolerated at the top level (an older scorer reads a newer artifact); the
 * optional `reference` section is validated strictly.
 */
export const ModelArtifactSchema = Type.Object({
  format: Type.Literal(MODEL_FORMAT),
  name: Type.String({ minLength: 1 }),
  version: Type.String({ minLength: 1 }),
  created_at: Type.String({ minLength: 1 }),
  estimator: Type.Optional(Type.String()),
  features: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  coefficients: Type.Array(Type.Number(), { minItems: 1 }),
  intercept: Type.Number(),
  threshold: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
  preprocessing: Type.Object({
    numerical: Type.Array(Type.String()),
    categorical: Type.Array(Type.String()),
    categorical_normalization: Type.Optional(Type.String()),
    column_names: Type.Optional(Type.String()),
    totalcharges_blank: Type.Optional(Type.Number()),
    numeric_valued_categoricals: Type.Optional(Type.Array(Type.String())),
  }),
  // Per categorical field; string categoricals must list strings (checked in parseModelArtifact).
  categories: Type.Record(Type.String(), Type.Array(Type.Union([Type.String(), Type.Number()]))),
  numeric_ranges: Type.Optional(Type.Record(Type.String(), NumericRange)),
  metrics: Type.Record(Type.String(), Type.Number()),
  training: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
  data: Type.Optional(
    Type.Object({
      file: Type.String(),
      sha256: Type.String(),
      rows: Type.Integer({ minimum: 0 }),
    }),
  ),
  reference: Type.Optional(ModelReferenceSchema),
});

export type ModelArtifact = Static<typeof ModelArtifactSchema>;
