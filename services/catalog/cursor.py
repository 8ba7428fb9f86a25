"""Opaque pagination cursors: base64url JSON of the position, bound to the query.

A cursor holds the last returned item's index key, the tag partition the listing is
queried on and a fingerprint of the query's filters, plus a checksum. It is integrity-checked,
not secret: a hand-made cursor that passes every check can only start a public listing at
some position, so any edit, truncation or reuse with other filters is a 400, never a 5xx.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CURSOR_VERSION = 1
MAX_CURSOR_LENGTH = 2048


class InvalidCursor(ValueError):
    """The cursor was not issued for this query (edited, truncated, or from another query)."""


@dataclass(frozen=True)
class Position:
    """Where a listing resumes: the tag partition queried and the DynamoDB start key."""

    tag: str
    key: dict[str, str]


def encode(position: Position, fingerprint: str) -> str:
    payload = {"v": CURSOR_VERSION, "q": fingerprint, "t": position.tag, "k": position.key}
    body = _canonical(payload)
    wrapped = _canonical({"p": payload, "c": _checksum(body)})
    return base64.urlsafe_b64encode(wrapped.encode()).decode().rstrip("=")


def decode(cursor: str, fingerprint: str, index_name: str) -> Position:
    """The position in ``cursor``; ``InvalidCursor`` unless it was issued for this query."""
    payload = _unwrap(cursor)
    if payload.get("v") != CURSOR_VERSION or payload.get("q") != fingerprint:
        raise InvalidCursor("cursor does not belong to this query (filters or sort changed)")
    tag, key = payload.get("t"), payload.get("k")
    expected = {"pk", "sk", f"{index_name}pk", f"{index_name}sk"}
    if not isinstance(tag, str) or not isinstance(key, dict) or set(key) != expected:
        raise InvalidCursor("cursor position is malformed")
    if not all(isinstance(v, str) and 0 < len(v) <= 512 for v in key.values()):
        raise InvalidCursor("cursor position is malformed")
    if key[f"{index_name}pk"] != f"TAG#{tag}":
        raise InvalidCursor("cursor position is malformed")
    return Position(tag=tag, key=key)


def fingerprint(**query: Any) -> str:
    """A short digest of the query's filters and sort (not of the page size)."""
    return hashlib.sha256(_canonical(query).encode()).hexdigest()[:16]


def _unwrap(cursor: str) -> Mapping[str, Any]:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("cursor is too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        wrapped = json.loads(raw.decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor("cursor is not a cursor this API issued") from None
    if not isinstance(wrapped, dict) or not isinstance(wrapped.get("p"), dict):
        raise InvalidCursor("cursor is not a cursor this API issued")
    if wrapped.get("c") != _checksum(_canonical(wrapped["p"])):
        raise InvalidCursor("cursor was modified")
    return wrapped["p"]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _checksum(body: str) -> str:
    return hashlib.sha256(b"catalog-cursor/v1\n" + body.encode()).hexdigest()[:16]
