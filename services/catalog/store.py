"""The catalog table's I/O: read an image's state, apply a write plan, and the API's reads."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from services.catalog import index
from services.catalog.index import ImageState, TransactItem
from services.contracts.dispatch import consumer_table

ATTEMPTS = 4
"""Tries per event when concurrent writers keep changing the image under us."""


class ConcurrentChange(Exception):
    """The image changed between read and write too many times; SQS will redeliver."""


class Cancelled(Exception):
    """A write plan's transaction was cancelled; ``reasons`` holds one code per item."""

    def __init__(self, reasons: tuple[str, ...]) -> None:
        super().__init__(", ".join(reasons))
        self.reasons = reasons


class CatalogStore:
    """The catalog table (a boto3 ``Table`` resource; its client takes plain Python values)."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self.name: str = table.name
        self.client = table.meta.client

    def read_state(self, image_id: str) -> ImageState:
        """The image item and popularity counter in one consistent BatchGetItem."""
        pk = index.image_pk(image_id)
        keys = [{"pk": pk, "sk": index.IMAGE_SK}, {"pk": pk, "sk": index.POPULARITY_SK}]
        request = {self.name: {"Keys": keys, "ConsistentRead": True}}
        items: dict[str, Mapping[str, Any]] = {}
        while request:
            response = self.client.batch_get_item(RequestItems=request)
            items.update({i["sk"]: i for i in response["Responses"].get(self.name, [])})
            request = response.get("UnprocessedKeys") or {}
        counter = items.get(index.POPULARITY_SK)
        purchases = None if counter is None else int(counter["purchases"])
        return ImageState(image_id, items.get(index.IMAGE_SK), purchases)

    def write(self, items: list[TransactItem]) -> None:
        """Apply a plan in one write call; raise ``Cancelled`` when a condition fails."""
        if len(items) > index.MAX_TRANSACTION_ITEMS:
            raise ValueError(f"write plan of {len(items)} items exceeds one transaction")
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            raise Cancelled(tuple(r.get("Code", "None") for r in reasons)) from error

    def get_image(self, image_id: str) -> dict[str, Any] | None:
        key = {"pk": index.image_pk(image_id), "sk": index.IMAGE_SK}
        return self.table.get_item(Key=key).get("Item")

    def tag_counts(self, tags: Iterable[str]) -> dict[str, int]:
        """Published images per tag (0 for tags never seen)."""
        wanted = list(dict.fromkeys(tags))
        keys = [{"pk": index.TAGS_PK, "sk": index.tag_partition(t)} for t in wanted]
        counts = dict.fromkeys(wanted, 0)
        request = {self.name: {"Keys": keys}} if keys else {}
        while request:
            response = self.client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(self.name, []):
                counts[str(item["tag"])] = int(item.get("images", 0))
            request = response.get("UnprocessedKeys") or {}
        return counts

    def all_tag_counts(self) -> dict[str, int]:
        """Every tag with at least one published image."""
        counts: dict[str, int] = {}
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": index.TAGS_PK},
        }
        while True:
            page = self.table.query(**kwargs)
            counts.update({str(i["tag"]): int(i.get("images", 0)) for i in page["Items"]})
            if "LastEvaluatedKey" not in page:
                return {tag: n for tag, n in counts.items() if n > 0}
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def query_page(self, **kwargs: Any) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One Query page: (items, LastEvaluatedKey)."""
        page = self.table.query(**kwargs)
        return page["Items"], page.get("LastEvaluatedKey")


Planner = Callable[[str, ImageState, Mapping[str, Any]], list[TransactItem]]

PLANNERS: Mapping[str, Planner] = consumer_table(
    "catalog",
    {
        "image.published": index.plan_published,
        "image.withdrawn": index.plan_withdrawn,
        "purchase.completed": index.plan_purchase,
    },
)
"""The event types the indexer applies; other types are acknowledged and ignored."""


def apply_event(store: CatalogStore, event_type: str, data: Mapping[str, Any]) -> str:
    """Apply one event: ``applied``, ``stale`` (older revision), ``duplicate`` or ``ignored``.

    Read, plan, write conditioned on what was read; on a concurrent change, start over.
    """
    planner = PLANNERS.get(event_type)
    if planner is None:
        return "ignored"
    for attempt in range(ATTEMPTS):
        plan = planner(store.name, store.read_state(str(data["imageId"])), data)
        if not plan:
            return "stale"
        try:
            store.write(plan)
            return "applied"
        except Cancelled as cancelled:
            if _is_duplicate(event_type, cancelled):
                return "duplicate"
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # jitter: let the other writer win
    raise ConcurrentChange(f"image {data['imageId']} kept changing during {event_type}")


def _is_duplicate(event_type: str, cancelled: Cancelled) -> bool:
    guard = index.DUPLICATE_GUARD
    return (
        event_type == "purchase.completed"
        and len(cancelled.reasons) > guard
        and cancelled.reasons[guard] == "ConditionalCheckFailed"
    )
