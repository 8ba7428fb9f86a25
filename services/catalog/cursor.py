"""The catalog listing's cursor position: a tag partition and that tag index's start key.

The encoding, checksum and scope check are ``services.common.cursor``'s; this module adds only
what is the catalog's own: the listing resumes in one tag partition of a per-sort index, and
the key must be that index's key in that partition.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common import cursor as common
from services.common.cursor import InvalidCursor, fingerprint

__all__ = ["InvalidCursor", "Position", "decode", "encode", "fingerprint"]


@dataclass(frozen=True)
class Position:
    """Where a listing resumes: the tag partition queried and the DynamoDB start key."""

    tag: str
    key: dict[str, str]


def encode(position: Position, query_fingerprint: str) -> str:
    return common.encode({"t": position.tag, "k": position.key}, scope=query_fingerprint)


def decode(cursor: str, query_fingerprint: str, index_name: str) -> Position:
    """The position in ``cursor``; ``InvalidCursor`` unless it was issued for this query."""
    payload = common.decode(cursor, scope=query_fingerprint)
    key = common.start_key(payload, {"pk", "sk", f"{index_name}pk", f"{index_name}sk"})
    tag = payload.get("t")
    if not isinstance(tag, str) or key[f"{index_name}pk"] != f"TAG#{tag}":
        raise InvalidCursor("cursor position is malformed")
    return Position(tag=tag, key=key)
