"""The event envelope every service publishes and consumes (JSON body of the SQS message).

The wire format is camelCase (``correlationId``) like the rest of the platform's JSON; the
dataclass is snake_case. ``from_dict`` ignores fields it does not know, so a producer can add
envelope fields without breaking older consumers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ENVELOPE_VERSION = 1
"""Schema version of ``data`` written by this code; consumers reject versions they do not know."""

_WIRE_FIELDS = ("id", "type", "version", "source", "time", "correlationId", "data")


@dataclass(frozen=True)
class Envelope:
    """One event: ``data`` is the type-specific payload described by ``schemas/<type>.json``."""

    id: str
    type: str
    version: int
    source: str
    time: str
    correlation_id: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The wire shape (camelCase keys)."""
        return {
            "id": self.id,
            "type": self.type,
            "version": self.version,
            "source": self.source,
            "time": self.time,
            "correlationId": self.correlation_id,
            "data": self.data,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> Envelope:
        """Build from the wire shape; unknown fields are ignored, missing ones raise ValueError."""
        missing = [name for name in _WIRE_FIELDS if name not in body]
        if missing:
            raise ValueError(f"envelope is missing field(s): {', '.join(missing)}")
        return cls(
            id=str(body["id"]),
            type=str(body["type"]),
            version=int(body["version"]),
            source=str(body["source"]),
            time=str(body["time"]),
            correlation_id=str(body["correlationId"]),
            data=dict(body["data"]),
        )


def utc_now_iso() -> str:
    """ISO 8601 UTC with milliseconds and a ``Z`` suffix, e.g. ``2026-11-23T15:00:00.000Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


EVENT_ID_NAMESPACE = uuid.UUID("6f1c1d2e-8a53-4f61-9b0e-5d4e0c2a7b90")


def stable_event_id(*parts: object) -> str:
    """The same id for the same fact (e.g. upload id + revision + type).

    A producer that may publish a fact twice (crash between its write and its publish)
    gives both copies one id, so every consumer's idempotency on the event id drops the copy.
    """
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, "|".join(str(p) for p in parts)))


def new_envelope(
    event_type: str,
    source: str,
    data: Mapping[str, Any],
    correlation_id: str | None = None,
    event_id: str | None = None,
) -> Envelope:
    """A fresh envelope (uuid4 id unless given, current UTC time, version 1).

    Without a correlation id the event starts a new chain and correlates to itself.
    """
    event_id = event_id or str(uuid.uuid4())
    return Envelope(
        id=event_id,
        type=event_type,
        version=ENVELOPE_VERSION,
        source=source,
        time=utc_now_iso(),
        correlation_id=correlation_id or event_id,
        data=dict(data),
    )
