"""The DynamoDB workaround (local/emulator/dynamodb_serial.py): why it exists, and that it holds."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb import models as dynamodb_models

from local.emulator import dynamodb_serial

TABLE = "canary"


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield dynamodb


def test_moto_still_undoes_concurrent_writes_on_a_failed_transaction(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a writer that commits while a transaction is between its snapshot and its checks
    # (what a second request thread does in moto's server), simulated deterministically
    real_deepcopy = copy.deepcopy

    def snapshot_then_another_write(value: Any, *args: Any) -> Any:
        snapshot = real_deepcopy(value, *args)
        monkeypatch.setattr(dynamodb_models.copy, "deepcopy", real_deepcopy)
        table.put_item(TableName=TABLE, Item={"pk": {"S": "committed-meanwhile"}})
        return snapshot

    monkeypatch.setattr(dynamodb_models.copy, "deepcopy", snapshot_then_another_write)
    # WHEN the transaction fails its condition
    with pytest.raises(ClientError, match="TransactionCanceled"):
        table.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"pk": {"S": "guarded"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                }
            ]
        )
    # THEN moto restored its snapshot: the other request's committed write is gone. When this
    # fails, moto no longer loses concurrent writes and dynamodb_serial.py can go.
    left = table.get_item(TableName=TABLE, Key={"pk": {"S": "committed-meanwhile"}})
    assert "Item" not in left


def test_workaround_runs_each_dynamodb_request_under_one_lock() -> None:
    # GIVEN the workaround installed (EmbeddedCloud.start does it)
    dynamodb_serial.install()
    from moto.dynamodb.responses import DynamoHandler

    # THEN moto's DynamoDB handler is the serialised one, and it holds the lock while it runs
    assert DynamoHandler.call_action.__qualname__.startswith("_serialised")
    others_got_it: list[bool] = []

    def request(_: object) -> None:  # while one request runs, another thread must wait
        probe = threading.Thread(target=lambda: others_got_it.append(try_lock()))
        probe.start()
        probe.join()

    def try_lock() -> bool:
        got = dynamodb_serial._LOCK.acquire(blocking=False)
        if got:
            dynamodb_serial._LOCK.release()
        return got

    dynamodb_serial._serialised(request)(None)
    assert others_got_it == [False]
    assert try_lock()  # and it is released afterwards
