"""The DynamoDB workaround (local/emulator/dynamodb_serial.py): why it exists, and that it
holds: a cancelled transaction undoes exactly its own writes, at a cost that does not grow
with the table."""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from local.emulator import dynamodb_serial

CANARY_ACCOUNT = "999900000042"
"""An account no environment uses: the canary works on moto's in-process backend directly
(not ``mock_aws``, whose exit wipes moto's process-wide state, other tests' clouds included)."""


@pytest.fixture
def backend() -> Iterator[Any]:
    yield from table_in_backend(streams=None)


@pytest.fixture
def streamed() -> Iterator[Any]:
    yield from table_in_backend(streams={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})


@pytest.fixture
def moto_as_shipped() -> Iterator[None]:
    """moto's own transactions with the real ``copy`` module, whatever is installed."""
    with dynamodb_serial.as_shipped():
        yield


@pytest.fixture
def installed() -> None:
    dynamodb_serial.install()


def table_in_backend(streams: dict[str, Any] | None) -> Iterator[tuple[Any, str]]:
    dynamodb = dynamodb_backends[CANARY_ACCOUNT]["eu-west-1"]
    name = f"canary-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        name,
        schema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        throughput=None,
        attr=[{"AttributeName": "pk", "AttributeType": "S"}],
        global_indexes=None,
        indexes=None,
        streams=streams,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    yield dynamodb, name
    dynamodb.delete_table(name)


def test_moto_still_undoes_concurrent_writes_on_a_failed_transaction(
    backend: tuple[Any, str], moto_as_shipped: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, table = backend
    # GIVEN a writer that commits while a transaction is between its snapshot and its checks
    # (what a second request thread does in moto's server), simulated deterministically
    real_deepcopy = copy.deepcopy

    def snapshot_then_another_write(value: Any, *args: Any) -> Any:
        snapshot = real_deepcopy(value, *args)
        monkeypatch.setattr(dynamodb_models.copy, "deepcopy", real_deepcopy)
        dynamodb.put_item(table, {"pk": {"S": "committed-meanwhile"}})
        return snapshot

    monkeypatch.setattr(dynamodb_models.copy, "deepcopy", snapshot_then_another_write)
    # WHEN the transaction fails its condition
    guarded = {"TableName": table, "Item": {"pk": {"S": "guarded"}}}
    with pytest.raises(TransactionCanceledException):
        dynamodb.transact_write_items(
            [{"Put": {**guarded, "ConditionExpression": "attribute_exists(pk)"}}]
        )
    # THEN moto restored its snapshot: the other request's committed write is gone. When this
    # fails, moto no longer loses concurrent writes and dynamodb_serial.py can go.
    assert dynamodb.get_item(table, {"pk": {"S": "committed-meanwhile"}}) is None


def test_workaround_runs_each_dynamodb_request_under_its_accounts_lock() -> None:
    # GIVEN the workaround installed (EmbeddedCloud.start does it)
    dynamodb_serial.install()
    from moto.dynamodb.responses import DynamoHandler

    # THEN moto's DynamoDB handler is the serialised one: while a request of one account runs,
    # another request of that account waits, and another account's request does not
    assert DynamoHandler.call_action.__qualname__.startswith("_serialised")
    seen: dict[str, bool] = {}

    def request(_: object) -> None:
        for account in ("111100000001", "111100000002"):
            probe = threading.Thread(target=lambda a=account: seen.update({a: try_lock(a)}))
            probe.start()
            probe.join()

    def try_lock(account: str) -> bool:
        lock = dynamodb_serial.lock_for(account)
        got = lock.acquire(blocking=False)
        if got:
            lock.release()
        return got

    dynamodb_serial._serialised(request)(SimpleNamespace(current_account="111100000001"))
    assert seen == {"111100000001": False, "111100000002": True}
    assert try_lock("111100000001")  # and it is released afterwards


def test_moto_still_copies_the_whole_table_for_each_item_of_a_transaction(
    backend: tuple[Any, str], moto_as_shipped: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, table = backend
    copied: list[str] = []
    real_deepcopy = copy.deepcopy

    def counting(value: Any, *args: Any) -> Any:
        if isinstance(value, Table):
            copied.append(value.name)
        return real_deepcopy(value, *args)

    monkeypatch.setattr(dynamodb_models.copy, "deepcopy", counting)
    # WHEN moto as shipped runs a transaction of three puts
    dynamodb.transact_write_items(
        [{"Put": {"TableName": table, "Item": {"pk": {"S": f"item-{i}"}}}} for i in range(3)]
    )
    # THEN it copied the whole table three times. When this fails, moto's transactions no
    # longer cost a table copy per item and the per-item snapshots can go.
    assert copied == [table] * 3


def put(dynamodb: Any, table: str, key: str, **attributes: str) -> None:
    dynamodb.put_item(
        table, {"pk": {"S": key}, **{name: {"S": value} for name, value in attributes.items()}}
    )


def read(dynamodb: Any, table: str, key: str) -> dict[str, Any] | None:
    found = dynamodb.get_item(table, {"pk": {"S": key}})
    return None if found is None else found.to_json()["Attributes"]


def cancelled_transaction(table: str) -> list[dict[str, Any]]:
    """A new item, an update, a delete, then a condition that fails: nothing may stay."""
    return [
        {"Put": {"TableName": table, "Item": {"pk": {"S": "new"}}}},
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": {"S": "updated"}},
                "UpdateExpression": "SET colour = :c",
                "ExpressionAttributeValues": {":c": {"S": "changed"}},
            }
        },
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "deleted"}}}},
        {
            "ConditionCheck": {
                "TableName": table,
                "Key": {"pk": {"S": "absent"}},
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
    ]


def test_a_cancelled_transaction_undoes_exactly_its_own_writes(
    backend: tuple[Any, str], installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, table = backend
    put(dynamodb, table, "updated", colour="original")
    put(dynamodb, table, "deleted", colour="kept")
    # GIVEN another request committing while the transaction runs (after its snapshot)
    real_snapshot = dynamodb_serial._snapshot

    def snapshot_then_another_write(*args: Any) -> Any:
        taken = real_snapshot(*args)
        put(dynamodb, table, "committed-meanwhile")
        return taken

    monkeypatch.setattr(dynamodb_serial, "_snapshot", snapshot_then_another_write)
    # WHEN the transaction's last condition fails
    with pytest.raises(TransactionCanceledException):
        dynamodb.transact_write_items(cancelled_transaction(table))
    # THEN its three writes are undone and the other request's write stays
    assert read(dynamodb, table, "new") is None
    assert read(dynamodb, table, "updated") == {"pk": {"S": "updated"}, "colour": {"S": "original"}}
    assert read(dynamodb, table, "deleted") == {"pk": {"S": "deleted"}, "colour": {"S": "kept"}}
    assert read(dynamodb, table, "committed-meanwhile") is not None


def test_a_committed_transaction_applies_every_write(
    backend: tuple[Any, str], installed: None
) -> None:
    dynamodb, table = backend
    put(dynamodb, table, "updated", colour="original")
    put(dynamodb, table, "deleted", colour="kept")
    put(dynamodb, table, "absent")  # now the condition holds
    dynamodb.transact_write_items(cancelled_transaction(table))
    assert read(dynamodb, table, "new") == {"pk": {"S": "new"}}
    assert read(dynamodb, table, "updated") == {"pk": {"S": "updated"}, "colour": {"S": "changed"}}
    assert read(dynamodb, table, "deleted") is None


def test_a_cancelled_transaction_leaves_no_stream_records(
    streamed: tuple[Any, str], installed: None
) -> None:
    dynamodb, table = streamed
    put(dynamodb, table, "updated", colour="original")
    put(dynamodb, table, "deleted", colour="kept")
    shard = dynamodb.get_table(table).stream_shard
    before = [record.to_json() for record in shard.items]
    with pytest.raises(TransactionCanceledException):
        dynamodb.transact_write_items(cancelled_transaction(table))
    # THEN a stream consumer sees nothing of it (DynamoDB streams committed writes only)
    assert [record.to_json() for record in shard.items] == before
    put(dynamodb, table, "absent")
    dynamodb.transact_write_items(cancelled_transaction(table))
    names = [record.to_json()["eventName"] for record in shard.items[len(before) + 1 :]]
    assert names == ["INSERT", "MODIFY", "REMOVE"]


def test_a_transaction_copies_only_the_items_it_names(
    backend: tuple[Any, str], installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb, table = backend
    for index in range(500):
        put(dynamodb, table, f"item-{index}", colour="blue")
    copied: list[str] = []
    real_item_deepcopy = Item.__deepcopy__

    def counting(item: Item, memo: dict[int, Any]) -> Item:
        copied.append(item.hash_key.value)
        return real_item_deepcopy(item, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counting)
    # WHEN a transaction of two writes runs on a table of 500 items
    dynamodb.transact_write_items(
        [
            {"Put": {"TableName": table, "Item": {"pk": {"S": "item-1"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "item-new"}}}},
        ]
    )
    # THEN only the one existing item it names was copied (the new one had nothing to copy)
    assert copied == ["item-1"]
