"""The catalog table's item layout and the pure write plans of the indexer.

Layout (one table, string keys ``pk``/``sk``; ``gsi1``..``gsi3`` project ALL); the reasoning
is in services/catalog/README.md:

- image, or a withdrawn image's tombstone: ``pk=IMAGE#<id>``, ``sk=IMAGE`` (with ``terms``:
  what the image is findable by, services.catalog.terms).
- search entry, one per partition the image belongs to (services.catalog.entries):
  ``pk=IMAGE#<id>``, ``sk=E#<partition>``, ``gsi1``/``gsi2``/``gsi3`` keyed by the partition
  and sorted by popularity / recency / relevance.
- popularity counter: ``pk=IMAGE#<id>``, ``sk=POPULARITY`` (``purchases``).
- purchase already counted (exactly-once guard): ``pk=IMAGE#<id>``, ``sk=PURCHASE#<purchaseId>``.
- term usage counters (``images``: published images with the term): tags at ``pk=TAGS``,
  ``sk=TAG#<tag>`` (``/tags`` reads that partition); every other term and ``*`` at
  ``pk=TERMS``, ``sk=<term>`` (the query planner's statistics, prefix completion).
- Powertools idempotency records: ``pk=idempotency#<function>`` (services.common.idempotency).

- Every event changes the image item, its popularity counter and the term counters in one
  ``TransactWriteItems`` call, conditioned on the image revision and the counter value read
  just before (optimistic concurrency): a concurrent change cancels the transaction and the
  event is re-planned from fresh state. Counts are therefore exact under duplicates and
  reordering. The search entries are then converged on the image item (entries.sync), which
  is idempotent and safe to interrupt: too many for one transaction (up to a few hundred).
- The popularity counter is its own item so a purchase that arrives before the image is
  indexed is kept; publishing copies it into the image.
- The image item is never deleted: a withdrawal leaves a tombstone with its revision, so a
  late, older ``image.published`` cannot resurrect the image (newest revision wins).
- ``/tags`` reads the ``TAGS`` partition and sorts by count in memory: the tag vocabulary is
  small (normalised, lowercase) and the response is cached.

The largest plan (every term replaced: image + counter check + 2 x 36 term counters)
is 74 items: it fits the 100-item transaction limit (terms.MAX_WORDS and the 20-tag contract
keep it so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.catalog import terms

IMAGE_SK = "IMAGE"
POPULARITY_SK = "POPULARITY"
PURCHASE_PREFIX = "PURCHASE#"
TAGS_PK = "TAGS"
TERMS_PK = "TERMS"
PUBLISHED, WITHDRAWN = "PUBLISHED", "WITHDRAWN"
POPULARITY_DIGITS = 10
MAX_TRANSACTION_ITEMS = 100

SUMMARY_FIELDS = (
    "imageId", "title", "tags", "colours", "palette", "priceCents", "currency",
    "width", "height", "thumbnailUrl", "previewUrl", "publishedAt",
)  # fmt: skip
"""Fields of ``image.published`` copied into search entries (what a list response shows)."""
DETAIL_FIELDS = (*SUMMARY_FIELDS, "photographerId", "labels")
"""Fields copied into the image item; ``licensedKey`` is not: it is purchase's claim check."""

TransactItem = dict[str, Any]


def image_pk(image_id: str) -> str:
    return f"IMAGE#{image_id}"


def tag_partition(tag: str) -> str:
    return f"TAG#{tag}"


def counter_key(term: str) -> dict[str, str]:
    """Where a term's usage counter lives (tags where ``/tags`` reads them)."""
    if terms.kind(term) == terms.TAG and term != terms.ALL:
        return {"pk": TAGS_PK, "sk": tag_partition(term.split(":", 1)[1])}
    return {"pk": TERMS_PK, "sk": term}


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
    def counted_terms(self) -> set[str]:
        """Terms the counters count this image under (``*`` included) while it is published."""
        if not self.published or self.image is None:
            return set()
        return {terms.ALL, *image_terms(self.image)}

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
    """Write the image and its term counts; empty when the event is older than what we hold."""
    if not supersedes(state, int(data["revision"]), withdrawal=False):
        return []
    image = image_item(data, state.popularity)
    new_terms, old_terms = {terms.ALL, *image["terms"]}, state.counted_terms
    return [
        _put(table, image, _image_unchanged(state)),
        _counter_unchanged(table, state),
        *_term_counts(table, added=new_terms - old_terms, removed=old_terms - new_terms),
    ]


def plan_withdrawn(table: str, state: ImageState, data: Mapping[str, Any]) -> list[TransactItem]:
    """Replace the image by a tombstone and uncount its terms; empty when stale."""
    if not supersedes(state, int(data["revision"]), withdrawal=True):
        return []
    tombstone = {
        "pk": image_pk(state.image_id), "sk": IMAGE_SK, "status": WITHDRAWN,
        "imageId": state.image_id, "revision": int(data["revision"]),
        "photographerId": data["photographerId"], "withdrawnAt": data["withdrawnAt"],
    }  # fmt: skip
    return [
        _put(table, tombstone, _image_unchanged(state)),
        *_term_counts(table, added=set(), removed=state.counted_terms),
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
    return [*items, _put(table, image, _image_unchanged(state))]


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
        "terms": terms.image_terms(fields),
    }  # fmt: skip


def image_terms(image: Mapping[str, Any]) -> list[str]:
    """The terms stored with the image when it was indexed (computed for older items)."""
    stored = image.get("terms")
    return [str(t) for t in stored] if stored is not None else terms.image_terms(image)


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


def _term_counts(table: str, added: set[str], removed: set[str]) -> list[TransactItem]:
    deltas = {**dict.fromkeys(removed, -1), **dict.fromkeys(added, 1)}
    return [_count(table, term, delta) for term, delta in sorted(deltas.items())]


def _count(table: str, term: str, delta: int) -> TransactItem:
    key = counter_key(term)
    if key["pk"] == TAGS_PK:  # /tags shows the tag itself
        expression, values = "ADD images :delta SET tag = :tag", {":tag": term.split(":", 1)[1]}
    else:
        expression, values = "ADD images :delta SET term = :term", {":term": term}
    return {"Update": {
        "TableName": table, "Key": key, "UpdateExpression": expression,
        "ExpressionAttributeValues": {":delta": delta, **values},
    }}  # fmt: skip
