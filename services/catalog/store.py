"""The catalog table's I/O: read an image's state, apply a write plan, converge its search
entries, and the API's reads."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from services.catalog import entries, index, terms
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

    def get_image(self, image_id: str, consistent: bool = False) -> dict[str, Any] | None:
        key = {"pk": index.image_pk(image_id), "sk": index.IMAGE_SK}
        return self.table.get_item(Key=key, ConsistentRead=consistent).get("Item")

    def term_counts(self, wanted_terms: Iterable[str]) -> dict[str, int]:
        """Published images per term (0 for terms never seen), in one BatchGetItem."""
        wanted = list(dict.fromkeys(wanted_terms))
        by_key = {tuple(index.counter_key(t).values()): t for t in wanted}
        counts = dict.fromkeys(wanted, 0)
        keys = [index.counter_key(t) for t in wanted]
        request = {self.name: {"Keys": keys}} if keys else {}
        while request:
            response = self.client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(self.name, []):
                counts[by_key[(item["pk"], item["sk"])]] = int(item.get("images", 0))
            request = response.get("UnprocessedKeys") or {}
        return counts

    def tag_counts(self, tags: Iterable[str]) -> dict[str, int]:
        """Published images per tag (0 for tags never seen)."""
        counts = self.term_counts(f"{index.terms.TAG}:{t}" for t in tags)
        return {term.split(":", 1)[1]: n for term, n in counts.items()}

    def completions(self, prefix: str, limit: int) -> dict[str, int]:
        """Counted terms starting with ``prefix`` (the first ``limit``, alphabetically)."""
        page = self.table.query(
            KeyConditionExpression=Key("pk").eq(index.TERMS_PK) & Key("sk").begins_with(prefix),
            Limit=limit,
        )
        return {str(i["sk"]): int(i.get("images", 0)) for i in page["Items"]}

    def entry_versions(self, image_id: str) -> dict[str, int | None]:
        """The image's search entries (and legacy listings) by sort key, with their version."""
        found: dict[str, int | None] = {}
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":pk": index.image_pk(image_id), ":low": entries.ENTRY_PREFIX, ":high": "LIST$",
            },
            "ProjectionExpression": "sk, version",
            "ConsistentRead": True,
        }  # fmt: skip
        while True:
            page = self.table.query(**kwargs)
            for item in page["Items"]:
                sk = str(item["sk"])
                if sk.startswith((entries.ENTRY_PREFIX, "LIST#")):
                    found[sk] = int(item["version"]) if "version" in item else None
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_entry(self, item: Mapping[str, Any]) -> None:
        """Write an entry unless the table holds a newer version of it."""
        self._conditional(
            self.table.put_item,
            Item=dict(item),
            ConditionExpression="attribute_not_exists(pk) OR version < :v",
            ExpressionAttributeValues={":v": item["version"]},
        )

    def put_new_entries(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Write entries that did not exist, 25 a request (unprocessed ones retried)."""
        with self.table.batch_writer() as batch:
            for item in items:
                batch.put_item(Item=dict(item))

    def delete_entry(self, image_id: str, sk: str, up_to_version: int) -> None:
        """Delete an entry unless it was written from a state newer than ``up_to_version``."""
        self._conditional(
            self.table.delete_item,
            Key={"pk": index.image_pk(image_id), "sk": sk},
            ConditionExpression="attribute_not_exists(version) OR version <= :v",
            ExpressionAttributeValues={":v": up_to_version},
        )

    @staticmethod
    def _conditional(call: Callable[..., Any], **kwargs: Any) -> None:
        try:
            call(**kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

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

    The image, counters and term counts change in one transaction; the search entries are
    then converged on the image, whatever the outcome (a redelivery after a crash between
    the two finishes the job).
    """
    planner = PLANNERS.get(event_type)
    if planner is None:
        return "ignored"
    outcome = _apply_plan(store, planner, event_type, data)
    sync_entries(store, str(data["imageId"]))
    return outcome


def _apply_plan(
    store: CatalogStore, planner: Planner, event_type: str, data: Mapping[str, Any]
) -> str:
    """Read, plan, write conditioned on what was read; on a concurrent change, start over."""
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


def sync_entries(store: CatalogStore, image_id: str) -> int:
    """Make the image's search entries exactly those of its image item; writes made.

    Idempotent and order-tolerant: the image item is read again after every write; if it
    changed meanwhile, the entries are converged again on the newer state, so a writer that
    lost a race never leaves a stale entry behind. Entries that exist are rewritten only
    under their version; entries that do not exist yet are batch-written unconditionally
    (25 a request instead of one each: a new image has ~160): a stale one is repaired by that
    re-read, which follows it.
    """
    writes = 0
    for _ in range(ATTEMPTS):
        image = store.get_image(image_id, consistent=True)
        if image is None:
            return writes
        wanted, present = entries.entry_items(image), store.entry_versions(image_id)
        for single_term in (False, True):
            part = [sk for sk in wanted if _single_term_last(sk) == single_term]
            store.put_new_entries([wanted[sk] for sk in part if sk not in present])
            for sk in part:
                if sk in present and present[sk] != wanted[sk]["version"]:
                    store.put_entry(wanted[sk])
            writes += sum(1 for sk in part if present.get(sk) != wanted[sk]["version"])
        for sk in sorted(present.keys() - wanted.keys(), key=_single_term_last, reverse=True):
            store.delete_entry(image_id, sk, entries.version(image))
            writes += 1
        again = store.get_image(image_id, consistent=True)
        if again is not None and entries.version(again) == entries.version(image):
            return writes
    raise ConcurrentChange(f"image {image_id} kept changing while its entries were written")


def _single_term_last(sk: str) -> bool:
    """Pair entries before single-term ones (and removed after them): an image a one-term
    query finds is already found by every narrower pair query (tag, then tag + colour)."""
    return terms.SEPARATOR not in sk


def _is_duplicate(event_type: str, cancelled: Cancelled) -> bool:
    guard = index.DUPLICATE_GUARD
    return (
        event_type == "purchase.completed"
        and len(cancelled.reasons) > guard
        and cancelled.reasons[guard] == "ConditionalCheckFailed"
    )
