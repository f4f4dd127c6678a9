#!/usr/bin/env python3
"""Sends CustomerEvents to the customers topic with confluent-kafka: Avro values in the Confluent wire
format through the schema registry, keyed by customerid, placed by murmur2 like every other client of
the topic. See docs/producing.md for the rules.

Input: JSON lines (stdin, or --input FILE), one CustomerEvent per line: `customerid`, the 19 features
and, optionally, `event_id` and `event_time` (epoch ms). A line without them gets a random UUID and the
current time. docs/examples/telco_to_jsonl.py writes such lines from the Telco CSV.

    telco_to_jsonl.py data/WA_Fn-UseC_-Telco-Customer-Churn.csv --limit 100 | produce_customers.py

Connection: --brokers / KAFKA_BROKERS, --registry-url / SCHEMA_REGISTRY_URL (basic auth from
SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD), --topic / TOPIC_CUSTOMERS (default customers), and
any librdkafka setting with -X key=value (security.protocol, sasl.mechanism, ...).

Schema: the value is written with schemas/customer-event.avsc (--schema FILE), which must already be
registered under `<topic>-value` (the scorer registers it at start-up); --register lets this producer
register it itself. Needs `confluent-kafka[avro,schemaregistry]` (the repository's training env has it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Optional, TextIO

from confluent_kafka import KafkaError, Message, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schemas" / "customer-event.avsc"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--brokers", default=os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092"))
    parser.add_argument("--registry-url", default=os.environ.get("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081"))
    parser.add_argument("--topic", default=os.environ.get("TOPIC_CUSTOMERS", "customers"))
    parser.add_argument("--schema", default=str(SCHEMA_FILE), help="the CustomerEvent schema (.avsc)")
    parser.add_argument("--input", help="JSON lines file (default: stdin)")
    parser.add_argument(
        "--register",
        action="store_true",
        help="register the schema under <topic>-value if it is not there (default: it must be registered already)",
    )
    parser.add_argument("-X", dest="config", action="append", default=[], metavar="KEY=VALUE", help="librdkafka setting")
    return parser.parse_args()


def registry_config(url: str) -> dict[str, str]:
    config = {"url": url}
    user = os.environ.get("SCHEMA_REGISTRY_USERNAME")
    if user:
        config["basic.auth.user.info"] = f"{user}:{os.environ.get('SCHEMA_REGISTRY_PASSWORD', '')}"
    return config


def read_events(stream: TextIO) -> list[dict[str, Any]]:
    """The input lines as events; event_id and event_time filled in where absent."""
    events: list[dict[str, Any]] = []
    for line_number, line in enumerate(stream, start=1):
        if line.strip() == "":
            continue
        event = json.loads(line)
        if not isinstance(event, dict) or not isinstance(event.get("customerid"), str) or event["customerid"] == "":
            raise SystemExit(f"produce_customers: line {line_number}: not an object with a non-empty customerid")
        event.setdefault("event_id", str(uuid.uuid4()))
        event.setdefault("event_time", round(time.time() * 1000))
        events.append(event)
    return events


def main() -> int:
    args = parse_args()
    with open(args.input, encoding="utf-8") if args.input else sys.stdin as stream:
        events = read_events(stream)

    registry = SchemaRegistryClient(registry_config(args.registry_url))
    # Compact JSON, as the scorer registers it: Apicurio's Confluent API matches a looked-up schema by its exact
    # text (Confluent's registry compares the parsed schemas), so the pretty-printed file would not be found.
    schema_text = json.dumps(json.loads(Path(args.schema).read_text(encoding="utf-8")), separators=(",", ":"), ensure_ascii=False)
    # auto.register.schemas False: the serializer looks up the id of this schema under <topic>-value
    # (TopicNameStrategy) and fails when it is not there, instead of registering a version of its own.
    value_serializer = AvroSerializer(registry, schema_text, conf={"auto.register.schemas": args.register})
    key_serializer = StringSerializer("utf_8")
    config: dict[str, Any] = {
        "bootstrap.servers": args.brokers,
        # acks=all and no duplicates or reordering from the client's own retries
        "enable.idempotence": True,
        # Java's (and kafkajs') partitioner: murmur2 of the key bytes. librdkafka's default (consistent_random,
        # CRC32) would put the same customer in another partition than a Java or kafkajs producer does.
        "partitioner": "murmur2_random",
        "linger.ms": 5,
    }
    for setting in args.config:
        key, _, value = setting.partition("=")
        config[key] = value
    producer = Producer(config)

    delivered: Counter[int] = Counter()
    failures: list[str] = []

    def on_delivery(err: Optional[KafkaError], msg: Message) -> None:
        if err is not None:
            failures.append(f"{msg.key()!r}: {err}")
        else:
            delivered[msg.partition()] += 1

    for event in events:
        context = SerializationContext(args.topic, MessageField.VALUE)
        try:
            value = value_serializer(event, context)
        except SchemaRegistryError as err:
            if err.http_status_code == 404:
                print(
                    f"produce_customers: {args.schema} is not registered under {args.topic}-value at "
                    f"{args.registry_url} ({err}): start the scorer once (it registers it) or pass --register",
                    file=sys.stderr,
                )
                return 1
            raise
        key = key_serializer(event["customerid"], SerializationContext(args.topic, MessageField.KEY))
        while True:
            try:
                producer.produce(args.topic, key=key, value=value, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)  # the local queue is full: serve delivery reports, then retry
        producer.poll(0)
    left = producer.flush(60)

    spread = ", ".join(f"partition {p}: {n}" for p, n in sorted(delivered.items()))
    sent = sum(delivered.values())
    print(f"sent {sent} event{'' if sent == 1 else 's'} ({spread})", file=sys.stderr)
    if failures or left > 0:
        print(f"produce_customers: {len(failures)} failed, {left} undelivered; first: {failures[:3]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
