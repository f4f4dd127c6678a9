"""Byte-for-byte comparison of a freshly trained artifact with a committed one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileComparison:
    name: str
    same: bool
    reason: str


def compare_dirs(expected: Path, actual: Path, names: tuple[str, ...]) -> list[FileComparison]:
    results = []
    for name in names:
        e, a = expected / name, actual / name
        if not e.is_file():
            results.append(FileComparison(name, False, f"missing in {expected}"))
            continue
        eb, ab = e.read_bytes(), a.read_bytes()
        if eb == ab:
            results.append(FileComparison(name, True, "identical"))
        else:
            first = next((i for i, (x, y) in enumerate(zip(eb, ab)) if x != y), min(len(eb), len(ab)))
            results.append(
                FileComparison(name, False, f"differs at byte {first} ({len(eb)} bytes committed, {len(ab)} retrained)")
            )
    return results
