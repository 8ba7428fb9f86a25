"""``python -m bench emulator``: what one DynamoDB transaction and one Query cost the local
emulator as the table grows, moto as shipped next to the workarounds
(local/emulator/dynamodb_serial.py, local/emulator/dynamodb_query.py).

The catalog's table holds ~160 search entries per published image, the indexer writes them
in transactions and every catalog page is a Query, so the catalogue size is the variable: for
each size the same operations run against moto as shipped (a deep copy of the table per
transaction item; a sort of the whole table per Query) and against the workarounds,
alternating, and the table prints both medians and their ratio. In-process moto (no server,
no IAM): the operation's own cost, nothing else.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from typing import Any

from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends

from local.emulator import dynamodb_query, dynamodb_serial

ACCOUNT = "999900000077"
REGION = "eu-west-1"
ENTRIES_PER_IMAGE = 160
"""Search entries per published image (services/catalog/README.md, BENCHMARKS.md)."""
ITEMS_PER_TRANSACTION = 10
PAGE = 20
Operation = Callable[[DynamoDBBackend, str, int], float]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench emulator", description=__doc__)
    parser.add_argument("--images", default="0,25,100", help="catalogue sizes, in images")
    parser.add_argument("--repeats", type=int, default=10, help="per size, operation, variant")
    args = parser.parse_args(argv)
    dynamodb_serial.install()
    dynamodb_query.install()
    sizes = [int(size) for size in args.images.split(",") if size]
    print(f"{'operation':<22} {'images':>7} {'items':>7} {'shipped ms':>11} {'ours ms':>9} ratio")
    for images in sizes:
        items = images * ENTRIES_PER_IMAGE
        for name, operation in OPERATIONS.items():
            shipped, ours = measure(operation, items, args.repeats)
            print(
                f"{name:<22} {images:>7} {items:>7} {shipped:>11.2f} {ours:>9.2f} "
                f"{shipped / ours:.1f}x"
            )
    print(f"(medians of {args.repeats} runs per cell, the two variants alternating)")
    return 0


@contextmanager
def _as_shipped() -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(dynamodb_serial.as_shipped())
        stack.enter_context(dynamodb_query.as_shipped())
        yield


def measure(operation: Operation, items: int, repeats: int) -> tuple[float, float]:
    """Median milliseconds of ``operation``: moto as shipped, then with the workarounds."""
    backend = dynamodb_backends[ACCOUNT][REGION]
    table = _filled_table(backend, items)
    try:
        timings: dict[str, list[float]] = {"shipped": [], "ours": []}
        variants: dict[str, Callable[[], AbstractContextManager[Any]]] = {
            "shipped": _as_shipped,
            "ours": nullcontext,  # the workarounds main() installed
        }
        for round_number in range(repeats):
            for name, variant in variants.items():  # alternating: load elsewhere hits both
                with variant():
                    timings[name].append(operation(backend, table, round_number))
        return statistics.median(timings["shipped"]), statistics.median(timings["ours"])
    finally:
        backend.delete_table(table)


def _filled_table(backend: DynamoDBBackend, items: int) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    backend.create_table(
        name,
        schema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        throughput=None,
        attr=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        global_indexes=None,
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    for index in range(items):
        backend.put_item(name, _entry(f"TERM#{index % 997}", f"IMAGE#{index:08d}"))
    return name


def _entry(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, "title": {"S": "a red car by the sea"}}


def _one_transaction(backend: DynamoDBBackend, table: str, round_number: int) -> float:
    """Milliseconds for one transaction of conditional puts of new entries."""
    writes = [
        {
            "Put": {
                "TableName": table,
                "Item": _entry(f"NEW#{round_number}", f"{uuid.uuid4().hex}#{index}"),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        for index in range(ITEMS_PER_TRANSACTION)
    ]
    started = time.perf_counter()
    backend.transact_write_items(writes)
    return (time.perf_counter() - started) * 1000


def _one_query(backend: DynamoDBBackend, table: str, round_number: int) -> float:
    """Milliseconds for one page of one partition, as a catalog listing reads it."""
    started = time.perf_counter()
    backend.query(
        table,
        {"S": f"TERM#{round_number % 997}"},
        None,
        [],
        PAGE,
        None,  # type: ignore[arg-type]
        False,
        None,
        hash_key_conditions=[("pk", {"S": f"TERM#{round_number % 997}"})],
    )
    return (time.perf_counter() - started) * 1000


OPERATIONS: dict[str, Operation] = {
    f"transaction ({ITEMS_PER_TRANSACTION} puts)": _one_transaction,
    f"query (page of {PAGE})": _one_query,
}
