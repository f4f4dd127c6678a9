"""sklearn's side of `npm run bench:score`: scores/second of the pickled pipeline, printed as one JSON object.

  single: pipeline.predict_proba([customer])[0, 1] per record, as the notes' service calls it
  batch:  pipeline.predict_proba(customers)[:, 1] on the whole list (or --batch-size chunks)

Each mode cycles over the input rows until --seconds have passed or --repeat passes over the rows are done,
whichever comes first (at least one call). Input: JSON lines, each a parity record (its "features" are used)
or a plain customer dict with normalized values. Only the JSON result goes to stdout.

  bash scripts/uv.sh run --frozen --project training python bench/python/score_bench.py [--seconds 2] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import sys
import time
from pathlib import Path

import numpy as np
import sklearn

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ARTIFACT = REPO_ROOT / "models" / "churn" / "1.0.0"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=DEFAULT_ARTIFACT / "model.bin", help="pickled pipeline")
    p.add_argument("--input", type=Path, default=DEFAULT_ARTIFACT / "parity.jsonl", help="JSON lines of customers")
    p.add_argument("--seconds", type=float, default=2.0, help="time budget per mode (default 2)")
    p.add_argument("--repeat", type=int, default=20, help="most passes over the rows per mode (default 20)")
    p.add_argument("--batch-size", type=int, default=0, help="records per batch call; 0 = all rows (default)")
    args = p.parse_args(argv)
    if args.seconds <= 0:
        p.error("--seconds must be > 0")
    if args.repeat < 1:
        p.error("--repeat must be >= 1")
    if args.batch_size < 0:
        p.error("--batch-size must be >= 0")
    return args


def read_rows(path: Path) -> tuple[list[dict], list[float | None]]:
    """Customers and, for parity records, their expected probability."""
    customers: list[dict] = []
    expected: list[float | None] = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise SystemExit(f"score_bench: {path}:{line_no}: not JSON ({e.msg})") from None
            if not isinstance(record, dict):
                raise SystemExit(f"score_bench: {path}:{line_no}: expected a JSON object")
            features = record.get("features", record)
            if not isinstance(features, dict):
                raise SystemExit(f"score_bench: {path}:{line_no}: 'features' is not an object")
            customers.append(features)
            probability = record.get("churn_probability") if "features" in record else None
            expected.append(float(probability) if isinstance(probability, (int, float)) else None)
    if not customers:
        raise SystemExit(f"score_bench: {path}: no rows")
    return customers, expected


def bench_single(pipeline, customers: list[dict], seconds: float, repeat: int) -> dict:
    n = len(customers)
    limit = n * repeat
    calls = 0
    checksum = 0.0
    start = time.perf_counter()
    deadline = start + seconds
    while calls < limit:
        checksum += pipeline.predict_proba([customers[calls % n]])[0, 1]
        calls += 1
        if time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - start
    return {
        "call": "pipeline.predict_proba([customer])[0, 1]",
        "scores": calls,
        "seconds": elapsed,
        "scores_per_second": calls / elapsed,
        "mean_latency_us": elapsed / calls * 1e6,
        "checksum": float(checksum),
    }


def bench_batch(pipeline, customers: list[dict], batch_size: int, seconds: float, repeat: int) -> dict:
    size = batch_size or len(customers)
    batches = [customers[i : i + size] for i in range(0, len(customers), size)]
    passes = 0
    scores = 0
    calls = 0
    checksum = 0.0
    start = time.perf_counter()
    deadline = start + seconds
    done = False
    while passes < repeat and not done:
        for batch in batches:
            checksum += float(np.sum(pipeline.predict_proba(batch)[:, 1]))
            scores += len(batch)
            calls += 1
            if time.perf_counter() >= deadline:
                done = True
                break
        passes += 1
    elapsed = time.perf_counter() - start
    return {
        "call": "pipeline.predict_proba(customers)[:, 1]",
        "batch_size": size,
        "calls": calls,
        "scores": scores,
        "seconds": elapsed,
        "scores_per_second": scores / elapsed,
        "checksum": checksum,
    }


def parity(pipeline, customers: list[dict], expected: list[float | None]) -> dict | None:
    pairs = [(c, e) for c, e in zip(customers, expected) if e is not None]
    if not pairs:
        return None
    got = pipeline.predict_proba([c for c, _ in pairs])[:, 1]
    diffs = np.abs(got - np.array([e for _, e in pairs]))
    return {"checked": len(pairs), "max_abs_diff": float(np.max(diffs))}


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    with open(args.model, "rb") as f_in:
        pipeline = pickle.load(f_in)
    customers, expected = read_rows(args.input)

    # Warm-up so first-call costs (imports, allocator) are not timed.
    for c in customers[: min(100, len(customers))]:
        pipeline.predict_proba([c])
    pipeline.predict_proba(customers)

    result = {
        "implementation": "scikit-learn",
        "model": str(args.model),
        "input": str(args.input),
        "rows": len(customers),
        "limits": {"seconds_per_mode": args.seconds, "max_passes_per_mode": args.repeat},
        "versions": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "threads_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS") if k in os.environ},
        "parity": parity(pipeline, customers, expected),
        "single": bench_single(pipeline, customers, args.seconds, args.repeat),
        "batch": bench_batch(pipeline, customers, args.batch_size, args.seconds, args.repeat),
    }
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
