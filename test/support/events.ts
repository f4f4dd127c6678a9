import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Message } from 'kafkajs';
import { loadTelcoCustomers, type TelcoCustomer } from '../../src/demo/telco-events.js';
import { AvroDecoder } from '../../src/serde/avro-decoder.js';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { ChurnPrediction, CustomerEvent } from '../../src/serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../../src/serde/cached-schema-registry.js';
import { HttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { churnPredictionSchema, customerEventSchema } from '../../src/serde/schema-files.js';
import { PARITY_FILE } from './paths.js';
import { stackEndpoints } from './stack.js';

export interface ParityCase {
  customerid: string;
  raw: Omit<TelcoCustomer, 'customerid'>;
  churn: 0 | 1;
  churn_probability: number;
}

/** The 1,409 test customers with sklearn's probabilities (models/churn/1.0.0/parity.jsonl). */
export function loadParityCases(): ParityCase[] {
  return readFileSync(PARITY_FILE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ParityCase);
}

let telco: TelcoCustomer[] | undefined;

/** `count` events cycling through the Telco customers, each with a unique event_id. */
export function telcoEvents(count: number, options: { runId?: string; eventTime?: number } = {}): CustomerEvent[] {
  telco ??= loadTelcoCustomers();
  const customers = telco;
  const runId = options.runId ?? randomUUID().slice(0, 8);
  const eventTime = options.eventTime ?? Date.now();
  return Array.from({ length: count }, (_, i) => ({
    ...(customers[i % customers.length] as TelcoCustomer),
    event_id: `${runId}-${i}`,
    event_time: eventTime,
  }));
}

export function registryClient(): CachedSchemaRegistryClient {
  return new CachedSchemaRegistryClient(
    new HttpSchemaRegistryClient({
      url: stackEndpoints().registryUrl,
      username: process.env['SCHEMA_REGISTRY_USERNAME'] || undefined,
      password: process.env['SCHEMA_REGISTRY_PASSWORD'] || undefined,
    }),
  );
}

/** The upstream's encoder: CustomerEvent under `<topic>-value`, registered if needed. */
export function customerEventEncoder(topic: string): Promise<AvroEncoder<CustomerEvent>> {
  return AvroEncoder.create<CustomerEvent>({
    registry: registryClient(),
    subject: `${topic}-value`,
    schema: customerEventSchema(),
    autoRegister: true,
  });
}

export function predictionDecoder(): AvroDecoder<ChurnPrediction> {
  return new AvroDecoder<ChurnPrediction>({ registry: registryClient(), readerType: churnPredictionSchema().type });
}

/** A Kafka message for an event, keyed by customerid as upstream services key them. */
export function eventMessage(
  encoder: AvroEncoder<CustomerEvent>,
  event: CustomerEvent,
  options: { timestamp?: number; headers?: Record<string, string> } = {},
): Message {
  const message: Message = { key: event.customerid, value: encoder.encode(event) };
  if (options.timestamp !== undefined) message.timestamp = String(options.timestamp);
  if (options.headers !== undefined) message.headers = options.headers;
  return message;
}

/** A W3C traceparent (version 00, sampled). */
export function traceparentFor(i: number): string {
  const traceId = randomUUID().replace(/-/g, '');
  const spanId = i.toString(16).padStart(16, '0');
  return `00-${traceId}-${spanId}-01`;
}
