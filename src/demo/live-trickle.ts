import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { IDEMPOTENT_PRODUCER } from '../kafka/client.js';
import { AvroEncoder } from '../serde/avro-encoder.js';
import type { CustomerEvent } from '../serde/avro-records.js';
import type { SchemaRegistryClient } from '../serde/schema-registry.js';
import { customerEventSchema } from '../serde/schema-files.js';
import { customerEvent, type TelcoCustomer } from './telco-events.js';

/** One event in this many is sent with a tenure the contract refuses, so the dead letters have something to show. */
export const TRICKLE_INVALID_EVERY = 500;
const TICK_MS = 100;

export interface LiveTrickle {
  /** events sent so far */
  sent(): number;
  /** stops sending and disconnects; resolves with the events sent */
  stop(): Promise<number>;
}

/**
 * `demo --keep`'s steady stream: the Telco customers again and again, `perSecond` events a second with fresh event
 * ids and event_time = now, so the dashboard's throughput, latency and lag move while someone watches. A send that
 * fails is logged and the next tick goes on.
 */
export async function startLiveTrickle(options: {
  kafka: Kafka;
  registry: SchemaRegistryClient;
  topic: string;
  customers: readonly TelcoCustomer[];
  perSecond: number;
  logger: Logger;
}): Promise<LiveTrickle> {
  const { customers, topic, logger } = options;
  if (customers.length === 0) throw new Error('no customers to send');
  const encoder = await AvroEncoder.create<CustomerEvent>({
    registry: options.registry,
    subject: `${topic}-value`,
    schema: customerEventSchema(),
    autoRegister: true,
  });
  const producer: Producer = options.kafka.producer(IDEMPOTENT_PRODUCER);
  await producer.connect();
  const perTick = Math.max(1, Math.round((options.perSecond * TICK_MS) / 1000));
  const runId = Date.now().toString(36);
  let next = 0;
  let sending: Promise<void> = Promise.resolve();
  let busy = false;
  const tick = () => {
    if (busy) return; // a slow send skips ticks rather than piling them up
    busy = true;
    const now = Date.now();
    const messages = Array.from({ length: perTick }, () => {
      const n = next++;
      const customer = customers[n % customers.length] as TelcoCustomer;
      const event = customerEvent(customer, `live-${runId}-${n}`, now);
      if (n % TRICKLE_INVALID_EVERY === TRICKLE_INVALID_EVERY - 1) event.tenure = -1;
      return { key: event.customerid, value: encoder.encode(event) };
    });
    sending = producer
      .send({ topic, messages, acks: -1 })
      .then(
        () => undefined,
        (err: unknown) => {
          logger.warn({ err, topic }, 'demo: sending live events failed; trying again on the next tick');
          next -= messages.length;
        },
      )
      .finally(() => {
        busy = false;
      });
  };
  const timer = setInterval(tick, TICK_MS);
  return {
    sent: () => next,
    stop: async () => {
      clearInterval(timer);
      await sending;
      await producer.disconnect();
      return next;
    },
  };
}
