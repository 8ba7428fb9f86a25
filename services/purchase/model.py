"""The purchase service's domain: offers, purchases and their table items, as plain data.

No AWS here: the handlers read and write these items; everything below is a function of
plain dicts so it can be reasoned about (and tested) without Lambda or DynamoDB.

Table layout (the service's own table):

- offer (read model of upload's image events): ``pk=IMAGE#<imageId>``, ``sk=OFFER``
- purchase: ``pk=PURCHASE#<purchaseId>``, ``sk=PURCHASE``, ``gsi1pk=BUYER#<sub>``,
  ``gsi1sk=<created ISO time>`` (purchases by buyer, newest first)
- idempotency key of ``POST /purchases``: ``pk=BUYER#<sub>``, ``sk=IDEMPOTENCY_KEY#<key>``
  (the buyer alone is the partition, so no choice of key can collide with another buyer's)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

FOR_SALE = "FOR_SALE"
WITHDRAWN = "WITHDRAWN"

PENDING = "PENDING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"

OFFER_SK = "OFFER"
PURCHASE_SK = "PURCHASE"
PURCHASE_PREFIX = "PURCHASE#"

WITHDRAWN_REASON = "the image was withdrawn by the photographer before the purchase completed"
NOT_FOR_SALE_REASON = "the image is no longer for sale"


def utc_now() -> str:
    """ISO 8601 UTC with microseconds: sortable, and distinct enough to order a buyer's list."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def offer_key(image_id: str) -> dict[str, str]:
    return {"pk": f"IMAGE#{image_id}", "sk": OFFER_SK}


def purchase_key(purchase_id: str) -> dict[str, str]:
    return {"pk": f"{PURCHASE_PREFIX}{purchase_id}", "sk": PURCHASE_SK}


def buyer_partition(buyer_id: str) -> str:
    return f"BUYER#{buyer_id}"


def idempotency_key_key(buyer_id: str, key: str) -> dict[str, str]:
    return {"pk": buyer_partition(buyer_id), "sk": f"IDEMPOTENCY_KEY#{key}"}


def offer_from_published(data: Mapping[str, Any]) -> dict[str, Any]:
    """The offer item of an ``image.published`` event: what is for sale, at what price."""
    return {
        **offer_key(data["imageId"]),
        "imageId": data["imageId"],
        "revision": int(data["revision"]),
        "status": FOR_SALE,
        "title": data["title"],
        "photographerId": data["photographerId"],
        "priceCents": int(data["priceCents"]),
        "currency": data["currency"],
        "licensedKey": data["licensedKey"],
        "publishedAt": data["publishedAt"],
    }


def is_for_sale(offer: Mapping[str, Any] | None) -> bool:
    return offer is not None and offer.get("status") == FOR_SALE


def new_purchase(
    purchase_id: str,
    buyer_id: str,
    offer: Mapping[str, Any],
    correlation_id: str,
    idempotency_key: str,
    created_at: str,
) -> dict[str, Any]:
    """A PENDING purchase with the offer's price and licence snapshotted.

    The snapshot is the price the buyer was shown: a later price change by the photographer
    does not change what this purchase costs, and completion never re-reads the price.
    """
    return {
        **purchase_key(purchase_id),
        "gsi1pk": buyer_partition(buyer_id),
        "gsi1sk": created_at,
        "purchaseId": purchase_id,
        "buyerId": buyer_id,
        "imageId": offer["imageId"],
        "title": offer["title"],
        "photographerId": offer["photographerId"],
        "priceCents": int(offer["priceCents"]),
        "currency": offer["currency"],
        "licensedKey": offer["licensedKey"],
        "offerRevision": int(offer["revision"]),
        "status": PENDING,
        "createdAt": created_at,
        "correlationId": correlation_id,
        "idempotencyKey": idempotency_key,
    }


def purchase_view(item: Mapping[str, Any]) -> dict[str, Any]:
    """What the buyer sees of a purchase (internal keys and the claim check left out)."""
    view = {
        "purchaseId": item["purchaseId"],
        "imageId": item["imageId"],
        "title": item["title"],
        "priceCents": int(item["priceCents"]),
        "currency": item["currency"],
        "status": item["status"],
        "createdAt": item["createdAt"],
    }
    for optional in ("completedAt", "failedAt", "failureReason"):
        if optional in item:
            view[optional] = item[optional]
    return view


@dataclass(frozen=True)
class Settlement:
    """How a pending purchase ends: its final status and, when it failed, why."""

    status: str
    reason: str | None = None


def settle(offer: Mapping[str, Any] | None) -> Settlement:
    """Complete while the image is still for sale; otherwise fail (the saga's compensation)."""
    if is_for_sale(offer):
        return Settlement(COMPLETED)
    if offer is not None and offer.get("status") == WITHDRAWN:
        return Settlement(FAILED, WITHDRAWN_REASON)
    return Settlement(FAILED, NOT_FOR_SALE_REASON)


def outcome_event(purchase: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The event type and ``data`` announcing a settled purchase."""
    base = {
        "purchaseId": purchase["purchaseId"],
        "imageId": purchase["imageId"],
        "buyerId": purchase["buyerId"],
    }
    if purchase["status"] == COMPLETED:
        return "purchase.completed", {
            **base,
            "priceCents": int(purchase["priceCents"]),
            "currency": purchase["currency"],
            "completedAt": purchase["completedAt"],
        }
    return "purchase.failed", {**base, "reason": purchase["failureReason"]}


def plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints (every number this service stores is an integer)."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
