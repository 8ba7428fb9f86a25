"""``python -m bench emulator``: what one DynamoDB transaction costs the local emulator as the
table grows, moto as shipped next to the workaround (local/emulator/dynamodb_serial.py).

The catalog's table holds ~160 search entries per published image and the indexer writes
them in transactions, so the catalogue size is the variable: for each size the same
transactions run against moto as shipped (a deep copy of the table per item) and against
the per-item snapshots, alternating, and the table prints both medians and their ratio.
In-process moto (no server, no IAM): the transaction's own cost, nothing else.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends

from local.emulator import dynamodb_serial

ACCOUNT = "999900000077"
REGION = "eu-west-1"
ENTRIES_PER_IMAGE = 160
"""Search entries per published image (services/catalog/README.md, BENCHMARKS.md)."""
ITEMS_PER_TRANSACTION = 10


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench emulator", description=__doc__)
    parser.add_argument("--images", default="0,25,100", help="catalogue sizes, in images")
    parser.add_argument("--transactions", type=int, default=20, help="per size and variant")
    args = parser.parse_args(argv)
    dynamodb_serial.install()
    sizes = [int(size) for size in args.images.split(",") if size]
    print(f"{'images':>7} {'items':>7} {'as shipped ms':>14} {'workaround ms':>14} {'ratio':>7}")
    for images in sizes:
        shipped, ours = measure(images * ENTRIES_PER_IMAGE, args.transactions)
        print(
            f"{images:>7} {images * ENTRIES_PER_IMAGE:>7} {shipped:>14.2f} {ours:>14.2f} "
            f"{shipped / ours:>6.1f}x"
        )
    print(f"(median of {args.transactions} transactions of {ITEMS_PER_TRANSACTION} puts each)")
    return 0


def measure(items: int, transactions: int) -> tuple[float, float]:
    """Median milliseconds per transaction: moto as shipped, then with the workaround."""
    backend = dynamodb_backends[ACCOUNT][REGION]
    table = _filled_table(backend, items)
    try:
        timings: dict[str, list[float]] = {"shipped": [], "ours": []}
        variants: dict[str, Callable[[], AbstractContextManager[Any]]] = {
            "shipped": dynamodb_serial.as_shipped,
            "ours": nullcontext,
        }
        for round_number in range(transactions):
            for name, variant in variants.items():  # alternating: load elsewhere hits both
                with variant():
                    timings[name].append(_one_transaction(backend, table, round_number))
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
