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
