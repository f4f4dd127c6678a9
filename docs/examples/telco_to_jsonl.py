#!/usr/bin/env python3
"""Converts the Telco Customer Churn CSV into JSON lines: customers for `churn-scorer score`, or (with
--events) CustomerEvents for the producers in docs/examples/producer/.

Each CSV row becomes one JSON object with `customerid` and the 19 features under their lower-case names
(`customerID` -> `customerid`, `SeniorCitizen` -> `seniorcitizen`, `TotalCharges` -> `totalcharges`, ...),
in the CSV's column order. Categories keep the CSV's spelling ("Fiber optic", "Month-to-month"): the scorer
normalizes them itself. `seniorcitizen` and `tenure` are integers, the charges floats; a blank TotalCharges
(11 new customers with tenure 0) becomes 0.0, as the course's training does. The label column `Churn` is
dropped: it is what the model predicts, not an input.

    python3 docs/examples/telco_to_jsonl.py data/WA_Fn-UseC_-Telco-Customer-Churn.csv --limit 5
    python3 docs/examples/telco_to_jsonl.py data/WA_Fn-UseC_-Telco-Customer-Churn.csv --events --event-id-prefix run1

Standard library only (any Python 3.9+).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import uuid
from datetime import datetime
from typing import Iterator, TextIO, Union

# The CSV's columns in order, and the field each becomes. `Churn` (the label) is not among them.
COLUMNS = [
    "customerID",
    "gender",
    "SeniorCitizen",
    "Partner",
    "Dependents",
    "tenure",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
    "MonthlyCharges",
    "TotalCharges",
]
INTEGER_FIELDS = {"seniorcitizen", "tenure"}
FLOAT_FIELDS = {"monthlycharges", "totalcharges"}

Value = Union[str, int, float]


def customers(csv_file: TextIO) -> Iterator[dict[str, Value]]:
    """The rows of the Telco CSV as customers (customerid + the 19 features)."""
    reader = csv.DictReader(csv_file)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SystemExit(f"telco_to_jsonl: the CSV has no column {', '.join(missing)}")
    for row_number, row in enumerate(reader, start=2):
        customer: dict[str, Value] = {}
        for column in COLUMNS:
            field = column.lower()
            raw = row[column]
            try:
                if field in INTEGER_FIELDS:
                    customer[field] = int(raw)
                elif field in FLOAT_FIELDS:
                    customer[field] = 0.0 if raw.strip() == "" else float(raw)
                else:
                    customer[field] = raw
            except ValueError:
                raise SystemExit(f"telco_to_jsonl: line {row_number}: {column} is {raw!r}, not a number") from None
        yield customer


def epoch_millis(text: str) -> int:
    """An ISO 8601 time (a zone is required) or epoch milliseconds."""
    if text.lstrip("-").isdigit():
        return int(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add Z or +hh:mm")
    return round(moment.timestamp() * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("csv", help="the Telco CSV, e.g. data/WA_Fn-UseC_-Telco-Customer-Churn.csv")
    parser.add_argument("--skip", type=int, default=0, metavar="N", help="leave out the first N rows")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="at most N rows")
    parser.add_argument(
        "--events",
        action="store_true",
        help="write CustomerEvents: add event_id and event_time (the producers fill them in when absent)",
    )
    parser.add_argument(
        "--event-id-prefix",
        metavar="PREFIX",
        help="with --events: event_id = PREFIX-<row index> (default: a random UUID per event)",
    )
    parser.add_argument(
        "--event-time",
        type=epoch_millis,
        metavar="TIME",
        help="with --events: event_time of every event, ISO 8601 or epoch ms (default: now)",
    )
    parser.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    args = parser.parse_args()

    event_time = args.event_time if args.event_time is not None else round(time.time() * 1000)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        with open(args.csv, newline="", encoding="utf-8") as csv_file:
            for index, customer in enumerate(customers(csv_file)):
                if index < args.skip:
                    continue
                if args.limit is not None and index >= args.skip + args.limit:
                    break
                record: dict[str, Value] = dict(customer)
                if args.events:
                    prefix = args.event_id_prefix
                    record["event_id"] = f"{prefix}-{index}" if prefix else str(uuid.uuid4())
                    record["event_time"] = event_time
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
