"""Writes test/fixtures/interop/python-customer-events.json: CustomerEvents framed by an
independent Confluent-wire implementation (confluent-kafka's AvroSerializer over fastavro),
for the TypeScript codec to decode in a unit test.

Run from the repository root:
    uv run --project training --group interop python scripts/interop/encode_fixture.py

The registry is confluent-kafka's in-process mock (mock:// URL). Two writer schemas are used:
schemas/customer-event.avsc as it is, and an evolved copy with one extra optional field (what a
producer may add without breaking consumers). The output is deterministic for a given schema
file and library versions, so re-running it leaves the fixture unchanged.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schemas" / "customer-event.avsc"
OUT_FILE = ROOT / "test" / "fixtures" / "interop" / "python-customer-events.json"
TOPIC = "customers"

# The mock registry numbers schemas 1, 2, ...; start it at 0x01020304 so that every byte of the
# 4-byte big-endian id in the frame is distinct and a byte-order mistake cannot go unnoticed.
FIRST_SCHEMA_ID = 0x01020304

EVOLVED_FIELD = {
    "name": "loyalty_tier",
    "type": ["null", "string"],
    "default": None,
    "doc": "Added by a newer producer; optional with a default, so older readers ignore it.",
}


def ms(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


# The notes' two example customers with the CSV's raw spellings, plus edge cases:
# non-ASCII text, zero charges, the largest tenure, a pre-1970 timestamp.
EVENTS = [
    {
        "customerid": "8879-zkjof",
        "event_id": "00000000-0000-4000-8000-000000000001",
        "event_time": datetime(2026, 11, 21, 12, 0, 0, 123000, tzinfo=timezone.utc),
        "gender": "female", "seniorcitizen": 0, "partner": "no", "dependents": "no", "tenure": 41,
        "phoneservice": "yes", "multiplelines": "no", "internetservice": "dsl", "onlinesecurity": "yes",
        "onlinebackup": "no", "deviceprotection": "yes", "techsupport": "yes", "streamingtv": "yes",
        "streamingmovies": "yes", "contract": "one_year", "paperlessbilling": "yes",
        "paymentmethod": "bank_transfer_(automatic)", "monthlycharges": 79.85, "totalcharges": 3320.75,
    },
    {
        "customerid": "7590-VHVEG",
        "event_id": "00000000-0000-4000-8000-000000000002",
        "event_time": datetime(2026, 11, 21, 12, 0, 1, tzinfo=timezone.utc),
        "gender": "Female", "seniorcitizen": 0, "partner": "Yes", "dependents": "No", "tenure": 1,
        "phoneservice": "No", "multiplelines": "No phone service", "internetservice": "DSL",
        "onlinesecurity": "No", "onlinebackup": "Yes", "deviceprotection": "No", "techsupport": "No",
        "streamingtv": "No", "streamingmovies": "No", "contract": "Month-to-month", "paperlessbilling": "Yes",
        "paymentmethod": "Electronic check", "monthlycharges": 29.85, "totalcharges": 29.85,
    },
    {
        "customerid": "Zoë-Ünicode-客户-🙂",
        "event_id": "00000000-0000-4000-8000-000000000003",
        "event_time": datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc),
        "gender": "Male", "seniorcitizen": 1, "partner": "No", "dependents": "Yes", "tenure": 72,
        "phoneservice": "Yes", "multiplelines": "Yes", "internetservice": "Fiber optic",
        "onlinesecurity": "No internet service", "onlinebackup": "No internet service",
        "deviceprotection": "No internet service", "techsupport": "No internet service",
        "streamingtv": "No internet service", "streamingmovies": "No internet service",
        "contract": "Two year", "paperlessbilling": "No", "paymentmethod": "Credit card (automatic)",
        "monthlycharges": 0.0, "totalcharges": 0.0,
    },
]


def json_value(event: dict) -> dict:
    return {k: (ms(v) if isinstance(v, datetime) else v) for k, v in event.items()}


def main() -> None:
    schema_text = SCHEMA_FILE.read_text(encoding="utf-8")
    evolved = json.loads(schema_text)
    evolved["fields"].append(EVOLVED_FIELD)
    evolved_text = json.dumps(evolved, indent=2)

    registry = SchemaRegistryClient.new_client({"url": "mock://churn-scorer-interop"})
    # Private counter of the mock store; only the numbering changes, not the serialization.
    registry._store.max_id = FIRST_SCHEMA_ID - 1  # noqa: SLF001
    context = SerializationContext(TOPIC, MessageField.VALUE)

    records = []
    schemas = {}
    for label, text, extra in (("current", schema_text, {}), ("evolved", evolved_text, {"loyalty_tier": "gold"})):
        serializer = AvroSerializer(registry, text)
        for event in EVENTS:
            framed = serializer({**event, **extra}, context)
            schema_id = int.from_bytes(framed[1:5], "big")
            schemas[str(schema_id)] = text
            records.append({
                "writer": label,
                "schema_id": schema_id,
                "hex": framed.hex(),
                "value": json_value({**event, **extra}),
            })

    fixture = {
        "description": "CustomerEvents serialized by confluent-kafka's AvroSerializer (Confluent wire format); "
                       "generated by scripts/interop/encode_fixture.py, do not edit by hand",
        "generator": {
            "confluent-kafka": version("confluent-kafka"),
            "fastavro": version("fastavro"),
            "python": sys.version.split()[0],
        },
        "topic": TOPIC,
        "subject": f"{TOPIC}-value",
        "schemas": schemas,
        "records": records,
    }
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(records)} records with schema ids {sorted(map(int, schemas))} to {OUT_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
