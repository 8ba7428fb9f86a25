"""The Query workaround (local/emulator/dynamodb_query.py): why it exists, and that every
Query answers exactly what moto as shipped answers, page by page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from moto.dynamodb.models.table import Table

from local.emulator import dynamodb_query
from local.emulator.cloud import EmbeddedCloud

ACCOUNT = "999900000043"
TABLE = "query-canary"
PARTITIONS = 12
ITEMS = 480


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    """A table with two indexes (string and number keys) in an emulator of its own."""
    with EmbeddedCloud() as cloud:
        dynamodb_query.install()
        client = cloud.client("dynamodb", ACCOUNT)
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": kind}
                for name, kind in (("pk", "S"), ("sk", "S"), ("g1pk", "S"), ("g2pk", "N"))
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gsi1",
                    "KeySchema": [
                        {"AttributeName": "g1pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "gsi2",
                    "KeySchema": [{"AttributeName": "g2pk", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
        )
        for index in range(ITEMS):
            item = {
                "pk": {"S": f"P#{index % PARTITIONS}"},
                "sk": {"S": f"{index % 7}#{index:05d}"},
                "colour": {"S": ("red", "blue", "green")[index % 3]},
            }
            if index % 4:  # a sparse index: not every item has its key
                item["g1pk"] = {"S": f"G#{index % 5}"}
            item["g2pk"] = {"N": str(index % 3)}
            client.put_item(TableName=TABLE, Item=item)
        yield client


QUERIES: dict[str, dict[str, Any]] = {
    "partition": {"KeyConditionExpression": "pk = :p", "Values": {":p": {"S": "P#3"}}},
    "partition, backwards": {
        "KeyConditionExpression": "pk = :p",
        "Values": {":p": {"S": "P#3"}},
        "ScanIndexForward": False,
    },
    "partition, prefix": {
        "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
        "Values": {":p": {"S": "P#5"}, ":s": {"S": "2#"}},
    },
    "absent partition": {"KeyConditionExpression": "pk = :p", "Values": {":p": {"S": "P#99"}}},
    "string index": {
        "IndexName": "gsi1",
        "KeyConditionExpression": "g1pk = :g",
        "Values": {":g": {"S": "G#2"}},
    },
    "string index, range and filter": {
        "IndexName": "gsi1",
        "KeyConditionExpression": "g1pk = :g AND sk > :s",
        "FilterExpression": "colour = :c",
        "Values": {":g": {"S": "G#1"}, ":s": {"S": "3#"}, ":c": {"S": "red"}},
        "ScanIndexForward": False,
    },
    "number index": {
        "IndexName": "gsi2",
        "KeyConditionExpression": "g2pk = :n",
        "Values": {":n": {"N": "1.0"}},  # equal to the stored "1": numbers compare as numbers
    },
}


def all_pages(client: Any, query: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Every page of ``query`` at 7 items a page, following LastEvaluatedKey."""
    request = {k: v for k, v in query.items() if k != "Values"}
    request |= {"TableName": TABLE, "Limit": 7, "ExpressionAttributeValues": query["Values"]}
    pages = []
    while True:
        answer = client.query(**request)
        pages.append(answer["Items"])
        if "LastEvaluatedKey" not in answer:
            return pages
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


@pytest.mark.parametrize("name", QUERIES)
def test_every_page_is_the_one_moto_as_shipped_answers(dynamodb: Any, name: str) -> None:
    # GIVEN a query over a table of 480 items, in pages of 7
    # WHEN it runs with the workaround, then with moto as shipped
    ours = all_pages(dynamodb, QUERIES[name])
    with dynamodb_query.as_shipped():
        shipped = all_pages(dynamodb, QUERIES[name])
    # THEN the pages are the same, item for item, in the same order
    assert ours == shipped
    found = sum(len(page) for page in ours)
    assert found > 0 or name == "absent partition"
    assert len(ours) > found // 7  # pages of 7 (the cursor was followed where there are more)


def test_moto_still_sorts_the_whole_table_for_a_query(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sorted_sizes: list[int] = []

    def counting(table: Table) -> list[Any]:
        every = dynamodb_query.MOTO_ALL_ITEMS(table)
        sorted_sizes.append(len(every))
        return every

    with dynamodb_query.as_shipped():
        monkeypatch.setattr(Table, "all_items", counting)
        all_pages(dynamodb, {**QUERIES["partition"]})
    # THEN each page began from all 480 items. When this fails, moto's Query reads only the
    # partition and dynamodb_query.py can go.
    assert sorted_sizes and set(sorted_sizes) == {ITEMS}
