import type { KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { CommittedPredictionsRecorder } from '../../../src/experiments/scored-observation.js';
import type { DriftTracker } from '../../../src/monitoring/drift-tracker.js';
import type { ChurnModel } from '../../../src/model/churn-model.js';
import { churnCounters, predictionMetrics } from '../../../src/observability/prediction-metrics.js';
import { streamMetrics } from '../../../src/observability/stream-metrics.js';
import { AvroDecoder } from '../../../src/serde/avro-decoder.js';
import { AvroEncoder } from '../../../src/serde/avro-encoder.js';
import type { ChurnPrediction, CustomerEvent } from '../../../src/serde/avro-records.js';
import type { DriftWindowRecord } from '../../../src/monitoring/drift-window-record.js';
import { churnPredictionSchema, customerEventSchema, driftWindowSchema } from '../../../src/serde/schema-files.js';
import {
  fixedServingSetSource,
  servingModel,
  singleModelServingSet,
  type ServingSetSource,
} from '../../../src/serving/serving-set.js';
import { PartitionLeases } from '../../../src/stream/partition-leases.js';
import {
  createBatchHandler,
  type BatchPayload,
  type PipelineDeps,
  type PredictionEncoder,
  type SourceKind,
} from '../../../src/stream/pipeline.js';
import { FakeSchemaRegistry } from '../serde/fake-schema-registry.js';
import { FakeGroupOffsets } from './fake-group-offsets.js';
import { FakeTransactionalClient } from './fake-transactional-client.js';

export { FakeTransactionalClient, type SeenTransaction } from './fake-transactional-client.js';

export const CUSTOMER_SCHEMA_ID = 1;
export const PREDICTION_SCHEMA_ID = 2;
/** the same ChurnPrediction schema, under the shadow topic's subject */
export const SHADOW_PREDICTION_SCHEMA_ID = 3;
export const DRIFT_WINDOW_SCHEMA_ID = 4;
export const TOPICS = {
  input: 'customers',
  predictions: 'predictions',
  deadLetter: 'customers.dlq',
  shadow: 'predictions.shadow',
  drift: 'monitoring.drift',
} as const;
export const GROUP_ID = 'scorer';

/** The real Avro codec over a fake registry holding the two schemas, as the worker has it after start-up. */
export function testCodec() {
  const registry = new FakeSchemaRegistry();
  registry.put(CUSTOMER_SCHEMA_ID, customerEventSchema().text);
  registry.put(PREDICTION_SCHEMA_ID, churnPredictionSchema().text);
  registry.put(SHADOW_PREDICTION_SCHEMA_ID, churnPredictionSchema().text);
  registry.put(DRIFT_WINDOW_SCHEMA_ID, driftWindowSchema().text);
  const driftWindows = new AvroDecoder<DriftWindowRecord>({ registry, readerType: driftWindowSchema().type });
  const upstream = AvroEncoder.withSchemaId<CustomerEvent>(
    'customers-value',
    CUSTOMER_SCHEMA_ID,
    customerEventSchema().type,
  );
  const predictions = new AvroDecoder<ChurnPrediction>({ registry, readerType: churnPredictionSchema().type });
  return {
    registry,
    decoder: new AvroDecoder<CustomerEvent>({ registry, readerType: customerEventSchema().type }),
    encoder: AvroEncoder.withSchemaId<ChurnPrediction>(
      'predictions-value',
      PREDICTION_SCHEMA_ID,
      churnPredictionSchema().type,
    ),
    shadowEncoder: AvroEncoder.withSchemaId<ChurnPrediction>(
      'predictions.shadow-value',
      SHADOW_PREDICTION_SCHEMA_ID,
      churnPredictionSchema().type,
    ),
    /** Encodes an event as the upstream would (Confluent framing, schema id 1). */
    encode: (event: CustomerEvent): Buffer => upstream.encode(event),
    /** Reads a prediction record's value back. */
    decodePrediction: (value: Buffer): Promise<ChurnPrediction> => predictions.decode(value),
    /** DriftWindow records, under the drift topic's subject */
    driftEncoder: AvroEncoder.withSchemaId<DriftWindowRecord>(
      'monitoring.drift-value',
      DRIFT_WINDOW_SCHEMA_ID,
      driftWindowSchema().type,
    ),
    /** Reads a drift window record's value back. */
    decodeDriftWindow: (value: Buffer): Promise<DriftWindowRecord> => driftWindows.decode(value),
  };
}

/** How a test plays kafkajs' side of one eachBatch call. */
export interface BatchScript {
  /** the batch's lastOffset(); by default the last record's (larger when transaction markers trail it) */
  lastOffset?: string;
  isRunning?: () => boolean;
  isStale?: () => boolean;
  heartbeat?: () => Promise<void>;
}

export interface Harness {
  client: FakeTransactionalClient;
  offsets: FakeGroupOffsets;
  registry: FakeSchemaRegistry;
  leases: PartitionLeases;
  metrics: Registry;
  /** log lines (pino objects) when `captureLogs` was set */
  logs: Record<string, unknown>[];
  /** every resolveOffset call, in order */
  resolved: string[];
  /** the record counts onCommitted was told, in order */
  committedRecords: number[];
  heartbeats: number;
  /** Encodes an event as the upstream would (Confluent framing, schema id 1). */
  encode(event: CustomerEvent): Buffer;
  decodePrediction(value: Buffer): Promise<ChurnPrediction>;
  decodeDriftWindow(value: Buffer): Promise<DriftWindowRecord>;
  /** Runs one fetched batch of partition 0 through the pipeline. */
  run(records: readonly KafkaMessage[], script?: BatchScript): Promise<void>;
}

export type HarnessLimits = PipelineDeps['limits'];

export const DEFAULT_LIMITS: HarnessLimits = {
  transactionMaxRecords: 500,
  transactionMaxMs: 60_000,
  maxRecordBytes: 1_048_576,
  transactionMaxBytes: 524_288,
};

export interface HarnessOptions {
  strictCategories?: boolean;
  limits?: Partial<HarnessLimits>;
  source?: SourceKind;
  encoder?: PredictionEncoder;
  /** the serving set in force; by default `model` alone as the champion (revision 0) */
  serving?: ServingSetSource;
  committed?: CommittedPredictionsRecorder;
  now?: () => number;
  captureLogs?: boolean;
  /** model.reasons (default true) */
  reasons?: boolean;
  /** the drift tracker whose windows the pipeline keeps (window records go to TOPICS.drift); none: no drift */
  drift?: DriftTracker;
}

/**
 * The real per-record path (createBatchHandler with the real Avro codec, contract and model) over
 * in-process fakes of its ports: a schema registry, a transactional producer and the group's offsets.
 */
export function pipelineHarness(model: ChurnModel, options: HarnessOptions = {}): Promise<Harness> {
  const codec = testCodec();
  const logs: Record<string, unknown>[] = [];
  const logger =
    options.captureLogs === true
      ? pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) })
      : pino({ level: 'silent' });
  const metrics = new Registry();
  const client = new FakeTransactionalClient();
  const offsets = new FakeGroupOffsets();
  const leases = new PartitionLeases(client, offsets, {
    consumerGroupId: GROUP_ID,
    transactionalIdPrefix: GROUP_ID,
    transactionTimeoutMs: 60_000,
    logger,
  });
  const handle = createBatchHandler(
    {
      decoder: codec.decoder,
      encoder: options.encoder ?? codec.encoder,
      shadowEncoder: codec.shadowEncoder,
      serving:
        options.serving ??
        fixedServingSetSource(singleModelServingSet(servingModel(model, options.strictCategories ?? false))),
      ...(options.committed === undefined ? {} : { committed: options.committed }),
      ...(options.drift === undefined
        ? {}
        : { drift: { tracker: options.drift, encoder: codec.driftEncoder, topic: TOPICS.drift } }),
      leases,
      metrics: streamMetrics(metrics),
      churnCounters: churnCounters(predictionMetrics(metrics), 'stream'),
      logger,
      topics: { predictions: TOPICS.predictions, deadLetter: TOPICS.deadLetter, shadow: TOPICS.shadow },
      consumerGroupId: GROUP_ID,
      scorerVersion: 'churn-scorer/test',
      reasons: options.reasons ?? true,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
      now: options.now ?? Date.now,
      onCommitted: (_partition, records) => harness.committedRecords.push(records),
    },
    options.source ?? { replay: false, label: 'live' },
  );
  const harness: Harness = {
    client,
    offsets,
    registry: codec.registry,
    leases,
    metrics,
    logs,
    resolved: [],
    committedRecords: [],
    heartbeats: 0,
    encode: codec.encode,
    decodePrediction: codec.decodePrediction,
    decodeDriftWindow: codec.decodeDriftWindow,
    run: (records, script = {}) => {
      const payload: BatchPayload = {
        batch: {
          topic: TOPICS.input,
          partition: 0,
          messages: [...records],
          lastOffset: () => script.lastOffset ?? records[records.length - 1]?.offset ?? '-1',
        },
        resolveOffset: (offset) => harness.resolved.push(offset),
        heartbeat: () => {
          harness.heartbeats++;
          return script.heartbeat?.() ?? Promise.resolve();
        },
        isRunning: script.isRunning ?? (() => true),
        isStale: script.isStale ?? (() => false),
      };
      return handle(payload);
    },
  };
  return Promise.resolve(harness);
}

/** A fetched input record at `offset` of partition 0. */
export function inputRecord(offset: number, value: Buffer | null, key: string | null = `key-${offset}`): KafkaMessage {
  return {
    key: key === null ? null : Buffer.from(key),
    value,
    timestamp: '1795000000000',
    attributes: 0,
    offset: String(offset),
    headers: {},
  };
}
