#!/usr/bin/env python3
"""Lists the dead letters of customers.dlq with confluent-kafka, decoded where their bytes allow, and can
send them back. See docs/consuming.md ("Dead letters") for what each reason means and what to do.

Reads the whole topic as it is now (its end offsets when the run starts), read_committed, and prints one
JSON line per dead letter: where it came from, `error_type` and `error_message` (the `churn.error.*`
headers), the other `churn.*` headers, the producer's own headers, the key, and the value decoded through
the schema registry when it is a CustomerEvent the registry knows (an `invalid-customer` letter is), else
`value_base64` (the original bytes, e.g. of an `unknown-magic-byte` letter).

    dead_letters.py --error-type invalid-customer                  # inspect
    dead_letters.py --error-type invalid-customer --values > fix.jsonl  # the events only, to fix and produce again
    dead_letters.py --error-type score-failed --resend-to customers     # the original bytes, verbatim

--values prints only the decoded CustomerEvents (event_time as epoch ms), the input format of
docs/examples/producer/produce_customers.py. --resend-to TOPIC produces the selected letters' original key,
value and headers (without the churn.* ones) to TOPIC as they are; a letter that was cut to fit
(`churn.truncated`) is skipped, with a line on stderr.

Connection: --brokers / KAFKA_BROKERS, --registry-url / SCHEMA_REGISTRY_URL (basic auth from
SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD), --topic / TOPIC_DLQ (default customers.dlq),
-X key=value for any librdkafka setting.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
import uuid
from datetime import datetime
from typing import Any, Optional

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

# The headers the scorer adds to a dead letter (src/stream/dead-letter.ts); every other header is the producer's.
OURS = {
    "churn.error.type": "error_type",
    "churn.error.message": "error_message",
    "churn.source.topic": "source_topic",
    "churn.source.partition": "source_partition",
    "churn.source.offset": "source_offset",
    "churn.source.timestamp": "source_timestamp",
    "churn.scorer.version": "scorer_version",
    "churn.truncated": "truncated",
    "churn.original.key.bytes": "original_key_bytes",
    "churn.original.value.bytes": "original_value_bytes",
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--brokers", default=os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092"))
    parser.add_argument("--registry-url", default=os.environ.get("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081"))
    parser.add_argument("--topic", default=os.environ.get("TOPIC_DLQ", "customers.dlq"))
    parser.add_argument("--error-type", action="append", default=[], help="only this churn.error.type (repeatable)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--values", action="store_true", help="print only the decoded events")
    output.add_argument("--resend-to", metavar="TOPIC", help="produce the original records to TOPIC, verbatim")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to reach the end offsets")
    parser.add_argument("-X", dest="config", action="append", default=[], metavar="KEY=VALUE", help="librdkafka setting")
    return parser.parse_args()


def registry_config(url: str) -> dict[str, str]:
    config = {"url": url}
    user = os.environ.get("SCHEMA_REGISTRY_USERNAME")
    if user:
        config["basic.auth.user.info"] = f"{user}:{os.environ.get('SCHEMA_REGISTRY_PASSWORD', '')}"
    return config


def plain(value: Any) -> Any:
    """A decoded Avro value as JSON: timestamp-millis (a datetime here) as epoch milliseconds."""
    if isinstance(value, datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def read_letters(args: argparse.Namespace, config: dict[str, Any]) -> list[Message]:
    """Every dead letter on the topic up to its end offsets at the start, read_committed."""
    consumer = Consumer(
        {
            **config,
            "group.id": f"dead-letters-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    letters: list[Message] = []
    try:
        topic = consumer.list_topics(args.topic, timeout=10).topics[args.topic]
        if topic.error is not None:
            raise KafkaException(topic.error)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(args.topic, p), timeout=10)[1] for p in topic.partitions}
        position = {p: 0 for p in ends}
        consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in ends])
        deadline = time.monotonic() + args.timeout
        while any(position[p] < ends[p] for p in ends):
            if time.monotonic() > deadline:
                raise SystemExit(f"dead_letters: not at the end of {args.topic} after {args.timeout} s")
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            error = msg.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    position[msg.partition()] = max(position[msg.partition()], msg.offset())
                    continue
                raise KafkaException(error)
            position[msg.partition()] = msg.offset() + 1
            letters.append(msg)
    finally:
        consumer.close()
    return letters


def text(raw: Optional[bytes]) -> Optional[str]:
    return None if raw is None else raw.decode("utf-8", errors="replace")


def plural(count: int) -> str:
    return "" if count == 1 else "s"


def main() -> int:
    args = parse_args()
    config: dict[str, Any] = {"bootstrap.servers": args.brokers}
    for setting in args.config:
        key, _, value = setting.partition("=")
        config[key] = value
    deserializer = AvroDeserializer(SchemaRegistryClient(registry_config(args.registry_url)))
    producer = (
        Producer({**config, "enable.idempotence": True, "partitioner": "murmur2_random"}) if args.resend_to else None
    )

    shown = 0
    for msg in read_letters(args, config):
        headers = [(name, value) for name, value in msg.headers() or []]
        ours = {OURS[name]: text(value) for name, value in headers if name in OURS}
        if args.error_type and ours.get("error_type") not in args.error_type:
            continue
        shown += 1
        if producer is not None:
            if "truncated" in ours:
                print(
                    f"dead_letters: partition {msg.partition()} offset {msg.offset()} was cut to fit "
                    f"({ours['truncated']}): not resent",
                    file=sys.stderr,
                )
                shown -= 1
                continue
            theirs = [(name, value) for name, value in headers if not name.startswith("churn.")]
            producer.produce(args.resend_to, key=msg.key(), value=msg.value(), headers=theirs)
            producer.poll(0)
            continue
        value: Any = None
        try:
            value = plain(deserializer(msg.value(), SerializationContext(args.topic, MessageField.VALUE)))
        except Exception:  # not a CustomerEvent the registry knows: show the bytes
            value = None
        if args.values:
            if value is not None:
                print(json.dumps(value, ensure_ascii=False))
            continue
        letter: dict[str, Any] = {
            "partition": msg.partition(),
            "offset": msg.offset(),
            "key": text(msg.key()),
            **ours,
            "headers": {name: text(v) for name, v in headers if name not in OURS},
            "value": value,
        }
        if value is None and msg.value() is not None:
            letter["value_base64"] = base64.b64encode(msg.value()).decode("ascii")
        print(json.dumps(letter, ensure_ascii=False))
    if producer is not None:
        left = producer.flush(60)
        if left > 0:
            raise SystemExit(f"dead_letters: {left} records not delivered to {args.resend_to}")
        print(f"resent {shown} dead letter{plural(shown)} to {args.resend_to}", file=sys.stderr)
    else:
        print(f"{shown} dead letter{plural(shown)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
