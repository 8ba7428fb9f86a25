"""The catalog search's cursor position: a partition, that index's start key, a selectivity.

The encoding, checksum and scope check are ``services.common.cursor``'s; this module adds only
what is the catalog's own: a search resumes in one partition of a per-sort index (the key must
be that index's key in that partition), with the filter selectivity the first page estimated
(so later pages need no statistics read).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common import cursor as common
from services.common.cursor import InvalidCursor, fingerprint

__all__ = ["InvalidCursor", "Position", "decode", "encode", "fingerprint"]
PARTITION_PREFIX = "IX#"


@dataclass(frozen=True)
class Position:
    """Where a search resumes: the partition queried, the DynamoDB start key, selectivity."""

    partition: str
    key: dict[str, str]
    filters: tuple[str, ...] = ()
    """Required terms the partition does not guarantee (a completed prefix included)."""
    selectivity: float = 1.0


def encode(position: Position, query_fingerprint: str) -> str:
    payload = {
        "t": position.partition, "k": position.key,
        "f": list(position.filters), "s": position.selectivity,
    }  # fmt: skip
    return common.encode(payload, scope=query_fingerprint)


def decode(cursor: str, query_fingerprint: str, index_name: str) -> Position:
    """The position in ``cursor``; ``InvalidCursor`` unless it was issued for this query."""
    payload = common.decode(cursor, scope=query_fingerprint)
    key = common.start_key(payload, {"pk", "sk", f"{index_name}pk", f"{index_name}sk"})
    partition, filters, selectivity = payload.get("t"), payload.get("f"), payload.get("s")
    if not isinstance(partition, str) or key[f"{index_name}pk"] != PARTITION_PREFIX + partition:
        raise InvalidCursor("cursor position is malformed")
    if not isinstance(filters, list) or not all(isinstance(f, str) for f in filters):
        raise InvalidCursor("cursor position is malformed")
    if not isinstance(selectivity, int | float) or not 0 < selectivity <= 1:
        raise InvalidCursor("cursor position is malformed")
    return Position(partition, key, tuple(filters), float(selectivity))
