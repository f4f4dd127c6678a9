"""Deterministic JSON output: insertion order kept, floats as Python's shortest round-trip repr, never rounded."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def _check_finite(value: Any, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where}: non-finite float {value!r} cannot go into the artifact")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_finite(v, f"{where}[{i}]")


def dumps_pretty(obj: Any, where: str) -> str:
    _check_finite(obj, where)
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def dumps_line(obj: Any, where: str) -> str:
    _check_finite(obj, where)
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"


def write_text(path: Path, text: str) -> None:
    # newline="\n" so the bytes are the same on every platform.
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
