"""The search benchmark's table model answers every read exactly as moto does.

GIVEN a synthetic catalogue, the benchmark's query mix is run through the catalog's read code
over the model, recording every DynamoDB call and answer. moto is then loaded the way the
indexer would leave the table (image items and term counters from the indexer's own write
plans; the search entries of every partition read, from ``entries.entry_items``) and each
recorded call is replayed on it: the answers must be identical (items, order, keys).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from bench.search import CLASSES, Bench
from bench.search_catalogue import Catalogue
from bench.search_store import ModelTable
from services.catalog import entries, index
from services.catalog.index import ImageState
from services.catalog.manifest import MANIFEST
from tests.services.conftest import create_service_table

IMAGES = 200
QUERIES_PER_CLASS = 3


class Recorder:
    """Passes calls to the model and records (operation, arguments, answer)."""

    def __init__(self, model: ModelTable) -> None:
        self.model = model
        self.name = model.name
        self.meta = self
        self.client = self
        self.calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        def call(**kwargs: Any) -> dict[str, Any]:
            answer = getattr(self.model, operation)(**kwargs)
            self.calls.append((operation, kwargs, answer))
            return answer

        return call


@pytest.fixture(scope="module")
def recorded() -> tuple[Catalogue, Recorder]:
    catalogue = Catalogue(IMAGES, seed=3)
    recorder = Recorder(ModelTable(catalogue))
    bench = Bench(recorder.model)
    bench.store.table, bench.store.client = recorder, recorder
    for query_class in CLASSES:
        bench.run_class(query_class, QUERIES_PER_CLASS)
    return catalogue, recorder


@pytest.fixture(scope="module")
def moto_table(recorded: tuple[Catalogue, Recorder]) -> Iterator[Any]:
    catalogue, recorder = recorded
    read = {
        entries.entry_sk(kwargs["KeyConditionExpression"]._values[1].removeprefix("IX#"))
        for operation, kwargs, _ in recorder.calls
        if operation == "query" and "IndexName" in kwargs
    }
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(key, os.environ.get(key, "eu-west-1" if "REGION" in key else "testing"))
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            table = create_service_table(recorder.name, MANIFEST.table.indexes)
            with table.batch_writer() as batch:
                for item in _indexed_items(catalogue, read):
                    batch.put_item(Item=item)
            yield table


def _indexed_items(catalogue: Catalogue, partitions: set[str]) -> Iterator[dict[str, Any]]:
    """What the indexer writes for the catalogue: image items, counters, entries read."""
    deltas: Counter[tuple[str, str]] = Counter()
    values: dict[tuple[str, str], dict[str, Any]] = {}
    for n in range(catalogue.size):
        data = catalogue.image(n)
        state = ImageState(str(data["imageId"]), purchases=int(data["popularity"]) or None)
        for operation in index.plan_published("t", state, data):
            if "Put" in operation:
                image = operation["Put"]["Item"]
                yield image
                yield from (e for sk, e in entries.entry_items(image).items() if sk in partitions)
            elif "Update" in operation:
                update = operation["Update"]
                key = (update["Key"]["pk"], update["Key"]["sk"])
                attributes = update["ExpressionAttributeValues"]
                deltas[key] += attributes[":delta"]
                values[key] = {k[1:]: v for k, v in attributes.items() if k != ":delta"}
    for (pk, sk), count in deltas.items():
        yield {"pk": pk, "sk": sk, "images": count, **values[(pk, sk)]}


def test_model_answers_every_recorded_read_as_moto(
    recorded: tuple[Catalogue, Recorder], moto_table: Any
) -> None:
    _, recorder = recorded
    assert len(recorder.calls) > 50
    operations = Counter(operation for operation, _, _ in recorder.calls)
    assert set(operations) == {"query", "get_item", "batch_get_item"}, operations
    for operation, kwargs, answer in recorder.calls:
        replayed = _replay(moto_table, operation, kwargs)
        assert _comparable(operation, replayed) == _comparable(operation, answer), kwargs


def _replay(table: Any, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    if operation == "batch_get_item":
        keys = kwargs["RequestItems"]["model-catalog"]["Keys"]
        return table.meta.client.batch_get_item(RequestItems={table.name: {"Keys": keys}})
    return getattr(table, operation)(**kwargs)


def _comparable(operation: str, answer: dict[str, Any]) -> Any:
    if operation == "batch_get_item":
        found = next(iter(answer["Responses"].values()), [])
        return sorted((index.plain(i) for i in found), key=lambda i: (i["pk"], i["sk"]))
    if operation == "get_item":
        return index.plain(answer.get("Item"))
    return index.plain(answer["Items"]), index.plain(answer.get("LastEvaluatedKey"))
