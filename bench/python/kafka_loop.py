"""The Kafka loop a data scientist would write around the notes' model: the Python peer of churn-scorer's worker.

confluent-kafka Consumer -> AvroDeserializer (schema registry) -> the notes' preprocessing (lower case, ' ' -> '_')
-> the pickled sklearn pipeline -> AvroSerializer -> Producer, on the same kind of topics and Avro as the worker.

  --delivery at-least-once   produce a polled batch, flush, then commit the consumer offsets (sync)
  --delivery exactly-once    one Kafka transaction per polled batch: produce, send_offsets_to_transaction, commit
  --scoring single           pipeline.predict_proba([customer])[0, 1] per message, as the notes' service calls it
  --scoring batch            pipeline.predict_proba(customers)[:, 1] once per polled batch

It stops after --count input records have been committed (or --timeout seconds) and prints one JSON object with
the commit timeline, so the bench can compute events/s between the first and the last commit exactly as it does
for the worker.

  python bench/python/kafka_loop.py --brokers 127.0.0.1:9092 --registry http://127.0.0.1:8081/apis/ccompat/v7 \
      --topic-in bench.x.customers --topic-out bench.x.predictions --group bench.x --count 20000
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import sys
import time
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_BIN = REPO_ROOT / "models" / "churn" / "1.0.0" / "model.bin"
PREDICTION_SCHEMA = REPO_ROOT / "schemas" / "churn-prediction.avsc"

NUMERICAL = ["tenure", "monthlycharges", "totalcharges"]
CATEGORICAL = [
    "gender", "seniorcitizen", "partner", "dependents", "phoneservice", "multiplelines", "internetservice",
    "onlinesecurity", "onlinebackup", "deviceprotection", "techsupport", "streamingtv", "streamingmovies",
    "contract", "paperlessbilling", "paymentmethod",
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--brokers", required=True)
    p.add_argument("--registry", required=True)
    p.add_argument("--topic-in", required=True)
    p.add_argument("--topic-out", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--count", type=int, required=True, help="stop after this many input records are committed")
    p.add_argument("--delivery", choices=["at-least-once", "exactly-once"], default="exactly-once")
    p.add_argument("--scoring", choices=["single", "batch"], default="single")
    p.add_argument("--batch-size", type=int, default=500, help="records per poll (and per transaction)")
    p.add_argument("--timeout", type=float, default=300.0, help="give up after this many seconds")
    return p.parse_args(argv)


def prepare(event: dict) -> dict:
    """The notes' preprocessing, per record: string values lower-cased with spaces as underscores."""
    customer = {}
    for name in CATEGORICAL:
        value = event[name]
        customer[name] = value.lower().replace(" ", "_") if isinstance(value, str) else value
    for name in NUMERICAL:
        customer[name] = event[name]
    return customer


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    with open(MODEL_BIN, "rb") as f_in:
        pipeline = pickle.load(f_in)

    registry = SchemaRegistryClient({"url": args.registry})
    deserialize = AvroDeserializer(registry)
    serialize = AvroSerializer(registry, PREDICTION_SCHEMA.read_text(encoding="utf-8"))
    in_ctx = SerializationContext(args.topic_in, MessageField.VALUE)
    out_ctx = SerializationContext(args.topic_out, MessageField.VALUE)

    transactional = args.delivery == "exactly-once"
    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })
    producer_conf = {"bootstrap.servers": args.brokers, "acks": "all", "enable.idempotence": True, "linger.ms": 5}
    if transactional:
        producer_conf["transactional.id"] = f"{args.group}-loop"
    producer = Producer(producer_conf)
    if transactional:
        producer.init_transactions()
    consumer.subscribe([args.topic_in])

    started = time.time()
    first_consume = None
    commits: list[tuple[float, int]] = []
    committed = 0
    try:
        while committed < args.count:
            if time.time() - started > args.timeout:
                raise SystemExit(f"kafka_loop: timed out after {args.timeout} s with {committed} of {args.count} committed")
            messages = consumer.consume(num_messages=args.batch_size, timeout=0.1)
            if not messages:
                continue
            if first_consume is None:
                first_consume = time.time()
            if transactional:
                producer.begin_transaction()
            events = []
            for message in messages:
                if message.error():
                    raise KafkaException(message.error())
                events.append((message, deserialize(message.value(), in_ctx)))
            customers = [prepare(event) for _, event in events]
            if args.scoring == "batch":
                probabilities = pipeline.predict_proba(customers)[:, 1].tolist()
            else:
                probabilities = [float(pipeline.predict_proba([c])[0, 1]) for c in customers]
            for (message, event), probability in zip(events, probabilities):
                prediction = {
                    "customerid": event["customerid"],
                    "event_id": event["event_id"],
                    "churn_probability": probability,
                    "churn": probability >= 0.5,
                    "threshold": 0.5,
                    "model_name": "churn",
                    "model_version": "1.0.0",
                    "replay": False,
                    "scored_at": int(time.time() * 1000),
                    "source_topic": message.topic(),
                    "source_partition": message.partition(),
                    "source_offset": message.offset(),
                    "warnings": [],
                }
                producer.produce(args.topic_out, key=event["customerid"], value=serialize(prediction, out_ctx))
                producer.poll(0)
            if transactional:
                producer.send_offsets_to_transaction(
                    consumer.position(consumer.assignment()), consumer.consumer_group_metadata()
                )
                producer.commit_transaction()
            else:
                producer.flush()
                consumer.commit(asynchronous=False)
            committed += len(messages)
            commits.append((time.time(), committed))
    finally:
        consumer.close()
        producer.flush(10)

    first_t, first_n = commits[0]
    last_t, last_n = commits[-1]
    span = last_t - first_t
    result = {
        "implementation": "python-kafka-loop",
        "delivery": args.delivery,
        "scoring": args.scoring,
        "batch_size": args.batch_size,
        "committed": committed,
        "commits": len(commits),
        "seconds_first_to_last_commit": span,
        "events_per_second": (last_n - first_n) / span if span > 0 else None,
        "seconds_first_consume_to_last_commit": last_t - (first_consume or first_t),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
