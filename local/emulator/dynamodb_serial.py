"""WORKAROUND (moto 5.2.x): DynamoDB transactions snapshot only the items they name, and an
account's DynamoDB requests are served one at a time.

Why: moto's ``TransactWriteItems`` deep-copies every table it touches, once per item of the
transaction, and when a condition fails puts the copy back whole. Two faults follow:
- a write another request committed in between (another consumer's transaction, a
  ``PutItem``) is silently undone: a lost update DynamoDB never makes. The catalog counts
  popularity with conditioned transactions retried on conflict, so under concurrent purchases
  of one image a count went missing (the fault burst test, ``tests/e2e/test_faults.py``);
- a transaction costs a copy of the whole table: the catalog's table holds ~160 search entries
  per published image, so every write got slower as the local catalogue grew and a burst of
  uploads saturated the emulator (``bench local`` measures it).

How: moto's own ``transact_write_items`` still checks and applies the operations, but its
table copies are skipped; this module snapshots the items the transaction names (and the
length of each table's stream) and, when moto cancels the transaction, puts exactly those
items back and drops the stream records the cancelled writes produced. A lock per account
around moto's DynamoDB request handler runs each request (a transaction included) alone
among its account's, which is the per-item linearisability DynamoDB gives; a transaction
never spans accounts (each account is its own moto backend), so accounts do not wait for
each other.

How to remove: the canaries in ``tests/local/test_dynamodb_serial.py`` fail the day moto
stops copying and restoring whole tables; then delete this module and its install call in
local/emulator/cloud.py.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

MOTO_TRANSACT_WRITE_ITEMS = DynamoDBBackend.transact_write_items
"""moto's own implementation (the canary calls it as moto ships it)."""

_GUARD = threading.Lock()
_LOCKS: dict[str, threading.RLock] = {}
_INSTALLED = False


def lock_for(account: str) -> threading.RLock:
    """The one lock of ``account``'s DynamoDB requests."""
    with _GUARD:
        return _LOCKS.setdefault(account, threading.RLock())


def install() -> None:
    """Patch moto's DynamoDB in this process (idempotent): per-item transaction snapshots,
    requests serialised per account."""
    global _INSTALLED
    with _GUARD:
        if not _INSTALLED:
            dynamodb_models.copy = _TABLE_SPARING_COPY  # type: ignore[assignment]
            DynamoDBBackend.transact_write_items = _item_snapshots(MOTO_TRANSACT_WRITE_ITEMS)  # type: ignore[method-assign]
            DynamoHandler.call_action = _serialised(DynamoHandler.call_action)  # type: ignore[method-assign]
            _INSTALLED = True


@contextmanager
def as_shipped() -> Iterator[None]:
    """moto's own transactions inside the block, installed or not (canaries, ``bench
    emulator``'s baseline); not for use while a server serves requests."""
    saved = dynamodb_models.copy, DynamoDBBackend.transact_write_items
    dynamodb_models.copy = copy  # type: ignore[assignment]
    DynamoDBBackend.transact_write_items = MOTO_TRANSACT_WRITE_ITEMS  # type: ignore[method-assign]
    try:
        yield
    finally:
        dynamodb_models.copy, DynamoDBBackend.transact_write_items = saved  # type: ignore[method-assign]


def _deepcopy_sparing_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy``, except that a whole table is not copied (only transactions copy
    tables in moto's DynamoDB models, and ``_item_snapshots`` does their rollback)."""
    if isinstance(value, Table):
        return value
    return copy.deepcopy(value, memo)


_TABLE_SPARING_COPY = SimpleNamespace(deepcopy=_deepcopy_sparing_tables)
"""Stands for the ``copy`` module inside ``moto.dynamodb.models``."""


@dataclass
class _ItemBefore:
    """One item a transaction names, as it was before the transaction."""

    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None

    def restore(self) -> None:
        """Put the item back (or remove it) without writing a stream record."""
        if self.range_key is None:
            if self.item is None:
                self.table.items.pop(self.hash_key, None)
            else:
                self.table.items[self.hash_key] = self.item  # type: ignore[assignment]
            return
        items = self.table.items[self.hash_key]
        if self.item is None:
            items.pop(self.range_key, None)
        else:
            items[self.range_key] = self.item


def _item_snapshots(original: Callable[..., Any]) -> Callable[..., Any]:
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> Any:
        befores, streams = _snapshot(self, transact_items)
        try:
            return original(self, transact_items)
        except Exception:  # moto cancelled the transaction: undo what it applied
            for before in reversed(befores):
                before.restore()
            for shard, length in streams:
                del shard.items[length:]
            raise

    return transact_write_items


def _snapshot(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
) -> tuple[list[_ItemBefore], list[tuple[Any, int]]]:
    """The named items as they are now, and each touched table's stream length."""
    befores: list[_ItemBefore] = []
    streams: dict[int, tuple[Any, int]] = {}
    for entry in transact_items:
        for op_type, op in entry.items():
            table = _table(backend, op.get("TableName"))
            attributes = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is None or not isinstance(attributes, dict):
                continue  # moto reports the unknown table or the malformed operation
            before = _item_before(table, attributes)
            if before is not None:
                befores.append(before)
            shard = table.stream_shard
            if shard is not None:
                streams.setdefault(id(shard), (shard, len(shard.items)))
    return befores, list(streams.values())


def _table(backend: DynamoDBBackend, name: Any) -> Table | None:
    """The table a transaction names (by name or ARN, as moto resolves it), or None."""
    if not isinstance(name, str):
        return None
    try:
        return backend.get_table(name)
    except Exception:  # moto's ResourceNotFound: it cancels the transaction itself
        return None


def _item_before(table: Table, attributes: dict[str, Any]) -> _ItemBefore | None:
    hash_value = attributes.get(table.hash_key_attr)
    range_value = attributes.get(table.range_key_attr) if table.range_key_attr else None
    if hash_value is None or (table.range_key_attr and range_value is None):
        return None  # moto rejects an operation without its key
    hash_key = DynamoType(hash_value)
    range_key = DynamoType(range_value) if range_value is not None else None
    current = table.get_item(hash_key, range_key)
    return _ItemBefore(table, hash_key, range_key, copy.deepcopy(current))


def _serialised(original: Callable[..., Any]) -> Callable[..., Any]:
    def call_action(self: Any) -> Any:
        with lock_for(str(getattr(self, "current_account", ""))):
            return original(self)

    return call_action
