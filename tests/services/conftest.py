"""Shared fixtures for handler tests: moto (in-process) started before handlers are imported."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any
from unittest.mock import patch

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from tests.services.factories import REGION, LambdaContext


@pytest.fixture(scope="session", autouse=True)
def shared_botocore_loader() -> Iterator[None]:
    """One botocore model loader for the whole session.

    moto gives every test a fresh default boto3 session, and each session re-parses
    botocore's JSON service models (about 0.1 s per test); sharing the loader, whose cache
    holds only those read-only files, keeps the suite fast.
    """
    loader = botocore.loaders.create_loader()
    with patch.object(botocore.session, "create_loader", lambda *_args, **_kwargs: loader):
        yield


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An in-process AWS emulator with fake credentials; nothing leaves the process."""
    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "Marketplace",
        "MARKETPLACE_ENV": "test",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def load_handler(aws: None) -> Callable[[str], ModuleType]:
    """Import (or re-import) a handler module inside the emulator, after env vars are set."""

    def load(module: str) -> ModuleType:
        if module in sys.modules:
            return importlib.reload(sys.modules[module])
        return importlib.import_module(module)

    return load


def create_service_table(name: str, indexes: tuple[str, ...] = (), stream: bool = False) -> Any:
    """A table shaped like components/table.py makes: pk/sk, gsiN indexes, optional stream."""
    attributes = [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    gsis = []
    for index in indexes:
        attributes += [
            {"AttributeName": f"{index}pk", "AttributeType": "S"},
            {"AttributeName": f"{index}sk", "AttributeType": "S"},
        ]
        gsis.append(
            {
                "IndexName": index,
                "Projection": {"ProjectionType": "ALL"},
                "KeySchema": [
                    {"AttributeName": f"{index}pk", "KeyType": "HASH"},
                    {"AttributeName": f"{index}sk", "KeyType": "RANGE"},
                ],
            }
        )
    kwargs: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": attributes,
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    }
    if gsis:
        kwargs["GlobalSecondaryIndexes"] = gsis
    if stream:
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
    return boto3.resource("dynamodb", region_name=REGION).create_table(**kwargs)
