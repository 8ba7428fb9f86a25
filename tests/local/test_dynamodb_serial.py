"""The DynamoDB workaround (local/emulator/dynamodb_serial.py): why it exists, and that it holds."""

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

from local.emulator import dynamodb_serial

CANARY_ACCOUNT = "999900000042"
"""An account no environment uses: the canary works on moto's in-process backend directly
(not ``mock_aws``, whose exit wipes moto's process-wide state, other tests' clouds included)."""


@pytest.fixture
def backend() -> Iterator[Any]:
    dynamodb = dynamodb_backends[CANARY_ACCOUNT]["eu-west-1"]
    name = f"canary-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        name,
        schema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        throughput=None,
        attr=[{"AttributeName": "pk", "AttributeType": "S"}],
        global_indexes=None,
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    yield dynamodb, name
    dynamodb.delete_table(name)


def test_moto_still_undoes_concurrent_writes_on_a_failed_transaction(
    backend: tuple[Any, str], monkeypatch: pytest.MonkeyPatch
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
