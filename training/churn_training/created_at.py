"""The artifact's creation time: SOURCE_DATE_EPOCH when set, so a rebuild gives the same bytes."""

from __future__ import annotations

from datetime import datetime, timezone

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def from_epoch(value: str) -> str:
    try:
        epoch = int(value)
    except ValueError:
        raise ValueError(f"SOURCE_DATE_EPOCH must be an integer number of seconds, got {value!r}") from None
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime(ISO_FORMAT)


def now() -> str:
    return datetime.now(tz=timezone.utc).strftime(ISO_FORMAT)


def parse(created_at: str) -> str:
    """Validates an ISO time taken from an existing model.json and returns it unchanged."""
    datetime.strptime(created_at, ISO_FORMAT)
    return created_at
