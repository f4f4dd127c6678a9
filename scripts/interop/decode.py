"""Decodes Confluent-framed Avro values with confluent-kafka's AvroDeserializer, an implementation
independent of churn-scorer's, to show that the bytes our codec writes are readable by others.

Input (stdin): JSON {"topic": "...", "frames": ["<hex>", ...]}.
Output (stdout): JSON {"values": [<decoded record>, ...]} in input order, timestamp-millis fields as
epoch milliseconds. The writer schema comes from the registry by the id in each frame; no reader
schema is given, so the values are exactly what the writer schema says.

Registry: --registry-url URL (a real Confluent-compatible registry; SCHEMA_REGISTRY_USERNAME and
SCHEMA_REGISTRY_PASSWORD are used when set), or --mock-schema ID=FILE (confluent-kafka's in-process
mock registry holding FILE's schema under ID; repeatable).

    uv run --project training --group interop python scripts/interop/decode.py --registry-url http://127.0.0.1:8081 < in.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def registry_client(args: argparse.Namespace) -> SchemaRegistryClient:
    if args.registry_url:
        conf = {"url": args.registry_url}
        user = os.environ.get("SCHEMA_REGISTRY_USERNAME")
        if user:
            conf["basic.auth.user.info"] = f"{user}:{os.environ.get('SCHEMA_REGISTRY_PASSWORD', '')}"
        return SchemaRegistryClient(conf)
    client = SchemaRegistryClient.new_client({"url": "mock://churn-scorer-decode"})
    for spec in args.mock_schema:
        schema_id_text, _, path = spec.partition("=")
        schema_id = int(schema_id_text)
        # The mock numbers schemas from a private counter; set it so the schema gets the id our frames carry.
        client._store.max_id = schema_id - 1  # noqa: SLF001
        got = client.register_schema(f"mock-{schema_id}", Schema(Path(path).read_text(encoding="utf-8"), "AVRO"))
        if got != schema_id:
            raise SystemExit(f"mock registry gave id {got}, wanted {schema_id}")
    return client


def plain(value: object) -> object:
    if isinstance(value, datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--registry-url")
    source.add_argument("--mock-schema", action="append", default=[], metavar="ID=FILE")
    args = parser.parse_args()

    request = json.load(sys.stdin)
    deserializer = AvroDeserializer(registry_client(args))
    context = SerializationContext(request["topic"], MessageField.VALUE)
    values = [plain(deserializer(bytes.fromhex(frame), context)) for frame in request["frames"]]
    json.dump({"values": values}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
