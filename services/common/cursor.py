"""Opaque pagination cursors, shared by every listing: base64url JSON, checksummed, scoped.

A cursor carries where a listing resumes (DynamoDB's ``LastEvaluatedKey``, plus whatever the
listing needs) and the scope it was issued for: the owner's partition, or a fingerprint of the
query's filters. It is integrity-checked, not secret (no key to manage or rotate): a hand-made
cursor that passes every check can only start the caller's own listing at some position, so
any edit, truncation, garbage or reuse by another owner or query is an ``InvalidCursor`` (a 400
naming the cursor), never a DynamoDB error or a 5xx.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Collection, Mapping
from typing import Any

CURSOR_VERSION = 1
MAX_CURSOR_LENGTH = 2048
MAX_KEY_VALUE_LENGTH = 512
_CHECKSUM_DOMAIN = b"marketplace-cursor/v1\n"


class InvalidCursor(ValueError):
    """The cursor was not issued for this listing (edited, truncated, or another's)."""


def encode(position: Mapping[str, Any], scope: str) -> str:
    """A cursor for ``position`` (JSON-able, e.g. ``{"k": last_key}``) valid only in ``scope``."""
    payload = {**position, "v": CURSOR_VERSION, "q": scope}
    wrapped = _canonical({"p": payload, "c": _checksum(payload)})
    return base64.urlsafe_b64encode(wrapped.encode()).decode().rstrip("=")


def decode(cursor: str, scope: str) -> dict[str, Any]:
    """The position ``cursor`` carries; ``InvalidCursor`` unless it was issued for ``scope``."""
    payload = _unwrap(cursor)
    if payload.get("v") != CURSOR_VERSION or payload.get("q") != scope:
        raise InvalidCursor("cursor does not belong to this query (filters, sort or owner)")
    return {name: value for name, value in payload.items() if name not in ("v", "q")}


def start_key(
    position: Mapping[str, Any], fields: Collection[str], fixed: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The position's DynamoDB start key (``"k"``): exactly ``fields``, short non-empty strings,
    and the values in ``fixed`` (the caller's partition) where given.

    Checked even though the checksum passed: the checksum is public, so a hand-made cursor
    must still not reach DynamoDB with a key it would reject (a 5xx) or that is not this index's.
    """
    key = position.get("k")
    if not isinstance(key, dict) or set(key) != set(fields):
        raise InvalidCursor("cursor position is malformed")
    if not all(isinstance(v, str) and 0 < len(v) <= MAX_KEY_VALUE_LENGTH for v in key.values()):
        raise InvalidCursor("cursor position is malformed")
    if any(key[name] != value for name, value in (fixed or {}).items()):
        raise InvalidCursor("cursor position is malformed")
    return dict(key)


def fingerprint(**query: Any) -> str:
    """A short digest of a query's filters and sort (not of the page size), to scope a cursor."""
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
    if wrapped.get("c") != _checksum(wrapped["p"]):
        raise InvalidCursor("cursor was modified")
    payload: Mapping[str, Any] = wrapped["p"]
    return payload


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _checksum(payload: Any) -> str:
    return hashlib.sha256(_CHECKSUM_DOMAIN + _canonical(payload).encode()).hexdigest()[:16]
