import { Type, type TSchema } from '@sinclair/typebox';
import { ref } from './schemas.js';

/*
 * GET /monitoring's schemas (shared by $id, so the OpenAPI document names them). They mirror
 * src/monitoring's DriftWindowSummary and DriftTracker views; the response schema drives fastify's
 * serializer, so a field missing here would silently be left out of the answer.
 */

export const MONITORING_SCHEMA_IDS = {
  featureDrift: 'FeatureDrift',
  driftAlert: 'DriftAlert',
  driftWindow: 'DriftWindow',
  driftVersion: 'DriftVersion',
  monitoring: 'Monitoring',
} as const;

const NullableNumber = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });
const Count = Type.Integer({ minimum: 0 });
const EpochMs = (description: string) => Type.Integer({ description: `${description} (ms since the Unix epoch)` });

export const FeatureDriftSchema = Type.Object(
  {
    feature: Type.String({ description: 'The customer field.' }),
    kind: Type.String({ description: 'numeric (training deciles) or categorical (training categories + unseen).' }),
    psi: NullableNumber('PSI of the present values against the training distribution; null when none is present.'),
    unseen_rate: NullableNumber('Share of the records with a category the model has not seen (0 for numbers).'),
    missing_rate: NullableNumber('Share of the records without a usable value (refused records count).'),
    out_of_range_rate: NullableNumber('Share of the records with a number outside the training range.'),
    drift: Type.Boolean({ description: 'psi is over the threshold, over at least min_records values.' }),
    counts: Type.Array(Count, { description: "Values per reference bin, the artifact's order (unseen last)." }),
  },
  { $id: MONITORING_SCHEMA_IDS.featureDrift, title: 'FeatureDrift', additionalProperties: false },
);

export const DriftAlertSchema = Type.Object(
  {
    feature: Type.String({ description: 'The customer field, or score.' }),
    metric: Type.String({ description: 'psi, unseen_rate, missing_rate or out_of_range_rate.' }),
    value: Type.Number(),
    threshold: Type.Number(),
  },
  { $id: MONITORING_SCHEMA_IDS.driftAlert, title: 'DriftAlert', additionalProperties: false },
);

export const DriftWindowSchema = Type.Object(
  {
    window_start: EpochMs('When the window opened'),
    window_end: EpochMs('When it closed (the open window: now)'),
    records: Type.Integer({ minimum: 0, description: 'Records counted, scored or refused as invalid customers.' }),
    scored: Type.Integer({ minimum: 0 }),
    features: Type.Array(ref(MONITORING_SCHEMA_IDS.featureDrift), { description: "The contract's field order." }),
    score_psi: NullableNumber("PSI of the scores against the version's training scores; null without scores."),
    score_drift: Type.Boolean(),
    score_counts: Type.Array(Count, { description: 'Scores per reference bin on [0, 1], lowest first.' }),
    alerts: Type.Array(ref(MONITORING_SCHEMA_IDS.driftAlert), { description: 'Figures over their threshold.' }),
  },
  { $id: MONITORING_SCHEMA_IDS.driftWindow, title: 'DriftWindow', additionalProperties: false },
);

const Window = (description: string) =>
  Type.Union([ref(MONITORING_SCHEMA_IDS.driftWindow), Type.Null()], { description });

export const DriftVersionSchema = Type.Object(
  {
    version: Type.String({ description: 'A model version of the rollout in force (champion, challenger, shadow).' }),
    reference: Type.Union(
      [Type.Object({ rows: Count, split: Type.String() }, { additionalProperties: false }), Type.Null()],
      { description: 'The training data compared with; null when the artifact has none (not monitored).' },
    ),
    sources: Type.Integer({ minimum: 0, description: 'Windows merged into last_closed (input partitions).' }),
    current: Window('The open windows so far, merged; null while they hold no record.'),
    last_closed: Window('The latest closed window of each source, merged: what the gauges and alerts show.'),
    alerts: Type.Array(ref(MONITORING_SCHEMA_IDS.driftAlert), { description: "last_closed's alerts." }),
  },
  { $id: MONITORING_SCHEMA_IDS.driftVersion, title: 'DriftVersion', additionalProperties: false },
);

export const MonitoringSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: 'false when monitoring.enabled (DRIFT_MONITORING) is false.' }),
    feed: Type.Union([Type.Literal('stream'), Type.Literal('predictions'), Type.Null()], {
      description:
        "What is counted: 'stream' (the live partitions this worker owns), 'predictions' (this side-port's " +
        '/predict answers: `serve`); null when off.',
    }),
    window: Type.Union(
      [
        Type.Object(
          { records: Count, ms: Count },
          { additionalProperties: false, description: 'A window closes at this many records or this age.' },
        ),
        Type.Null(),
      ],
      { description: 'The window bounds; null when off.' },
    ),
    thresholds: Type.Union(
      [
        Type.Object(
          {
            psi: Type.Number(),
            score_psi: Type.Number(),
            unseen_rate: Type.Number(),
            missing_rate: Type.Number(),
            out_of_range_rate: Type.Number(),
            min_records: Count,
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'A figure over its threshold (over at least min_records values) is an alert; null when off.' },
    ),
    versions: Type.Array(ref(MONITORING_SCHEMA_IDS.driftVersion), {
      description: 'Every model version of the rollout in force, in the rollout order.',
    }),
    note: Type.Union([Type.String(), Type.Null()], { description: 'What the figures cover, or why there are none.' }),
  },
  {
    $id: MONITORING_SCHEMA_IDS.monitoring,
    title: 'Monitoring',
    description:
      "Online drift of the inputs and scores against each model version's training data (the artifact's reference).",
    additionalProperties: false,
  },
);

/** The shared schemas of GET /monitoring, referenced ones first. */
export function monitoringSchemas(): TSchema[] {
  return [FeatureDriftSchema, DriftAlertSchema, DriftWindowSchema, DriftVersionSchema, MonitoringSchema];
}
