/**
 * TypeScript shapes of the records in schemas/*.avsc, as the codec decodes them
 * (timestamp-millis fields stay numbers of epoch milliseconds; avsc does not map
 * them to Date because no logical type implementation is registered).
 */
export interface CustomerEvent {
  customerid: string;
  event_id: string;
  event_time: number;
  gender: string;
  seniorcitizen: number;
  partner: string;
  dependents: string;
  tenure: number;
  phoneservice: string;
  multiplelines: string;
  internetservice: string;
  onlinesecurity: string;
  onlinebackup: string;
  deviceprotection: string;
  techsupport: string;
  streamingtv: string;
  streamingmovies: string;
  contract: string;
  paperlessbilling: string;
  paymentmethod: string;
  monthlycharges: number;
  totalcharges: number;
}

export interface ChurnPrediction {
  customerid: string;
  event_id: string;
  churn_probability: number;
  churn: boolean;
  threshold: number;
  model_name: string;
  model_version: string;
  replay: boolean;
  scored_at: number;
  source_topic: string;
  source_partition: number;
  source_offset: number;
  warnings: string[];
  /**
   * 'champion', 'canary' or 'ab' on the predictions topic; 'shadow' on the shadow topic. A string, not a
   * union: a record written before rollouts existed reads as 'champion' (the schema default), and a reader
   * must not trust a later writer to keep to today's four values.
   */
  variant: string;
  /** revision of the rollout in force (0: none published, or a record written before rollouts existed) */
  rollout_revision: number;
  /**
   * The prediction's top three reasons, largest |contribution| first; empty on the shadow topic, with reasons
   * turned off (model.reasons), and in records written before reasons existed.
   */
  reasons: ChurnReason[];
  /** event_time of the scored event (0 in records written before it existed): what the outcome join goes by */
  event_time: number;
  /**
   * The share of customers the rollout assigned to this variant (the logged policy's probability of serving it):
   * 1 for shadows and in records written before it existed.
   */
  assignment_probability: number;
}

/** One feature's exact share of a prediction's logit (schemas/churn-prediction.avsc, record churn.ChurnReason). */
export interface ChurnReason {
  /** DictVectorizer's feature name: "contract=month-to-month", "tenure" */
  feature: string;
  /** the category, or the number as String() writes it */
  value: string;
  /** coefficient × value, in log-odds */
  contribution: number;
}

/** A real outcome (schemas/customer-outcome.avsc, churn.CustomerOutcome), on the outcomes topic. */
export interface CustomerOutcome {
  customerid: string;
  event_time: number;
  churned: boolean;
  offer: string | null;
  accepted: boolean | null;
}

/** What the outcome join writes (schemas/prediction-outcome.avsc, churn.PredictionOutcome). */
export type PredictionOutcomeKind = 'joined' | 'unmatched-outcome' | 'expired-prediction';

export interface PredictionOutcome {
  /** a PredictionOutcomeKind; a string so a reader does not trust a later writer to keep to today's three */
  kind: string;
  customerid: string;
  event_id: string | null;
  model_version: string | null;
  variant: string | null;
  rollout_revision: number | null;
  churn_probability: number | null;
  predicted_churn: boolean | null;
  assignment_probability: number | null;
  prediction_time: number | null;
  outcome_time: number | null;
  churned: boolean | null;
  offer: string | null;
  accepted: boolean | null;
  correct: boolean | null;
  joined_at: number;
}
