/**
 * Customer events for the stream benchmarks: the Telco rows with their raw spellings, cycled, each with a unique
 * event_id `<run>-<seq>` (so a prediction maps back to its send time) and Avro-encoded through the registry.
 */
import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import { customerEvent, loadTelcoCustomers, type TelcoCustomer } from '../../src/demo/telco-events.js';
import { AvroEncoder } from '../../src/serde/avro-encoder.js';
import type { CustomerEvent } from '../../src/serde/avro-records.js';
import { CachedSchemaRegistryClient } from '../../src/serde/cached-schema-registry.js';
import { HttpSchemaRegistryClient } from '../../src/serde/http-schema-registry.js';
import { customerEventSchema } from '../../src/serde/schema-files.js';
import { sleep } from '../lib/children.js';

export class EventSource {
  private readonly customers: TelcoCustomer[] = loadTelcoCustomers();
  /** send time (ms) of each event, by seq */
  readonly sentAt: number[] = [];

  private constructor(
    readonly runId: string,
    private readonly encoder: AvroEncoder<CustomerEvent>,
  ) {}

  static async create(registryUrl: string, topic: string, runId: string): Promise<EventSource> {
    const registry = new CachedSchemaRegistryClient(new HttpSchemaRegistryClient({ url: registryUrl }));
    const encoder = await AvroEncoder.create<CustomerEvent>({
      registry,
      subject: `${topic}-value`,
      schema: customerEventSchema(),
      autoRegister: true,
    });
    return new EventSource(runId, encoder);
  }

  next(now: number): Message {
    const seq = this.sentAt.length;
    this.sentAt.push(now);
    const customer = this.customers[seq % this.customers.length] as TelcoCustomer;
    return {
      key: customer.customerid,
      value: this.encoder.encode(customerEvent(customer, `${this.runId}-${seq}`, now)),
      timestamp: String(now),
    };
  }

  /** seq of an event_id this source made, or undefined */
  seqOf(eventId: string): number | undefined {
    const dash = eventId.lastIndexOf('-');
    if (eventId.slice(0, dash) !== this.runId) return undefined;
    return Number(eventId.slice(dash + 1));
  }
}

export async function connectProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/** Produces n events as fast as the producer can, a few batches in flight; returns seconds and mean value bytes. */
export async function preProduce(producer: Producer, source: EventSource, topic: string, n: number) {
  const BATCH = 1000;
  const IN_FLIGHT = 4;
  let bytes = 0;
  let sent = 0;
  const started = Date.now();
  const inFlight = new Set<Promise<unknown>>();
  while (sent < n) {
    const messages: Message[] = [];
    const now = Date.now();
    for (let i = 0; i < BATCH && sent < n; i++, sent++) {
      const m = source.next(now);
      bytes += (m.value as Buffer).length;
      messages.push(m);
    }
    const p = producer.send({ topic, messages, acks: -1, compression: CompressionTypes.None });
    inFlight.add(p);
    // the error itself surfaces through Promise.race/all below
    void p.then(
      () => inFlight.delete(p),
      () => inFlight.delete(p),
    );
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = (Date.now() - started) / 1000;
  return { events: n, seconds, events_per_second: n / seconds, mean_value_bytes: bytes / n };
}

/**
 * Offers events at a fixed rate for `seconds`: every 10 ms it sends the events that are due, each stamped with
 * the time it is sent. Returns the seq range it produced and the rate it achieved.
 */
export async function produceAtRate(
  producer: Producer,
  source: EventSource,
  topic: string,
  rate: number,
  seconds: number,
) {
  const TICK_MS = 10;
  const MAX_SEND = 1000;
  const firstSeq = source.sentAt.length;
  const started = Date.now();
  const end = started + seconds * 1000;
  let sent = 0;
  const inFlight = new Set<Promise<unknown>>();
  while (Date.now() < end) {
    // at most MAX_SEND per request: one partition's batch must stay under the broker's message.max.bytes
    let due = Math.floor(((Date.now() - started) / 1000) * rate) - sent;
    while (due > 0) {
      const now = Date.now();
      const messages: Message[] = [];
      const count = Math.min(due, MAX_SEND);
      for (let i = 0; i < count; i++) messages.push(source.next(now));
      sent += count;
      due -= count;
      const p = producer.send({ topic, messages, acks: -1 });
      inFlight.add(p);
      void p.then(
        () => inFlight.delete(p),
        () => inFlight.delete(p),
      );
    }
    await sleep(TICK_MS);
  }
  await Promise.all(inFlight);
  const elapsed = (Date.now() - started) / 1000;
  return { firstSeq, endSeq: source.sentAt.length, offered_rate: rate, achieved_rate: sent / elapsed };
}
