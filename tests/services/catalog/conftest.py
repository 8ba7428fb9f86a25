"""Catalog fixtures: the service table, both handlers, and event/request helpers.

Speed: each test module gets one emulator and one import of the handler modules
(``catalog_env``, module scope); each test that writes gets its own small table
(``catalog``), because moto deep-copies a table once per item of every TransactWriteItems
call, so transactions on a shared, growing table get slower test after test.
"""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws

from services.catalog.manifest import MANIFEST
from services.catalog.store import CatalogStore
from services.contracts import schemas
from services.contracts.envelope import new_envelope
from services.contracts.publisher import check_event
from tests.services.conftest import create_service_table
from tests.services.factories import REGION, LambdaContext, http_event, sqs_event

TABLE = "marketplace-test-catalog"


ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "1", "POWERTOOLS_METRICS_NAMESPACE": "Marketplace",
    "POWERTOOLS_SERVICE_NAME": "catalog", "MARKETPLACE_ENV": "test", "TABLE_NAME": TABLE,
}  # fmt: skip
"""What tests/services/conftest.py's ``aws`` fixture sets, plus the catalog's variables."""


@dataclass
class CatalogEnv:
    """One emulated catalog: its table and both handler modules, imported inside the emulator."""

    table: Any
    indexer: ModuleType
    api: ModuleType


@pytest.fixture(scope="module")
def catalog_env() -> Iterator[CatalogEnv]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENVIRONMENT.items():
            patch.setenv(key, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            table = create_service_table(TABLE, MANIFEST.table.indexes)
            indexer, api = _load("services.catalog.indexer"), _load("services.catalog.api")
            yield CatalogEnv(table, indexer, api)


@pytest.fixture
def catalog(catalog_env: CatalogEnv, monkeypatch: pytest.MonkeyPatch) -> CatalogEnv:
    """A fresh, empty catalog table for one test, wired into both handlers."""
    table = create_service_table(unique("catalog-"), MANIFEST.table.indexes)
    store = CatalogStore(table)
    monkeypatch.setattr(catalog_env.indexer, "store", store)
    monkeypatch.setattr(catalog_env.api, "store", store)
    monkeypatch.setattr(catalog_env.indexer.persistence, "table_name", table.name)
    return CatalogEnv(table, catalog_env.indexer, catalog_env.api)


def _load(module: str) -> ModuleType:
    if module in sys.modules:
        return importlib.reload(sys.modules[module])
    return importlib.import_module(module)


def unique(prefix: str = "") -> str:
    """A fresh id or tag for one test (lowercase, valid as a tag)."""
    return prefix + uuid.uuid4().hex[:10]


def published(image_id: str, revision: int = 1, **changes: Any) -> dict[str, Any]:
    """An ``image.published`` envelope (wire shape), valid against its schema."""
    data = {**schemas.examples("image.published")[0], "imageId": image_id, "revision": revision}
    return _envelope("image.published", "upload", {**data, **changes})


def withdrawn(image_id: str, revision: int = 2) -> dict[str, Any]:
    data = {**schemas.examples("image.withdrawn")[0], "imageId": image_id, "revision": revision}
    return _envelope("image.withdrawn", "upload", data)


def purchase(image_id: str, purchase_id: str | None = None) -> dict[str, Any]:
    data = {
        **schemas.examples("purchase.completed")[0],
        "imageId": image_id,
        "purchaseId": purchase_id or str(uuid.uuid4()),
    }
    return _envelope("purchase.completed", "purchase", data)


def _envelope(event_type: str, source: str, data: dict[str, Any]) -> dict[str, Any]:
    check_event(source, event_type, data)
    return new_envelope(event_type, source, data, "corr-test").to_dict()


def index(indexer: ModuleType, *bodies: dict[str, Any] | str) -> dict[str, Any]:
    """Run the indexer on one SQS batch; fail the test if any record failed."""
    response = indexer.lambda_handler(sqs_event(*bodies), LambdaContext())
    assert response["batchItemFailures"] == [], response
    return response


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: Any


def get(api: ModuleType, path: str, **query: str) -> HttpResponse:
    """Call the API handler like API Gateway would (HTTP API payload 2.0)."""
    raw = api.lambda_handler(http_event("GET", path, query=query or None), LambdaContext())
    return HttpResponse(raw["statusCode"], raw.get("headers", {}), json.loads(raw["body"]))
