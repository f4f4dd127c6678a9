import { Type, type Static } from '@sinclair/typebox';

/** Format id written by training/ and the only one this scorer understands. */
export const MODEL_FORMAT = 'churn-scorer.logistic-dv/1';

export const MODEL_FILE_NAME = 'model.json';

// TypeBox rejects NaN and +-Infinity for Type.Number by default, which is what an exact scorer needs.
const NumericRange = Type.Object({ min: Type.Number(), max: Type.Number() });

/**
 * Shape of models/churn/<version>/model.json, written by training/train.py and described in that model folder's
 * README ("Files"). Extra keys are tolerated.
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
});

export type ModelArtifact = Static<typeof ModelArtifactSchema>;
