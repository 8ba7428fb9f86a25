"""The offers read model: newest revision wins, duplicates once, withdrawals, bad records."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tests.services.factories import LambdaContext, sqs_event
from tests.services.purchase.conftest import IMAGE_ID, published, withdrawn


@pytest.fixture
def offers(table: Any, load_handler: Callable[[str], ModuleType]) -> ModuleType:
    return load_handler("services.purchase.offers")


def offer(table: Any, image_id: str = IMAGE_ID) -> dict[str, Any] | None:
    return table.get_item(Key={"pk": f"IMAGE#{image_id}", "sk": "OFFER"}).get("Item")


def test_offers_published_image_is_for_sale_with_price_and_licence(
    offers: ModuleType, table: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN an image.published event
    event = published(priceCents=2500, currency="USD", title="Harbour at dawn")

    # WHEN the batch is processed
    result = offers.lambda_handler(sqs_event(event), lambda_context)

    # THEN the offer is FOR_SALE with the event's price, currency, title and licensed key
    assert result == {"batchItemFailures": []}
    item = offer(table)
    assert item is not None
    assert item["status"] == "FOR_SALE"
    assert (item["priceCents"], item["currency"], item["title"]) == (2500, "USD", "Harbour at dawn")
    assert item["licensedKey"] == event["data"]["licensedKey"]
    assert item["photographerId"] == event["data"]["photographerId"]
    assert item["revision"] == 1


def test_offers_newest_revision_wins_when_events_arrive_out_of_order(
    offers: ModuleType, table: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN revision 3 (price 3000) has been applied
    offers.lambda_handler(sqs_event(published(revision=3, priceCents=3000)), lambda_context)

    # WHEN the older revision 2 (price 2000) arrives late
    result = offers.lambda_handler(
        sqs_event(published(revision=2, priceCents=2000)), lambda_context
    )

    # THEN it is acknowledged but does not overwrite the newer price
    assert result == {"batchItemFailures": []}
    item = offer(table)
    assert item is not None
    assert (item["revision"], item["priceCents"]) == (3, 3000)


def test_offers_newer_revision_replaces_older_price(
    offers: ModuleType, table: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN revision 1 at 1000
    offers.lambda_handler(sqs_event(published(revision=1, priceCents=1000)), lambda_context)

    # WHEN revision 2 at 1800 arrives
    offers.lambda_handler(sqs_event(published(revision=2, priceCents=1800)), lambda_context)

    # THEN the offer has the new price
    item = offer(table)
    assert item is not None
    assert (item["revision"], item["priceCents"]) == (2, 1800)


def test_offers_duplicate_event_is_applied_once(
    offers: ModuleType, table: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN an event applied once, after which the stored offer changes (revision 5)
    event = published(revision=4, priceCents=4000)
    offers.lambda_handler(sqs_event(event), lambda_context)
    table.update_item(
        Key={"pk": f"IMAGE#{IMAGE_ID}", "sk": "OFFER"},
        UpdateExpression="SET revision = :r, priceCents = :p",
        ExpressionAttributeValues={":r": 1, ":p": 1},
    )

    # WHEN SNS redelivers the very same envelope (new SQS message id, same envelope id)
    result = offers.lambda_handler(sqs_event(event), lambda_context)

    # THEN the idempotency record short-circuits it: the (tampered) offer is left untouched
    assert result == {"batchItemFailures": []}
    item = offer(table)
    assert item is not None
    assert (item["revision"], item["priceCents"]) == (1, 1)


def test_offers_withdrawn_image_is_no_longer_for_sale(
    offers: ModuleType, table: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN a published image
    offers.lambda_handler(sqs_event(published(revision=1)), lambda_context)

    # WHEN it is withdrawn at revision 2
    result = offers.lambda_handler(sqs_event(withdrawn(revision=2)), lambda_context)

    # THEN the offer is WITHDRAWN at revision 2
    assert result == {"batchItemFailures": []}
    item = offer(table)
    assert item is not None
    assert (item["status"], item["revision"]) == ("WITHDRAWN", 2)


def test_offers_late_publication_after_withdrawal_stays_withdrawn(
    offers: ModuleType, table: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN the withdrawal (revision 2) arrives before the publication (revision 1)
    offers.lambda_handler(sqs_event(withdrawn(revision=2)), lambda_context)

    # WHEN the publication arrives
    offers.lambda_handler(sqs_event(published(revision=1)), lambda_context)

    # THEN the image is not for sale
    item = offer(table)
    assert item is not None
    assert item["status"] == "WITHDRAWN"


def test_offers_malformed_record_fails_alone(
    offers: ModuleType, table: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN a batch of ten where the fifth record is off-schema (priceCents is a string)
    bodies: list[Any] = [published(image_id=f"img-{i}") for i in range(10)]
    bodies[4]["data"]["priceCents"] = "cheap"
    event = sqs_event(*bodies)

    # WHEN the batch is processed
    result = offers.lambda_handler(event, lambda_context)

    # THEN only that record is reported failed and the nine others are for sale
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][4]["messageId"]}]}
    assert offer(table, "img-4") is None
    assert all(offer(table, f"img-{i}") for i in range(10) if i != 4)


def test_offers_non_json_record_fails_alone(
    offers: ModuleType, table: Any, lambda_context: LambdaContext
) -> None:
    # GIVEN a batch with a body that is not JSON beside a good event
    event = sqs_event("not json", published())

    # WHEN the batch is processed
    result = offers.lambda_handler(event, lambda_context)

    # THEN only the bad record fails
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert offer(table) is not None
