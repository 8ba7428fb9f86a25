"""The buyers' API: creating purchases idempotently, reading only one's own, downloading."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from services.purchase.signing import verify_signed_url
from tests.services.factories import REGION, LambdaContext, http_event
from tests.services.purchase.conftest import IMAGE_ID, seed_offer

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")

BUYER = "buyer-1"
OTHER = "buyer-2"
KEY_PAIR_ID = "K2TESTKEYPAIR"
CDN = "delivery.example.com"


@pytest.fixture
def api(
    table: Any,
    load_handler: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
    rsa_key: tuple[str, str],
) -> ModuleType:
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="purchase-signing-key", SecretString=rsa_key[0]
    )
    monkeypatch.setenv("SIGNING_KEY_SECRET_ARN", secret["ARN"])
    monkeypatch.setenv("SIGNING_KEY_PAIR_ID", KEY_PAIR_ID)
    monkeypatch.setenv("DELIVERY_CDN_DOMAIN", CDN)
    monkeypatch.setenv("DOWNLOAD_URL_TTL_SECONDS", "120")
    return load_handler("services.purchase.api")


Call = Callable[..., tuple[int, Any, dict[str, str]]]


@pytest.fixture
def call(api: ModuleType, lambda_context: LambdaContext) -> Call:
    """Invoke the API like API Gateway would; returns (status, decoded body, headers)."""

    def invoke(method: str, path: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
        response = api.lambda_handler(http_event(method, path, **kwargs), lambda_context)
        body = json.loads(response["body"]) if response.get("body") else None
        return int(response["statusCode"]), body, response.get("headers", {})

    return invoke


def buy(call: Call, image_id: str = IMAGE_ID, key: str = "key-1", sub: str = BUYER, **kw: Any):
    return call(
        "POST",
        "/purchases",
        body={"imageId": image_id},
        sub=sub,
        headers={"idempotency-key": key, **kw.pop("headers", {})},
        **kw,
    )


def purchase_items(table: Any) -> list[dict[str, Any]]:
    return [i for i in table.scan()["Items"] if i["sk"] == "PURCHASE"]


def complete_in_table(table: Any, purchase_id: str) -> None:
    table.update_item(
        Key={"pk": f"PURCHASE#{purchase_id}", "sk": "PURCHASE"},
        UpdateExpression="SET #s = :c, completedAt = :t",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":c": "COMPLETED", ":t": "2026-11-23T15:00:01Z"},
    )


def test_create_purchase_records_pending_with_price_and_licence_snapshot(
    call: Call, table: Any
) -> None:
    # GIVEN an image for sale at 1500 EUR
    offer = seed_offer(table, priceCents=1500, currency="EUR")

    # WHEN a buyer buys it, passing a correlation id
    status, body, headers = buy(call, headers={"x-correlation-id": "corr-42"})

    # THEN a PENDING purchase is created with the snapshotted price, for that buyer
    assert status == 201
    assert body["status"] == "PENDING"
    assert (body["imageId"], body["priceCents"], body["currency"]) == (IMAGE_ID, 1500, "EUR")
    assert headers["Location"] == f"/purchases/{body['purchaseId']}"
    [item] = purchase_items(table)
    assert item["pk"] == f"PURCHASE#{body['purchaseId']}"
    assert (item["gsi1pk"], item["gsi1sk"]) == (f"BUYER#{BUYER}", item["createdAt"])
    assert item["licensedKey"] == offer["licensedKey"]
    assert item["correlationId"] == "corr-42"
    assert "licensedKey" not in body


def test_create_purchase_keeps_snapshot_when_price_changes_later(call: Call, table: Any) -> None:
    # GIVEN a purchase made at 1500
    seed_offer(table, priceCents=1500)
    _, created, _ = buy(call)

    # WHEN the photographer republishes at a higher price
    seed_offer(table, revision=2, priceCents=9900)

    # THEN the purchase still costs what the buyer was shown
    status, body, _ = call("GET", f"/purchases/{created['purchaseId']}", sub=BUYER)
    assert status == 200
    assert body["priceCents"] == 1500


def test_create_purchase_without_idempotency_key_is_400_naming_the_header(
    call: Call, table: Any
) -> None:
    # GIVEN an image for sale
    seed_offer(table)

    # WHEN the buyer posts without an Idempotency-Key header
    status, body, _ = call("POST", "/purchases", body={"imageId": IMAGE_ID}, sub=BUYER)

    # THEN 400 names the header and nothing is recorded
    assert status == 400
    assert "idempotency-key" in body["message"].lower()
    assert purchase_items(table) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "imageId"),
        ({"imageId": ""}, "imageId"),
        ({"imageId": 7}, "imageId"),
        ({"imageId": IMAGE_ID, "price": 1}, "price"),
    ],
)
def test_create_purchase_invalid_body_is_400_naming_the_field(
    call: Call, table: Any, body: dict[str, Any], field: str
) -> None:
    # GIVEN an image for sale
    seed_offer(table)

    # WHEN the body is invalid
    status, response, _ = call(
        "POST", "/purchases", body=body, sub=BUYER, headers={"idempotency-key": "k"}
    )

    # THEN 400 names the field
    assert status == 400
    assert field in response["message"]


def test_create_purchase_malformed_json_is_400(call: Call, table: Any) -> None:
    # GIVEN a body that is not JSON
    seed_offer(table)

    # WHEN it is posted
    status, body, _ = call(
        "POST", "/purchases", body="{not json", sub=BUYER, headers={"idempotency-key": "k"}
    )

    # THEN it is a client error with a message, not a 5xx
    assert status == 400
    assert body["message"]


def test_create_purchase_without_jwt_subject_is_401(call: Call, table: Any) -> None:
    # GIVEN an image for sale
    seed_offer(table)

    # WHEN the request carries no authorizer claims
    status, body, _ = call(
        "POST", "/purchases", body={"imageId": IMAGE_ID}, headers={"idempotency-key": "k"}
    )

    # THEN 401
    assert status == 401
    assert "sub" in body["message"]


def test_create_purchase_same_key_returns_the_same_purchase(call: Call, table: Any) -> None:
    # GIVEN a purchase made with key "key-1"
    seed_offer(table)
    first_status, first, _ = buy(call, key="key-1")

    # WHEN the client retries with the same key and body
    status, again, headers = buy(call, key="key-1")

    # THEN the same purchase comes back (marked as a replay) and only one exists
    assert (first_status, status) == (201, 200)
    assert again == first
    assert headers["Idempotent-Replayed"] == "true"
    assert len(purchase_items(table)) == 1


def test_create_purchase_same_key_after_withdrawal_still_returns_the_purchase(
    call: Call, table: Any
) -> None:
    # GIVEN a purchase, after which the image is withdrawn
    seed_offer(table)
    _, first, _ = buy(call, key="key-1")
    table.update_item(
        Key={"pk": f"IMAGE#{IMAGE_ID}", "sk": "OFFER"},
        UpdateExpression="SET #s = :w",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":w": "WITHDRAWN"},
    )

    # WHEN the client retries with the same key
    status, again, _ = buy(call, key="key-1")

    # THEN the retry gets the original purchase, not a "not for sale" error
    assert status == 200
    assert again["purchaseId"] == first["purchaseId"]


def test_create_purchase_concurrent_retry_cannot_make_a_second_purchase(
    call: Call, api: ModuleType, table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a request with key "key-1" committed while a concurrent retry had already
    # looked the key up and found nothing
    seed_offer(table)
    _, first, _ = buy(call, key="key-1")
    real_lookup = api.store.find_idempotency_key
    lookups: list[str] = []

    def lookup_racing(*args: Any) -> dict[str, Any] | None:
        lookups.append(args[-1])
        return None if len(lookups) == 1 else real_lookup(*args)

    monkeypatch.setattr(api.store, "find_idempotency_key", lookup_racing)

    # WHEN that retry goes on to write its purchase
    status, again, _ = buy(call, key="key-1")

    # THEN the transaction refuses the second key, and the winner's purchase is returned
    assert len(lookups) == 2
    assert status == 200
    assert again["purchaseId"] == first["purchaseId"]
    assert len(purchase_items(table)) == 1


def test_create_purchase_same_key_for_another_image_is_422(call: Call, table: Any) -> None:
    # GIVEN a purchase of img-1 with key "key-1"
    seed_offer(table)
    seed_offer(table, image_id="img-2")
    buy(call, key="key-1")

    # WHEN the same key is used to buy img-2
    status, body, _ = buy(call, image_id="img-2", key="key-1")

    # THEN 422 explains the key was used for another request; no second purchase
    assert status == 422
    assert "Idempotency-Key" in body["message"]
    assert len(purchase_items(table)) == 1


def test_create_purchase_same_key_from_another_buyer_is_a_separate_purchase(
    call: Call, table: Any
) -> None:
    # GIVEN buyer-1 bought with key "key-1"
    seed_offer(table)
    _, first, _ = buy(call, key="key-1", sub=BUYER)

    # WHEN buyer-2 happens to use the same key
    status, second, _ = buy(call, key="key-1", sub=OTHER)

    # THEN buyer-2 gets their own purchase (keys are scoped to the buyer)
    assert status == 201
    assert second["purchaseId"] != first["purchaseId"]


def test_create_purchase_unknown_image_is_404(call: Call, table: Any) -> None:
    # GIVEN no offer for the image
    # WHEN a buyer tries to buy it
    status, body, _ = buy(call, image_id="nope")

    # THEN 404 says it is not for sale
    assert status == 404
    assert "not for sale" in body["message"]


def test_create_purchase_withdrawn_image_is_409(call: Call, table: Any) -> None:
    # GIVEN a withdrawn image
    seed_offer(table)
    table.update_item(
        Key={"pk": f"IMAGE#{IMAGE_ID}", "sk": "OFFER"},
        UpdateExpression="SET #s = :w",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":w": "WITHDRAWN"},
    )

    # WHEN a buyer tries to buy it
    status, body, _ = buy(call)

    # THEN 409 says it was withdrawn, and nothing is recorded
    assert status == 409
    assert "withdrawn" in body["message"]
    assert purchase_items(table) == []


def test_get_purchase_of_another_buyer_is_404(call: Call, table: Any) -> None:
    # GIVEN buyer-1's purchase
    seed_offer(table)
    _, created, _ = buy(call)

    # WHEN buyer-2 asks for it
    status, body, _ = call("GET", f"/purchases/{created['purchaseId']}", sub=OTHER)

    # THEN 404, as if it did not exist
    assert status == 404
    assert created["purchaseId"] in body["message"]


def test_get_purchase_own_is_200(call: Call, table: Any) -> None:
    # GIVEN buyer-1's purchase
    seed_offer(table)
    _, created, _ = buy(call)

    # WHEN buyer-1 asks for it
    status, body, _ = call("GET", f"/purchases/{created['purchaseId']}", sub=BUYER)

    # THEN it is returned
    assert status == 200
    assert body == created


def test_list_purchases_only_own_newest_first_with_cursor(call: Call, table: Any) -> None:
    # GIVEN three purchases by buyer-1 and one by buyer-2
    for image in ("img-a", "img-b", "img-c"):
        seed_offer(table, image_id=image)
        buy(call, image_id=image, key=f"key-{image}")
    buy(call, image_id="img-a", key="other", sub=OTHER)

    # WHEN buyer-1 lists two per page
    status, page1, _ = call("GET", "/purchases", sub=BUYER, query={"limit": "2"})
    _, page2, _ = call(
        "GET", "/purchases", sub=BUYER, query={"limit": "2", "cursor": page1["nextCursor"]}
    )

    # THEN only buyer-1's three purchases come back, newest first, across two pages
    assert status == 200
    images = [p["imageId"] for p in page1["items"] + page2["items"]]
    assert images == ["img-c", "img-b", "img-a"]
    assert page2["nextCursor"] is None


def test_list_purchases_rejects_a_cursor_of_another_buyer(call: Call, table: Any) -> None:
    # GIVEN buyer-2 holds a cursor into their own list
    for image in ("img-a", "img-b"):
        seed_offer(table, image_id=image)
        buy(call, image_id=image, key=image, sub=OTHER)
    _, page, _ = call("GET", "/purchases", sub=OTHER, query={"limit": "1"})

    # WHEN buyer-1 presents it
    status, body, _ = call("GET", "/purchases", sub=BUYER, query={"cursor": page["nextCursor"]})

    # THEN 400 names the cursor
    assert status == 400
    assert "cursor" in body["message"]


@pytest.mark.parametrize(
    ("query", "name"),
    [({"limit": "0"}, "limit"), ({"limit": "abc"}, "limit"), ({"cursor": "%%%"}, "cursor")],
)
def test_list_purchases_bad_query_is_400_naming_the_parameter(
    call: Call, query: dict[str, str], name: str
) -> None:
    # GIVEN / WHEN a bad query parameter
    status, body, _ = call("GET", "/purchases", sub=BUYER, query=query)

    # THEN 400 names it
    assert status == 400
    assert name in body["message"]


def test_download_of_a_pending_purchase_is_409(call: Call, table: Any) -> None:
    # GIVEN a purchase not completed yet
    seed_offer(table)
    _, created, _ = buy(call)

    # WHEN the buyer asks for the download
    status, body, _ = call("GET", f"/purchases/{created['purchaseId']}/download", sub=BUYER)

    # THEN 409 explains it is not completed yet
    assert status == 409
    assert "PENDING" in body["message"] and "COMPLETED" in body["message"]


def test_download_of_another_buyers_purchase_is_404(call: Call, table: Any) -> None:
    # GIVEN buyer-1's completed purchase
    seed_offer(table)
    _, created, _ = buy(call)
    complete_in_table(table, created["purchaseId"])

    # WHEN buyer-2 asks for its download
    status, _, _ = call("GET", f"/purchases/{created['purchaseId']}/download", sub=OTHER)

    # THEN 404
    assert status == 404


def test_download_of_a_completed_purchase_is_a_verifiable_signed_url(
    call: Call, table: Any, rsa_key: tuple[str, str]
) -> None:
    # GIVEN a completed purchase
    offer = seed_offer(table)
    _, created, _ = buy(call)
    complete_in_table(table, created["purchaseId"])

    # WHEN the buyer asks for the download
    before = datetime.now(UTC)
    status, body, headers = call("GET", f"/purchases/{created['purchaseId']}/download", sub=BUYER)

    # THEN a signed URL for the licensed copy, valid for the configured two minutes
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    expires = datetime.fromisoformat(body["expiresAt"])
    assert timedelta(seconds=110) < expires - before <= timedelta(seconds=121)
    resource = verify_signed_url(body["url"], rsa_key[1], now=before, key_pair_id=KEY_PAIR_ID)
    assert resource == f"https://{CDN}/{offer['licensedKey']}"
    assert urlsplit(body["url"]).netloc == CDN


def test_download_keeps_the_signing_key_in_memory(call: Call, table: Any, api: ModuleType) -> None:
    # GIVEN a completed purchase and one download already signed
    seed_offer(table)
    _, created, _ = buy(call)
    complete_in_table(table, created["purchaseId"])
    call("GET", f"/purchases/{created['purchaseId']}/download", sub=BUYER)

    # WHEN the secret becomes unreadable
    boto3.client("secretsmanager", region_name=REGION).delete_secret(
        SecretId=api.SIGNING_KEY_SECRET_ARN, ForceDeleteWithoutRecovery=True
    )
    status, body, _ = call("GET", f"/purchases/{created['purchaseId']}/download", sub=BUYER)

    # THEN the next download is still signed, from the cached key
    assert status == 200
    assert body["url"].startswith(f"https://{CDN}/")


def test_create_purchase_while_the_same_key_is_being_written_is_409(
    call: Call, api: ModuleType, table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN DynamoDB reports a transaction conflict (the same key is being written right now)
    seed_offer(table)

    def conflicting(*_args: Any) -> None:
        raise api.store.TransactionConflict("key-1")

    monkeypatch.setattr(api.store, "insert_purchase", conflicting)

    # WHEN the request is made
    status, body, _ = buy(call, key="key-1")

    # THEN 409 asks the client to retry (its retry will then replay the winner)
    assert status == 409
    assert "retry" in body["message"]
