"""The catalog table's item layout and the pure write plans of the indexer.

Layout (one table, string keys ``pk``/``sk``; ``gsi1``/``gsi2`` project ALL):

- image, or a withdrawn image's tombstone: ``pk=IMAGE#<id>``, ``sk=IMAGE``.
- listing, one per tag plus the pseudo-tag ``*``: ``pk=IMAGE#<id>``, ``sk=LIST#<tag>``,
  ``gsi1pk=TAG#<tag>``, ``gsi1sk=<popularity:010d>#<id>`` (by popularity),
  ``gsi2pk=TAG#<tag>``, ``gsi2sk=<publishedAt>#<id>`` (by recency).
- popularity counter: ``pk=IMAGE#<id>``, ``sk=POPULARITY`` (``purchases``).
- purchase already counted (exactly-once guard): ``pk=IMAGE#<id>``, ``sk=PURCHASE#<purchaseId>``.
- tag usage counter: ``pk=TAGS``, ``sk=TAG#<tag>`` (``images``: published images with the tag).
- Powertools idempotency records: ``pk=idempotency#<function>`` (services.common.idempotency).

- A listing item carries everything a list response shows, so ``GET /images`` is one Query
  on ``gsi1`` (popularity) or ``gsi2`` (recency) of ``TAG#<tag>``; ``TAG#*`` lists every
  image. Several tags: query the most selective one (fewest images, from the tag counters)
  and filter the rest and the colour with a FilterExpression. Trade-off: read capacity is
  spent on filtered-out items of that one tag, but writes stay at one listing item per tag
  (indexing every tag *combination* would multiply writes and items).
- The popularity counter is its own item so a purchase that arrives before the image is
  indexed is kept; publishing copies it into the image and its listings.
- The image item is never deleted: a withdrawal leaves a tombstone with its revision, so a
  late, older ``image.published`` cannot resurrect the image (newest revision wins).
- Every event is applied with one ``TransactWriteItems`` call, conditioned on the image
  revision and the counter value read just before (optimistic concurrency): a concurrent
  change cancels the transaction and the event is re-planned from fresh state.
- ``/tags`` reads the ``TAGS`` partition and sorts by count in memory: the tag vocabulary is
  small (normalised, lowercase) and the response is cached; a sorted index would need a
  read-modify-write of every tag counter on every publish.

Tags are at most 20 per image (contract), so the largest plan (all tags replaced:
image + counter check + 21 listing puts + 20 listing deletes + 40 tag counters = 83 items)
fits the 100-item transaction limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

IMAGE_SK = "IMAGE"
POPULARITY_SK = "POPULARITY"
LISTING_PREFIX = "LIST#"
PURCHASE_PREFIX = "PURCHASE#"
TAGS_PK = "TAGS"
ALL_TAG = "*"
"""Pseudo-tag every published image is listed under."""
PUBLISHED, WITHDRAWN = "PUBLISHED", "WITHDRAWN"
POPULARITY_DIGITS = 10
MAX_TRANSACTION_ITEMS = 100

SUMMARY_FIELDS = (
    "imageId", "title", "tags", "colours", "palette", "priceCents", "currency",
    "width", "height", "thumbnailUrl", "previewUrl", "publishedAt",
)  # fmt: skip
"""Fields of ``image.published`` copied into listing items (what a list response shows)."""
DETAIL_FIELDS = (*SUMMARY_FIELDS, "photographerId", "labels")
"""Fields copied into the image item; ``licensedKey`` is not: it is purchase's claim check."""

TransactItem = dict[str, Any]


def image_pk(image_id: str) -> str:
    return f"IMAGE#{image_id}"


def tag_partition(tag: str) -> str:
    return f"TAG#{tag}"


def popularity_sort_key(popularity: int, image_id: str) -> str:
    return f"{popularity:0{POPULARITY_DIGITS}d}#{image_id}"


def recency_sort_key(published_at: str, image_id: str) -> str:
    return f"{published_at}#{image_id}"


def normalise_time(value: str) -> str:
    """ISO UTC with milliseconds and ``Z`` so that times sort as strings."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def plain(value: Any) -> Any:
    """DynamoDB values as plain JSON types (``Decimal`` -> int/float), recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class ImageState:
    """What the table holds for one image, read just before planning a write."""

    image_id: str
    image: Mapping[str, Any] | None = None
    """The image item (``PUBLISHED`` or a ``WITHDRAWN`` tombstone); None if never seen."""
    purchases: int | None = None
    """The popularity counter; None while no purchase was counted."""

    @property
    def revision(self) -> int | None:
        return None if self.image is None else int(self.image["revision"])

    @property
    def published(self) -> bool:
        return self.image is not None and self.image.get("status") == PUBLISHED

    @property
    def listed_tags(self) -> set[str]:
        """Tags the image is currently listed under (without the ``*`` pseudo-tag)."""
        return set(self.image.get("tags") or ()) if self.published and self.image else set()

    @property
    def popularity(self) -> int:
        return self.purchases or 0


def supersedes(state: ImageState, revision: int, withdrawal: bool) -> bool:
    """Newest revision wins; at an equal revision a withdrawal beats a publication."""
    current = state.revision
    if current is None or revision > current:
        return True
    return revision == current and withdrawal and state.published


def plan_published(table: str, state: ImageState, data: Mapping[str, Any]) -> list[TransactItem]:
    """Write the image and its listings; empty when the event is older than what we hold."""
    if not supersedes(state, int(data["revision"]), withdrawal=False):
        return []
    image = image_item(data, state.popularity)
    new_tags = set(image["tags"])
    old_tags = state.listed_tags
    return [
        _put(table, image, _image_unchanged(state)),
        _counter_unchanged(table, state),
        *(_put(table, listing_item(image, tag)) for tag in sorted(new_tags | {ALL_TAG})),
        *(_delete_listing(table, state.image_id, tag) for tag in sorted(old_tags - new_tags)),
        *_tag_counts(table, added=new_tags - old_tags, removed=old_tags - new_tags),
    ]


def plan_withdrawn(table: str, state: ImageState, data: Mapping[str, Any]) -> list[TransactItem]:
    """Replace the image by a tombstone and drop every listing; empty when stale."""
    if not supersedes(state, int(data["revision"]), withdrawal=True):
        return []
    tombstone = {
        "pk": image_pk(state.image_id), "sk": IMAGE_SK, "status": WITHDRAWN,
        "imageId": state.image_id, "revision": int(data["revision"]),
        "photographerId": data["photographerId"], "withdrawnAt": data["withdrawnAt"],
    }  # fmt: skip
    old_tags = state.listed_tags
    listed = sorted(old_tags | {ALL_TAG}) if state.published else []
    return [
        _put(table, tombstone, _image_unchanged(state)),
        *(_delete_listing(table, state.image_id, tag) for tag in listed),
        *_tag_counts(table, added=set(), removed=old_tags),
    ]


def plan_purchase(table: str, state: ImageState, data: Mapping[str, Any]) -> list[TransactItem]:
    """Count one purchase. Item 0 guards exactly-once per purchase id (see ``DUPLICATE_GUARD``)."""
    popularity = state.popularity + 1
    pk = image_pk(state.image_id)
    counter = {"pk": pk, "sk": POPULARITY_SK, "imageId": state.image_id, "purchases": popularity}
    guard = {"pk": pk, "sk": PURCHASE_PREFIX + str(data["purchaseId"]), "at": data["completedAt"]}
    items = [
        _put(table, guard, ("attribute_not_exists(pk)", {})),
        _put(table, counter, _counter_condition(state)),
    ]
    if not state.published or state.image is None:
        # Not listed (yet, or any more): only make sure it is not published meanwhile.
        return [*items, _check(table, pk, IMAGE_SK, _image_unchanged(state))]
    image = {**state.image, "popularity": popularity}
    return [
        *items,
        _put(table, image, _image_unchanged(state)),
        *(_put(table, listing_item(image, tag)) for tag in sorted(state.listed_tags | {ALL_TAG})),
    ]


DUPLICATE_GUARD = 0
"""Index of the item in a purchase plan whose failed condition means "already counted"."""


def image_item(data: Mapping[str, Any], popularity: int) -> dict[str, Any]:
    """The image item of an ``image.published`` event (published time normalised)."""
    fields = {name: data[name] for name in DETAIL_FIELDS if name in data}
    fields["publishedAt"] = normalise_time(str(data["publishedAt"]))
    fields["labels"] = list(data.get("labels") or [])
    return {
        "pk": image_pk(str(data["imageId"])), "sk": IMAGE_SK, "status": PUBLISHED,
        "revision": int(data["revision"]), "popularity": popularity, **fields,
    }  # fmt: skip


def listing_item(image: Mapping[str, Any], tag: str) -> dict[str, Any]:
    """The item that lists ``image`` under ``tag`` in both indexes."""
    image_id, popularity = str(image["imageId"]), int(image["popularity"])
    partition = tag_partition(tag)
    return {
        "pk": image_pk(image_id), "sk": LISTING_PREFIX + tag,
        "gsi1pk": partition, "gsi1sk": popularity_sort_key(popularity, image_id),
        "gsi2pk": partition, "gsi2sk": recency_sort_key(str(image["publishedAt"]), image_id),
        "popularity": popularity, **{name: image[name] for name in SUMMARY_FIELDS},
    }  # fmt: skip


def _image_unchanged(state: ImageState) -> tuple[str, dict[str, Any]]:
    if state.image is None:
        return "attribute_not_exists(pk)", {}
    return "revision = :seen_revision", {":seen_revision": state.revision}


def _counter_condition(state: ImageState) -> tuple[str, dict[str, Any]]:
    if state.purchases is None:
        return "attribute_not_exists(pk)", {}
    return "purchases = :seen_purchases", {":seen_purchases": state.purchases}


def _counter_unchanged(table: str, state: ImageState) -> TransactItem:
    return _check(table, image_pk(state.image_id), POPULARITY_SK, _counter_condition(state))


def _put(table: str, item: Mapping[str, Any], condition: tuple | None = None) -> TransactItem:
    put: dict[str, Any] = {"TableName": table, "Item": dict(item)}
    return {"Put": _with_condition(put, condition)}


def _check(table: str, pk: str, sk: str, condition: tuple[str, dict[str, Any]]) -> TransactItem:
    check = {"TableName": table, "Key": {"pk": pk, "sk": sk}}
    return {"ConditionCheck": _with_condition(check, condition)}


def _with_condition(operation: dict[str, Any], condition: tuple | None) -> dict[str, Any]:
    if condition:
        expression, values = condition
        operation["ConditionExpression"] = expression
        if values:
            operation["ExpressionAttributeValues"] = values
    return operation


def _delete_listing(table: str, image_id: str, tag: str) -> TransactItem:
    key = {"pk": image_pk(image_id), "sk": LISTING_PREFIX + tag}
    return {"Delete": {"TableName": table, "Key": key}}


def _tag_counts(table: str, added: set[str], removed: set[str]) -> list[TransactItem]:
    deltas = {**dict.fromkeys(removed, -1), **dict.fromkeys(added, 1)}
    return [
        {"Update": {
            "TableName": table, "Key": {"pk": TAGS_PK, "sk": tag_partition(tag)},
            "UpdateExpression": "ADD images :delta SET tag = :tag",
            "ExpressionAttributeValues": {":delta": delta, ":tag": tag},
        }}
        for tag, delta in sorted(deltas.items())
    ]  # fmt: skip
