"""WORKAROUND (moto 5.2.x): a DynamoDB Query starts from the items that can match, not from
the whole table sorted.

Why: moto's ``Table.query`` begins with ``Table.all_items()``, which collects every item of
the table and sorts them all, then keeps those of the queried partition: every Query costs a
sort of the whole table. The catalog's table holds ~160 search entries per published image
and every catalog page is a Query, so in the local environment each page got slower as the
catalogue grew (the largest single cost in a profile of the end-to-end suite once
transactions were fixed, ``dynamodb_serial.py``).

How: while moto's own ``query`` runs, ``all_items`` answers with the candidates only: for the
table's key, the queried partition's items (moto keeps them by hash key); for an index, the
items whose index hash key attributes equal the queried values, compared on their raw
type and value (strings and binaries only; for numbers every item, as before) and unsorted.
moto still applies every condition, sorts, filters, pages and projects as before, so the
answer is the one it would have given; ``scan`` and everything else is untouched.

How to remove: the canary in ``tests/local/test_dynamodb_query.py`` fails the day moto's
Query stops sorting the whole table; then delete this module and its install call in
local/emulator/cloud.py.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

MOTO_QUERY = Table.query
MOTO_ALL_ITEMS = Table.all_items
"""moto's own implementations (the canary calls them as moto ships them)."""

EXACT_TYPES = ("S", "B")
"""Key types whose equality is equality of the raw value (a number "1" equals "1.0")."""

_CANDIDATES: contextvars.ContextVar[tuple[Table, list[Item]] | None] = contextvars.ContextVar(
    "moto_query_candidates", default=None
)


def install() -> None:
    """Patch moto's ``Table.query`` in this process (idempotent)."""
    if Table.query is MOTO_QUERY:
        Table.query = _from_candidates(MOTO_QUERY)  # type: ignore[method-assign]
        Table.all_items = _all_items  # type: ignore[method-assign]


@contextmanager
def as_shipped() -> Iterator[None]:
    """moto's own Query inside the block, installed or not (canary, comparisons)."""
    saved = Table.query, Table.all_items
    Table.query, Table.all_items = MOTO_QUERY, MOTO_ALL_ITEMS  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query, Table.all_items = saved  # type: ignore[method-assign]


def _from_candidates(original: Callable[..., Any]) -> Callable[..., Any]:
    def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        conditions = kwargs.get("hash_key_conditions") or []
        token = _CANDIDATES.set((self, candidates(self, hash_key, index_name, conditions)))
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            _CANDIDATES.reset(token)

    return query


def _all_items(self: Table) -> list[Item]:
    """The running query's candidates when it asks for this table's items; else moto's."""
    running = _CANDIDATES.get()
    if running is not None and running[0] is self:
        return running[1]
    return MOTO_ALL_ITEMS(self)


def candidates(
    table: Table,
    hash_key: DynamoType | None,
    index_name: str | None,
    conditions: list[tuple[str, DynamoType]],
) -> list[Item]:
    """Every item that can match the query's hash key (a superset: moto decides)."""
    if not index_name:
        if hash_key is None:
            return _every_item(table)
        partition = table.items.get(hash_key)
        if partition is None:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]  # type: ignore[list-item]
    exact = [(name, value) for name, value in conditions if value.type in EXACT_TYPES]
    return [item for item in _every_item(table) if _matches(item, exact)]


def _every_item(table: Table) -> list[Item]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())  # type: ignore[arg-type]


def _matches(item: Item, exact: list[tuple[str, DynamoType]]) -> bool:
    for name, value in exact:
        found = item.attrs.get(name)
        if found is None or found.type != value.type or found.value != value.value:
            return False
    return True
