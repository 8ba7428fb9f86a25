"""Completion: the saga's second step, exactly once, from the purchase table's stream."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from boto3.dynamodb.types import TypeSerializer

from services.purchase.model import new_purchase
from tests.services.factories import LambdaContext, dynamodb_stream_record
from tests.services.purchase.conftest import IMAGE_ID, seed_offer

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

BUYER = "buyer-1"


@pytest.fixture
def completion(
    table: Any, topics: dict[str, str], load_handler: Callable[[str], ModuleType]
) -> ModuleType:
    return load_handler("services.purchase.completion")


@pytest.fixture
def outbox(
    topics: dict[str, str], subscribed_queue: Callable[[str], Callable[[], list[dict[str, Any]]]]
) -> dict[str, Callable[[], list[dict[str, Any]]]]:
    """Readers of what reached each topic (SNS notifications as an SQS subscriber sees them)."""
    return {name: subscribed_queue(arn) for name, arn in topics.items()}


def pending(table: Any, purchase_id: str = "p-1", image_id: str = IMAGE_ID) -> dict[str, Any]:
    """A PENDING purchase in the table, as the API records it."""
    offer = table.get_item(Key={"pk": f"IMAGE#{image_id}", "sk": "OFFER"})["Item"]
    item = new_purchase(
        purchase_id, BUYER, offer, "corr-7", f"key-{purchase_id}", "2026-11-23T15:00:00Z"
    )
    table.put_item(Item=item)
    return item


def insert(item: dict[str, Any]) -> dict[str, Any]:
    """The stream record of ``item``'s INSERT."""
    serializer = TypeSerializer()
    return dynamodb_stream_record({k: serializer.serialize(v) for k, v in item.items()})


def stored(table: Any, purchase_id: str = "p-1") -> dict[str, Any]:
    return table.get_item(Key={"pk": f"PURCHASE#{purchase_id}", "sk": "PURCHASE"})["Item"]


def withdraw(table: Any, image_id: str = IMAGE_ID) -> None:
    table.update_item(
        Key={"pk": f"IMAGE#{image_id}", "sk": "OFFER"},
        UpdateExpression="SET #s = :w",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":w": "WITHDRAWN"},
    )


def test_completion_completes_and_publishes(
    completion: ModuleType, table: Any, outbox: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN a pending purchase of an image still for sale
    seed_offer(table, priceCents=1500, currency="EUR")
    item = pending(table)

    # WHEN its INSERT comes through the stream
    result = completion.lambda_handler({"Records": [insert(item)]}, lambda_context)

    # THEN it is COMPLETED and purchase.completed is published with the snapshot and correlation
    assert result == {"batchItemFailures": []}
    assert stored(table)["status"] == "COMPLETED"
    [event] = [json.loads(n["Message"]) for n in outbox["events"]()]
    assert (event["type"], event["source"], event["correlationId"]) == (
        "purchase.completed",
        "purchase",
        "corr-7",
    )
    assert event["data"]["purchaseId"] == "p-1"
    assert (event["data"]["priceCents"], event["data"]["currency"]) == (1500, "EUR")
    assert event["data"]["completedAt"] == stored(table)["completedAt"]
    assert event["data"]["buyerId"] == BUYER  # the notification service e-mails them


def test_completion_fails_when_the_image_was_withdrawn_meanwhile(
    completion: ModuleType, table: Any, outbox: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN a pending purchase whose image was withdrawn after it was recorded
    seed_offer(table)
    item = pending(table)
    withdraw(table)

    # WHEN its INSERT comes through the stream
    completion.lambda_handler({"Records": [insert(item)]}, lambda_context)

    # THEN it is FAILED with a reason, and purchase.failed is published with it
    purchase = stored(table)
    assert purchase["status"] == "FAILED"
    assert "withdrawn" in purchase["failureReason"]
    [event] = [json.loads(n["Message"]) for n in outbox["events"]()]
    assert event["type"] == "purchase.failed"
    assert event["data"]["reason"] == purchase["failureReason"]


def test_completion_duplicate_records_are_processed_once(
    completion: ModuleType, table: Any, outbox: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN a pending purchase whose INSERT is delivered twice in a batch
    seed_offer(table)
    record = insert(pending(table))
    completion.lambda_handler({"Records": [record, record]}, lambda_context)

    # WHEN it is delivered once more later, after the image was withdrawn
    withdraw(table)
    result = completion.lambda_handler({"Records": [record]}, lambda_context)

    # THEN the first decision stands and one event was published in all
    assert result == {"batchItemFailures": []}
    assert stored(table)["status"] == "COMPLETED"
    assert len(outbox["events"]()) == 1


def test_completion_publishes_on_redelivery_when_publish_failed_after_the_transition(
    completion: ModuleType,
    table: Any,
    outbox: Any,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN the events topic fails once, after the purchase was already marked COMPLETED
    seed_offer(table)
    record = insert(pending(table))
    real_publish = completion.publisher.publish
    calls: list[str] = []

    def flaky_publish(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        if len(calls) == 1:
            raise ConnectionError("SNS unavailable")
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(completion.publisher, "publish", flaky_publish)
    with pytest.raises(BatchProcessingError):  # the whole (one-record) batch failed: retried
        completion.lambda_handler({"Records": [record]}, lambda_context)
    assert stored(table)["status"] == "COMPLETED"
    assert outbox["events"]() == []

    # WHEN the stream redelivers the record
    result = completion.lambda_handler({"Records": [record]}, lambda_context)

    # THEN the redelivery published the outcome once
    assert len(calls) == 2
    assert result == {"batchItemFailures": []}
    assert [json.loads(n["Message"])["type"] for n in outbox["events"]()] == ["purchase.completed"]
    assert stored(table)["eventId"]


def test_completion_bad_record_fails_alone(
    completion: ModuleType, table: Any, outbox: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN a batch of ten stream records where the fifth names a purchase that is not there
    seed_offer(table)
    records = [insert(pending(table, f"p-{i}")) for i in range(10)]
    ghost = {**stored(table, "p-4"), "pk": "PURCHASE#ghost", "purchaseId": "ghost"}
    records[4] = insert(ghost)

    # WHEN the batch is processed
    result = completion.lambda_handler({"Records": records}, lambda_context)

    # THEN only that record fails; the nine purchases complete
    assert result == {
        "batchItemFailures": [{"itemIdentifier": records[4]["dynamodb"]["SequenceNumber"]}]
    }
    statuses = [stored(table, f"p-{i}")["status"] for i in range(10) if i != 4]
    assert statuses == ["COMPLETED"] * 9
    assert len(outbox["events"]()) == 9


def test_completion_ignores_updates_and_other_items(
    completion: ModuleType, table: Any, outbox: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN a MODIFY of a purchase and the INSERT of an idempotency-key item
    seed_offer(table)
    item = pending(table)
    modify = insert(item)
    modify["eventName"] = "MODIFY"
    key_item = insert({"pk": f"BUYER#{BUYER}", "sk": "IDEMPOTENCY_KEY#k", "purchaseId": "p-1"})

    # WHEN they come through the stream
    result = completion.lambda_handler({"Records": [modify, key_item]}, lambda_context)

    # THEN nothing is settled or published
    assert result == {"batchItemFailures": []}
    assert stored(table)["status"] == "PENDING"
    assert outbox["events"]() == []
