"""Reads and writes of the purchase table (a boto3 ``Table`` is passed in; no globals).

Every write that decides something is conditional, so concurrent or repeated deliveries
cannot undo each other: offers keep the newest revision, a purchase leaves PENDING once,
an idempotency key is taken once, an event is recorded as published once.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from services.purchase.model import (
    PENDING,
    WITHDRAWN,
    Settlement,
    idempotency_key_key,
    offer_key,
    plain,
    purchase_key,
)

CONDITION_FAILED = "ConditionalCheckFailedException"


class IdempotencyKeyTaken(Exception):
    """Another request with the same buyer and ``Idempotency-Key`` recorded its purchase first."""


class TransactionConflict(Exception):
    """A concurrent request with the same key is being written right now; retrying is safe."""


def _condition_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == CONDITION_FAILED


def get_offer(table: Any, image_id: str) -> dict[str, Any] | None:
    item = table.get_item(Key=offer_key(image_id), ConsistentRead=True).get("Item")
    return plain(item) if item else None


def put_offer_if_newer(table: Any, offer: dict[str, Any]) -> bool:
    """Write ``offer`` unless a revision as new or newer is stored; False when it was stale."""
    try:
        table.put_item(
            Item=offer,
            ConditionExpression="attribute_not_exists(pk) OR revision < :revision",
            ExpressionAttributeValues={":revision": offer["revision"]},
        )
    except ClientError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def withdraw_offer_if_newer(table: Any, data: dict[str, Any]) -> bool:
    """Mark the offer WITHDRAWN at ``data.revision`` unless newer; creates a tombstone if absent.

    A tombstone makes a late, older ``image.published`` harmless (its revision is lower).
    """
    try:
        table.update_item(
            Key=offer_key(data["imageId"]),
            UpdateExpression=(
                "SET #status = :withdrawn, revision = :revision, imageId = :image, "
                "photographerId = :photographer, withdrawnAt = :at"
            ),
            ConditionExpression="attribute_not_exists(pk) OR revision < :revision",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":withdrawn": WITHDRAWN,
                ":revision": int(data["revision"]),
                ":image": data["imageId"],
                ":photographer": data["photographerId"],
                ":at": data["withdrawnAt"],
            },
        )
    except ClientError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def find_idempotency_key(table: Any, buyer_id: str, key: str) -> dict[str, Any] | None:
    item = table.get_item(Key=idempotency_key_key(buyer_id, key), ConsistentRead=True).get("Item")
    return plain(item) if item else None


def insert_purchase(table: Any, purchase: dict[str, Any], key: str) -> None:
    """Record the purchase and take its idempotency key in one transaction.

    Both puts are conditional, so of two concurrent requests with the same key exactly one
    commits; the other gets ``IdempotencyKeyTaken`` (or ``TransactionConflict`` while the
    winner is still committing) and replays the winner's purchase instead of making a second.
    """
    key_item = {
        **idempotency_key_key(purchase["buyerId"], key),
        "purchaseId": purchase["purchaseId"],
        "imageId": purchase["imageId"],
        "createdAt": purchase["createdAt"],
    }
    try:
        table.meta.client.transact_write_items(
            TransactItems=[
                {"Put": _put_new(table.name, key_item)},
                {"Put": _put_new(table.name, purchase)},
            ]
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        codes = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
        if codes and codes[0] == "ConditionalCheckFailed":
            raise IdempotencyKeyTaken(key) from error
        if "TransactionConflict" in codes:
            raise TransactionConflict(key) from error
        raise


def _put_new(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "TableName": table_name,
        "Item": item,
        "ConditionExpression": "attribute_not_exists(pk)",
    }


def get_purchase(table: Any, purchase_id: str) -> dict[str, Any] | None:
    item = table.get_item(Key=purchase_key(purchase_id), ConsistentRead=True).get("Item")
    return plain(item) if item else None


def list_purchases(
    table: Any, buyer_partition: str, limit: int, start_key: dict[str, str] | None
) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """One page of a buyer's purchases, newest first, and the key to continue from."""
    kwargs: dict[str, Any] = {
        "IndexName": "gsi1",
        "KeyConditionExpression": "gsi1pk = :buyer",
        "ExpressionAttributeValues": {":buyer": buyer_partition},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if start_key:
        kwargs["ExclusiveStartKey"] = start_key
    page = table.query(**kwargs)
    return [plain(i) for i in page.get("Items", [])], page.get("LastEvaluatedKey")


def settle_purchase(table: Any, purchase_id: str, settlement: Settlement, at: str) -> bool:
    """PENDING -> COMPLETED/FAILED, once; False when it had already left PENDING."""
    names = {"#status": "status"}
    values: dict[str, Any] = {":pending": PENDING, ":status": settlement.status, ":at": at}
    update = "SET #status = :status, settledAt = :at"
    update += ", completedAt = :at" if settlement.reason is None else ", failedAt = :at"
    if settlement.reason is not None:
        update += ", failureReason = :reason"
        values[":reason"] = settlement.reason
    try:
        table.update_item(
            Key=purchase_key(purchase_id),
            UpdateExpression=update,
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def mark_once(table: Any, purchase_id: str, attribute: str, value: str) -> bool:
    """Set ``attribute`` (e.g. ``eventId``) unless already set; False when it was."""
    try:
        table.update_item(
            Key=purchase_key(purchase_id),
            UpdateExpression="SET #attribute = :value",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#attribute)",
            ExpressionAttributeNames={"#attribute": attribute},
            ExpressionAttributeValues={":value": value},
        )
    except ClientError as error:
        if _condition_failed(error):
            return False
        raise
    return True
