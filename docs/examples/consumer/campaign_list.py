#!/usr/bin/env python3
"""Builds the retention campaign from the predictions topic with confluent-kafka: the riskiest 25% of
customers by churn probability, each customer counted once with its latest prediction. See
docs/consuming.md for what every field and header means and why the rules below are these.

Reads the whole topic as it is now (its end offsets when the run starts), read_committed, through the
schema registry, then prints the campaign as JSON lines, riskiest first, and a summary on stderr.

- latest prediction of a customer: the one with the greatest event_time (when the customer's state was
  observed); on a tie, the later one on the topic (a customer's predictions all lie in one partition).
- replay=true predictions (history rescored on demand) are left out unless --include-replays.
- order: churn_probability descending, then customerid (code-point order); the campaign is the first
  ceil(customers x share) of that order.

    campaign_list.py > campaign.jsonl

Connection: --brokers / KAFKA_BROKERS, --registry-url / SCHEMA_REGISTRY_URL (basic auth from
SCHEMA_REGISTRY_USERNAME / SCHEMA_REGISTRY_PASSWORD), --topic / TOPIC_PREDICTIONS (default predictions),
-X key=value for any librdkafka setting. Reader schema: schemas/churn-prediction.avsc (--schema FILE).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schemas" / "churn-prediction.avsc"


class Seen(NamedTuple):
    prediction: dict[str, Any]
    partition: int
    offset: int


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--brokers", default=os.environ.get("KAFKA_BROKERS", "127.0.0.1:9092"))
    parser.add_argument("--registry-url", default=os.environ.get("SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081"))
    parser.add_argument("--topic", default=os.environ.get("TOPIC_PREDICTIONS", "predictions"))
    parser.add_argument("--schema", default=str(SCHEMA_FILE), help="the ChurnPrediction reader schema (.avsc)")
    parser.add_argument("--share", type=float, default=0.25, help="share of the customers to e-mail (default 0.25)")
    parser.add_argument("--include-replays", action="store_true", help="let replay=true predictions count too")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to reach the end offsets")
    parser.add_argument("-X", dest="config", action="append", default=[], metavar="KEY=VALUE", help="librdkafka setting")
    return parser.parse_args()


def registry_config(url: str) -> dict[str, str]:
    config = {"url": url}
    user = os.environ.get("SCHEMA_REGISTRY_USERNAME")
    if user:
        config["basic.auth.user.info"] = f"{user}:{os.environ.get('SCHEMA_REGISTRY_PASSWORD', '')}"
    return config


def millis(value: Any) -> int:
    """A timestamp-millis field: fastavro hands it as an aware datetime."""
    return round(value.timestamp() * 1000) if isinstance(value, datetime) else int(value)


def read_predictions(args: argparse.Namespace) -> tuple[dict[str, Seen], int, int]:
    """The latest prediction of each customer; how many predictions were read and how many replays skipped."""
    config: dict[str, Any] = {
        "bootstrap.servers": args.brokers,
        # a group of its own, never committed: every run reads the whole topic
        "group.id": f"campaign-list-{uuid.uuid4()}",
        "enable.auto.commit": False,
        # the scorer writes in transactions: only committed predictions count (librdkafka's default, said anyway)
        "isolation.level": "read_committed",
        "enable.partition.eof": True,
    }
    for setting in args.config:
        key, _, value = setting.partition("=")
        config[key] = value
    consumer = Consumer(config)
    deserializer = AvroDeserializer(
        SchemaRegistryClient(registry_config(args.registry_url)),
        Path(args.schema).read_text(encoding="utf-8"),
    )
    latest: dict[str, Seen] = {}
    read = skipped = 0
    try:
        topic = consumer.list_topics(args.topic, timeout=10).topics[args.topic]
        if topic.error is not None:
            raise KafkaException(topic.error)
        # Where to stop: each partition's end now. read_committed stops short of an open transaction until it
        # is committed or aborted; aborted records and transaction markers are skipped but still move the position.
        ends = {p: consumer.get_watermark_offsets(TopicPartition(args.topic, p), timeout=10)[1] for p in topic.partitions}
        position = {p: 0 for p in ends}
        consumer.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in ends])
        deadline = time.monotonic() + args.timeout
        while any(position[p] < ends[p] for p in ends):
            if time.monotonic() > deadline:
                behind = {p: f"{position[p]}/{ends[p]}" for p in ends if position[p] < ends[p]}
                raise SystemExit(f"campaign_list: not at the end of {args.topic} after {args.timeout} s: {behind}")
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
            prediction = deserializer(msg.value(), SerializationContext(args.topic, MessageField.VALUE))
            read += 1
            if prediction["replay"] and not args.include_replays:
                skipped += 1
                continue
            seen = Seen(prediction, msg.partition(), msg.offset())
            known = latest.get(prediction["customerid"])
            if known is None or later(seen, known):
                latest[prediction["customerid"]] = seen
    finally:
        consumer.close()
    return latest, read, skipped


def later(a: Seen, b: Seen) -> bool:
    """Whether a is a later prediction of the customer than b: by event_time, then by offset."""
    return (millis(a.prediction["event_time"]), a.offset) > (millis(b.prediction["event_time"]), b.offset)


def main() -> int:
    args = parse_args()
    latest, read, skipped = read_predictions(args)
    ranked = sorted(latest.values(), key=lambda s: (-s.prediction["churn_probability"], s.prediction["customerid"]))
    size = math.ceil(len(ranked) * args.share)
    for rank, seen in enumerate(ranked[:size], start=1):
        p = seen.prediction
        line = {
            "rank": rank,
            "customerid": p["customerid"],
            "churn_probability": p["churn_probability"],
            "churn": p["churn"],
            "model_version": p["model_version"],
            "variant": p["variant"],
            "event_id": p["event_id"],
            "event_time": millis(p["event_time"]),
            "partition": seen.partition,
            "offset": seen.offset,
            "reasons": p["reasons"],
        }
        print(json.dumps(line, ensure_ascii=False))
    cutoff = f", churn_probability >= {ranked[size - 1].prediction['churn_probability']:.4f}" if size > 0 else ""
    print(
        f"read {read} predictions of {len(latest)} customers ({skipped} replays left out); "
        f"campaign: the riskiest {args.share:.0%}, {size} customers{cutoff}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
