/**
 * The per-record decision of the data path: decode -> choose the model -> validate -> score -> encode, ending in
 * predictions or a dead letter. A bad record never throws: it becomes a dead letter saying why. Only what is not
 * the record's fault throws (a registry outage), so that the transaction is retried instead.
 *
 * The serving set (which models serve whom, which shadow on the side) is handed in per record: the pipeline
 * passes the set it captured when it opened the record's transaction, so a rollout change never takes effect
 * inside a transaction.
 *
 * Synchronous once the record's writer schema is resolved, which is every record but the first of each writer
 * schema: `decide` then returns the outcome itself and only a registry lookup makes it return a promise. Every
 * record of the stream passes here, and a promise per record would cost each one a microtask turn.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import {
  customerIdProblem,
  unknownCategoryWarning,
  validateCustomer,
  type Customer,
  type FieldError,
} from '../contract/customer.js';
import { clipText, quoteValue } from '../contract/shown-value.js';
import type { CommittedPrediction } from '../experiments/scored-observation.js';
import type { ModelMeta } from '../model/churn-model.js';
import type { FeatureContribution } from '../model/explain.js';
import { predictValidated, type CustomerPrediction } from '../model/predict-customer.js';
import { assignVariant } from '../rollout/assign-variant.js';
import type { ChurnPrediction, CustomerEvent } from '../serde/avro-records.js';
import { isDecodeError } from '../serde/decode-error.js';
import type { ServingModel, ServingSet } from '../serving/serving-set.js';
import { deadLetterMessage, fitDeadLetter, MAX_ERROR_MESSAGE_CHARS } from './dead-letter.js';
import { messageBytes } from './output-size.js';
import {
  COMPARE_HEADERS,
  headerText,
  predictionHeaders,
  predictionRecord,
  PREDICTION_REASON_COUNT,
  type PredictionVariant,
} from './prediction-record.js';
import type { Rejection, RejectionKind } from './rejection.js';

export interface EventDecoder {
  /** Sync fast path once the writer schema is known; undefined when a registry lookup is needed. */
  decodeIfResolved(bytes: Buffer | null): CustomerEvent | undefined;
  decode(bytes: Buffer | null): Promise<CustomerEvent>;
}

export interface PredictionEncoder {
  encode(value: ChurnPrediction): Buffer;
}

/** A shadow that could not score an event the live model scored: no shadow prediction from it for that event. */
export interface ShadowFailure {
  version: string;
  message: string;
}

/**
 * A record scored: its predictions and what the metrics and the experiment comparison need once it is committed.
 * It is its own CommittedPrediction (variant, version, score, shadowScores, customerid, reasons) so that observing
 * costs no allocation;
 * only records with a live prediction are observed.
 */
export interface ScoredRecord extends CommittedPrediction {
  ok: true;
  /** the live prediction (topics.predictions); undefined for a `replay --compare` record, which has none */
  live: Message | undefined;
  /**
   * The shadow topic's predictions: one per shadow of the set when the champion serves the customer (in
   * `set.shadows` order, less the failed ones); the champion's and the candidate's for a compare record.
   */
  shadows: readonly Message[];
  /** what the live and the shadow messages take together in record batches (output-size.ts) */
  bytes: number;
  /** what the shadow messages alone take */
  shadowBytes: number;
  eventTime: number;
  /** the live (or, for a compare record, the champion's) decision */
  churn: boolean;
  /** the shadows that could not score this event (empty when none) */
  shadowFailures: readonly ShadowFailure[];
  /** NaN where a shadow could not score the event (see addShadows) */
  shadowScores: readonly number[];
  /** the validated customer every score of this record is of (the drift monitor counts it) */
  customer: Customer;
  /**
   * The customer's category codes under the serving model's `meta.reference` (ChurnModel.scoreWithReasons), so the
   * drift count need not look the categories up again; empty when not computed (drift not counted, or a compare).
   */
  categoryCodes: readonly number[];
}

/** A decoded record the serving version refused as a customer: its data, which the drift monitor counts. */
export interface UnscoredInput {
  version: string;
  input: CustomerEvent;
}

/** A record rejected: its dead letter (cut to fit a transaction) and why. */
export interface RejectedRecord {
  ok: false;
  message: Message;
  /** what `message` takes in a record batch (output-size.ts) */
  bytes: number;
  rejection: Rejection;
  /** set when the record decoded and its data was refused (invalid-customer): a data problem, not ours */
  unscored?: UnscoredInput;
}

export type RecordOutcome = ScoredRecord | RejectedRecord;

/** Decides one fetched record of `topic`[`partition`] with `set`; a promise only when a registry lookup is needed. */
export type DecideRecord = (
  record: KafkaMessage,
  topic: string,
  partition: number,
  set: ServingSet,
) => RecordOutcome | Promise<RecordOutcome>;

export interface RecordDecisionDeps {
  decoder: EventDecoder;
  /** live predictions, under the predictions topic's subject */
  encoder: PredictionEncoder;
  /** shadow and compare predictions, under the shadow topic's subject */
  shadowEncoder: PredictionEncoder;
  scorerVersion: string;
  /** the clock of a prediction's scored_at */
  now: () => number;
  /** whether the records come from the replay topic (their predictions say so; only they may ask for a comparison) */
  replay: boolean;
  /** stream.maxRecordBytes: a larger input is rejected before it is decoded */
  maxRecordBytes: number;
  /** the output bytes one transaction may carry (output-size.ts): no record's outputs together may be larger */
  outputBudget: number;
  /** model.reasons: whether each live prediction carries its top reasons (shadow predictions never do) */
  reasons: boolean;
  /** whether the drift windows count these records: then each live prediction keeps its category codes */
  countsDrift?: boolean;
}

// Shared by every record without shadows, so that the common case allocates no arrays.
const NO_MESSAGES: readonly Message[] = Object.freeze([]);
const NO_SCORES: readonly number[] = Object.freeze([]);
const NO_FAILURES: readonly ShadowFailure[] = Object.freeze([]);
const NO_WARNINGS: readonly string[] = Object.freeze([]);
const NO_REASONS: readonly FeatureContribution[] = Object.freeze([]);
const NO_CODES: readonly number[] = Object.freeze([]);

type Scored = Extract<CustomerPrediction, { ok: true }>;

export function recordDecision(deps: RecordDecisionDeps): DecideRecord {
  const { decoder, encoder, shadowEncoder, outputBudget } = deps;
  // Reasons and drift codes come from one pass over the customer's fields (ChurnModel.scoreWithReasons).
  const reasonCount = deps.reasons ? PREDICTION_REASON_COUNT : 0;
  const onePass = deps.reasons || deps.countsDrift === true;
  // The revision header of the last set seen: one string per serving set, not one per record.
  let revisionSet: ServingSet | undefined;
  let revisionText = '';

  function decide(
    record: KafkaMessage,
    topic: string,
    partition: number,
    set: ServingSet,
  ): RecordOutcome | Promise<RecordOutcome> {
    const size = record.value === null ? 0 : record.value.length;
    if (size > deps.maxRecordBytes) {
      return rejected(
        record,
        topic,
        partition,
        'oversize',
        `value is ${size} bytes, over the limit of ${deps.maxRecordBytes}`,
      );
    }
    let event: CustomerEvent | undefined;
    try {
      event = decoder.decodeIfResolved(record.value);
    } catch (err) {
      return decodeFailed(err, record, topic, partition);
    }
    return event === undefined
      ? decodeThenScore(record, topic, partition, set)
      : score(event, record, topic, partition, set);
  }

  /** The first record of a writer schema: the registry is asked for it once, then every later record is sync. */
  async function decodeThenScore(
    record: KafkaMessage,
    topic: string,
    partition: number,
    set: ServingSet,
  ): Promise<RecordOutcome> {
    let event: CustomerEvent;
    try {
      event = await decoder.decode(record.value);
    } catch (err) {
      return decodeFailed(err, record, topic, partition);
    }
    return score(event, record, topic, partition, set);
  }

  function decodeFailed(err: unknown, record: KafkaMessage, topic: string, partition: number): RejectedRecord {
    // A registry outage is no property of the record: it aborts the transaction, which is retried.
    if (!isDecodeError(err)) throw err;
    return rejected(record, topic, partition, err.reason, err.message);
  }

  /**
   * The model the rollout assigns to the customer validates and scores (the same decision as POST /predict and
   * `score`); when that is the champion, every shadow scores the same validated customer on the side.
   */
  function score(
    event: CustomerEvent,
    record: KafkaMessage,
    topic: string,
    partition: number,
    set: ServingSet,
  ): RecordOutcome {
    const idProblem = customerIdProblem(event.customerid);
    if (idProblem !== undefined) {
      return rejected(record, topic, partition, 'invalid-customer', `customerid: ${idProblem}`);
    }
    // Only the replay topic honours a comparison request: on the live topic a producer's headers never keep a
    // customer from being served.
    if (deps.replay) {
      const compareVersion = headerText(record.headers, COMPARE_HEADERS.version);
      if (compareVersion !== undefined) return compare(event, record, topic, partition, set, compareVersion);
    }
    // servedBy(set, customerid) without its result object: this runs per record, and assignVariant allocates nothing.
    const assignment = assignVariant(set.rollout, event.customerid);
    const serving = set.models.get(assignment.version) as ServingModel;
    const validated = validateCustomer(event, serving.rules);
    if (!validated.ok)
      return invalid(record, topic, partition, fieldErrors(validated.errors), assignment.version, event);
    const { customer } = validated;
    let prediction: CustomerPrediction;
    let reasons = NO_REASONS;
    let categoryCodes = NO_CODES;
    try {
      if (onePass) {
        // Only the three largest are selected, not the full sorted explanation: this runs for every record.
        const scored = serving.model.scoreWithReasons(customer, reasonCount);
        prediction = predictValidated(customer, validated.warnings, serving.model, scored.probability);
        reasons = scored.reasons;
        categoryCodes = scored.categoryCodes;
      } else {
        prediction = predictValidated(customer, validated.warnings, serving.model);
      }
    } catch (err) {
      return rejected(record, topic, partition, 'score-failed', messageOf(err));
    }
    if (!prediction.ok) {
      return invalid(record, topic, partition, fieldErrors(prediction.errors), assignment.version, event);
    }

    const scoredAt = deps.now();
    let live: Message;
    try {
      live = predictionMessage(
        encoder,
        event,
        record,
        topic,
        partition,
        serving.model.meta,
        prediction,
        assignment.variant,
        assignment.probability,
        set,
        scoredAt,
        reasons,
      );
    } catch (err) {
      // Only a bug could get here (every field is ours); dead-letter rather than stall the partition.
      return rejected(record, topic, partition, 'score-failed', `cannot encode the prediction: ${messageOf(err)}`);
    }
    // customerid is in both key and value and warnings quote values, so a prediction can outgrow its input.
    const liveBytes = messageBytes(live);
    if (liveBytes > outputBudget) {
      const detail = `the prediction is ${liveBytes} bytes, over the ${outputBudget} a transaction may carry (stream.transactionMaxBytes)`;
      return rejected(record, topic, partition, 'oversize-output', detail);
    }

    const outcome: ScoredRecord = {
      ok: true,
      live,
      shadows: NO_MESSAGES,
      bytes: liveBytes,
      shadowBytes: 0,
      eventTime: event.event_time,
      churn: prediction.churn,
      shadowFailures: NO_FAILURES,
      variant: assignment.variant,
      version: assignment.version,
      score: prediction.churn_probability,
      shadowScores: NO_SCORES,
      customer,
      categoryCodes,
      customerid: event.customerid,
      reasons,
    };
    // A shadow sees all live traffic, whichever variant serves it (the comparison with the champion pairs the
    // champion's events only: src/experiments).
    if (set.shadows.length > 0) addShadows(outcome, customer, event, record, topic, partition, set, scoredAt);
    return outcome;
  }

  /**
   * Scores every shadow of `set` on the customer the serving model has validated and adds their predictions to
   * `outcome`. Validation is the serving model's: the contract's checks are the same for every model but for the
   * categories, and a shadow scores a category it does not know as all-zero with a warning (it never serves, so
   * strictCategories, a serving policy, does not apply to it).
   *
   * A shadow that fails on this valid event (its model throws, its weighted sum overflows, its prediction cannot
   * be encoded or would not fit a transaction next to the live one) does not cost the customer the live
   * prediction, nor stall the partition: a shadow is an experiment, the live prediction is the product. It
   * writes no shadow prediction for this event; the failure is counted and logged once committed
   * (`shadowFailures`), and its entry in `shadowScores` is NaN, so the comparison leaves that event out for that
   * shadow instead of comparing against a made-up score.
   */
  function addShadows(
    outcome: ScoredRecord,
    customer: Customer,
    event: CustomerEvent,
    record: KafkaMessage,
    topic: string,
    partition: number,
    set: ServingSet,
    scoredAt: number,
  ): void {
    const { shadows } = set;
    const messages: Message[] = [];
    const scores: number[] = new Array<number>(shadows.length).fill(Number.NaN);
    let failures: ShadowFailure[] | undefined;
    let shadowBytes = 0;
    for (let i = 0; i < shadows.length; i++) {
      const { version, serving } = shadows[i] as ServingSet['shadows'][number];
      let failure: string;
      try {
        const prediction = predictValidated(customer, sideWarnings(serving, customer), serving.model);
        if (prediction.ok) {
          const message = predictionMessage(
            shadowEncoder,
            event,
            record,
            topic,
            partition,
            serving.model.meta,
            prediction,
            'shadow',
            1,
            set,
            scoredAt,
            NO_REASONS,
          );
          const bytes = messageBytes(message);
          if (outcome.bytes + shadowBytes + bytes <= outputBudget) {
            messages.push(message);
            scores[i] = prediction.churn_probability;
            shadowBytes += bytes;
            continue;
          }
          failure = `the shadow prediction is ${bytes} bytes: with the live one it would be over the ${outputBudget} a transaction may carry (stream.transactionMaxBytes)`;
        } else {
          failure = fieldErrors(prediction.errors);
        }
      } catch (err) {
        failure = messageOf(err);
      }
      (failures ??= []).push({ version, message: clipText(failure, MAX_ERROR_MESSAGE_CHARS) });
    }
    outcome.shadows = messages;
    outcome.shadowScores = scores;
    outcome.shadowBytes = shadowBytes;
    outcome.bytes += shadowBytes;
    if (failures !== undefined) outcome.shadowFailures = failures;
  }

  /**
   * A `replay --compare` record: the set's champion and the requested version (any verified version the worker
   * knows, named by the rollout or not) score it side by side, and both predictions go to the shadow topic only
   * (the champion's as variant 'champion', the candidate's as 'shadow'), each carrying the comparison's id back.
   * Nothing goes to the predictions topic: a rescoring to compare must not reach marketing. Both or none: a
   * comparison with one side missing is no comparison, so any failure dead-letters the record.
   */
  function compare(
    event: CustomerEvent,
    record: KafkaMessage,
    topic: string,
    partition: number,
    set: ServingSet,
    version: string,
  ): RecordOutcome {
    const candidate = set.available.get(version);
    if (candidate === undefined) {
      const known = [...set.available.keys()].join(', ');
      const detail = `replay --compare asks for model version ${quoteValue(version)}, which this worker has not verified (available: ${known})`;
      return rejected(record, topic, partition, 'compare-model-unknown', detail);
    }
    const championVersion = set.rollout.champion.version;
    const champion = set.models.get(championVersion) as ServingModel;
    const validated = validateCustomer(event, champion.rules);
    if (!validated.ok) return rejected(record, topic, partition, 'invalid-customer', fieldErrors(validated.errors));
    const { customer } = validated;

    let championPrediction: CustomerPrediction;
    let candidatePrediction: CustomerPrediction;
    try {
      championPrediction = predictValidated(customer, validated.warnings, champion.model);
    } catch (err) {
      return rejected(record, topic, partition, 'score-failed', `champion ${championVersion}: ${messageOf(err)}`);
    }
    if (!championPrediction.ok) {
      return rejected(record, topic, partition, 'invalid-customer', fieldErrors(championPrediction.errors));
    }
    try {
      candidatePrediction = predictValidated(customer, sideWarnings(candidate, customer), candidate.model);
    } catch (err) {
      return rejected(record, topic, partition, 'score-failed', `version ${version}: ${messageOf(err)}`);
    }
    if (!candidatePrediction.ok) {
      const detail = `version ${version}: ${fieldErrors(candidatePrediction.errors)}`;
      return rejected(record, topic, partition, 'invalid-customer', detail);
    }

    const scoredAt = deps.now();
    const compareId = record.headers?.[COMPARE_HEADERS.id];
    let messages: Message[];
    try {
      messages = [
        predictionMessage(
          shadowEncoder,
          event,
          record,
          topic,
          partition,
          champion.model.meta,
          championPrediction,
          'champion',
          1,
          set,
          scoredAt,
          NO_REASONS,
        ),
        predictionMessage(
          shadowEncoder,
          event,
          record,
          topic,
          partition,
          candidate.model.meta,
          candidatePrediction,
          'shadow',
          1,
          set,
          scoredAt,
          NO_REASONS,
        ),
      ];
    } catch (err) {
      return rejected(record, topic, partition, 'score-failed', `cannot encode the prediction: ${messageOf(err)}`);
    }
    let bytes = 0;
    for (const message of messages) {
      if (compareId !== undefined) (message.headers as NonNullable<Message['headers']>)[COMPARE_HEADERS.id] = compareId;
      bytes += messageBytes(message);
    }
    if (bytes > outputBudget) {
      const detail = `the two compared predictions are ${bytes} bytes, over the ${outputBudget} a transaction may carry (stream.transactionMaxBytes)`;
      return rejected(record, topic, partition, 'oversize-output', detail);
    }
    return {
      ok: true,
      live: undefined,
      shadows: messages,
      bytes,
      shadowBytes: bytes,
      eventTime: event.event_time,
      churn: championPrediction.churn,
      shadowFailures: NO_FAILURES,
      variant: 'champion',
      version: championVersion,
      score: championPrediction.churn_probability,
      shadowScores: NO_SCORES,
      customer,
      categoryCodes: NO_CODES,
      customerid: event.customerid,
      reasons: NO_REASONS,
    };
  }

  /**
   * One prediction record, encoded, keyed by customerid, with its headers. Throws what the encoder throws.
   * `reasons` are the live prediction's; the shadow topic gets none (schemas/README.md, "Shadow predictions carry
   * no reasons").
   */
  function predictionMessage(
    to: PredictionEncoder,
    event: CustomerEvent,
    record: KafkaMessage,
    topic: string,
    partition: number,
    model: ModelMeta,
    prediction: Scored,
    variant: PredictionVariant,
    assignmentProbability: number,
    set: ServingSet,
    scoredAt: number,
    reasons: readonly FeatureContribution[],
  ): Message {
    const value = predictionRecord({
      event,
      probability: prediction.churn_probability,
      churn: prediction.churn,
      model,
      variant,
      rolloutRevision: set.revision,
      replay: deps.replay,
      scoredAt,
      source: { topic, partition, offset: record.offset },
      warnings: prediction.warnings,
      reasons,
      assignmentProbability,
    });
    return {
      key: event.customerid,
      value: to.encode(value),
      headers: predictionHeaders(record.headers, model.version, variant, revisionHeader(set)),
    };
  }

  function revisionHeader(set: ServingSet): string {
    if (set !== revisionSet) {
      revisionSet = set;
      revisionText = String(set.revision);
    }
    return revisionText;
  }

  /** A dead letter carries the original bytes; when they cannot fit a transaction they are cut (fitDeadLetter). */
  function rejected(
    record: KafkaMessage,
    topic: string,
    partition: number,
    kind: RejectionKind,
    detail: string,
  ): RejectedRecord {
    // deadLetterMessage clips the header itself: given the clipped text, its "… (N chars)" would count that.
    const rejection: Rejection = { kind, message: clipText(detail, MAX_ERROR_MESSAGE_CHARS) };
    const source = { topic, partition, scorerVersion: deps.scorerVersion };
    const letter = deadLetterMessage(record, { kind, message: detail }, source);
    const { message, bytes } = fitDeadLetter(letter, outputBudget);
    return { ok: false, rejection, message, bytes };
  }

  /** A decoded customer `version` refused: a dead letter, and the data the drift monitor counts as refused. */
  function invalid(
    record: KafkaMessage,
    topic: string,
    partition: number,
    detail: string,
    version: string,
    input: CustomerEvent,
  ): RejectedRecord {
    const outcome = rejected(record, topic, partition, 'invalid-customer', detail);
    outcome.unscored = { version, input };
    return outcome;
  }

  return decide;
}

/**
 * The warnings a model other than the validating one has about a validated customer: its own unknown
 * categories, worded as validation words them (a field its rules do not list accepts any value silently).
 */
function sideWarnings(serving: ServingModel, customer: Customer): readonly string[] {
  const unknown = serving.model.unknownCategories(customer);
  if (unknown.length === 0) return NO_WARNINGS;
  let warnings: string[] | undefined;
  for (const { field, value } of unknown) {
    const known = serving.rules.knownCategories.get(field);
    if (known !== undefined) (warnings ??= []).push(unknownCategoryWarning(field, value, known));
  }
  return warnings ?? NO_WARNINGS;
}

function fieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
