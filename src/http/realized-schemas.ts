import { Type, type TSchema } from '@sinclair/typebox';

/*
 * The schemas of GET /experiments' `realized` section (shared by $id, so the OpenAPI document names them). They
 * mirror src/outcomes' RealizedView; the response schema drives fastify's serializer, so a field missing here would
 * silently be left out of the answer.
 */

export const REALIZED_SCHEMA_IDS = {
  calibrationBin: 'CalibrationBin',
  realizedVersion: 'RealizedVersion',
  realized: 'RealizedPerformance',
} as const;

const refTo = (id: string): TSchema => Type.Unsafe({ $ref: `${id}#` });
const NullableNumber = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });
const Count = (description: string) => Type.Integer({ minimum: 0, description });

export const CalibrationBinSchema = Type.Object(
  {
    decile: Type.Integer({
      minimum: 1,
      maximum: 10,
      description:
        'Joined predictions in order of churn probability, cut in ten groups of equal count: 1 is the lowest tenth, 10 the riskiest.',
    }),
    lower: NullableNumber('The lowest churn probability in the decile; null when empty.'),
    upper: NullableNumber('The highest churn probability in the decile; null when empty.'),
    count: Count('Joined predictions in the decile (n / 10, give or take one).'),
    mean_predicted: NullableNumber('Mean churn probability of the decile; null when empty.'),
    observed_rate: NullableNumber("Share of the decile's customers who churned; null when empty."),
  },
  { $id: REALIZED_SCHEMA_IDS.calibrationBin, title: 'CalibrationBin', additionalProperties: false },
);

export const RealizedVersionSchema = Type.Object(
  {
    version: Type.String(),
    variant: Type.String({ description: 'champion, canary, ab, bandit (served) or shadow.' }),
    n: Count('Joined predictions in the window (the last window_records joins of this version and variant).'),
    churned: Count('Of which the customer churned.'),
    churn_rate: NullableNumber('churned / n; null when n = 0.'),
    auc: NullableNumber(
      'Mann-Whitney AUC of the churn probabilities against the outcomes (ties count 1/2); null unless both ' +
        'churners and non-churners are in the window.',
    ),
    log_loss: NullableNumber(
      'Mean binary cross-entropy, probabilities clipped to [1e-15, 1 - 1e-15]; null when n = 0.',
    ),
    riskiest25_selected: Count('The riskiest-25% selection: the ceil(n/4) highest churn probabilities of the window.'),
    precision_riskiest25: NullableNumber('Churners among the selection / its size; null when n = 0.'),
    recall_riskiest25: NullableNumber("Churners in the selection / the window's churners; null without a churner."),
    mean_correct: NullableNumber(
      "Share of correct decisions (churn_probability >= the version's threshold equals the outcome); null when n = 0.",
    ),
    calibration: Type.Array(refTo(REALIZED_SCHEMA_IDS.calibrationBin), {
      description: 'Predicted against observed churn in 10 bins of the churn probability, lowest first.',
    }),
    joined: Count('Joined predictions since this process started.'),
    expired: Count('Predictions whose attribution window closed with no outcome, since this process started.'),
  },
  { $id: REALIZED_SCHEMA_IDS.realizedVersion, title: 'RealizedVersion', additionalProperties: false },
);

export const RealizedSchema = Type.Object(
  {
    window_records: Type.Integer({
      minimum: 1,
      description:
        'Joined predictions per version and variant the figures are computed over (REALIZED_WINDOW_RECORDS).',
    }),
    unmatched_outcomes: Count('Outcomes with no prediction of the customer in their attribution window.'),
    versions: Type.Array(refTo(REALIZED_SCHEMA_IDS.realizedVersion), { description: 'By version, then variant.' }),
  },
  {
    $id: REALIZED_SCHEMA_IDS.realized,
    title: 'RealizedPerformance',
    description:
      'How each model version and variant fared against the real outcomes the outcome join of this process ' +
      'committed (its partitions); `churn-scorer experiment report` computes it over the whole joined topic.',
    additionalProperties: false,
  },
);

/** In registration order (referenced ones first). */
export function realizedSchemas(): TSchema[] {
  return [CalibrationBinSchema, RealizedVersionSchema, RealizedSchema];
}
