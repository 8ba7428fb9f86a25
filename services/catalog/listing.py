"""The read side: image listings with filters and cursors, one image, the most used tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from services.catalog import cursor as cursors
from services.catalog import index
from services.catalog.store import CatalogStore

Sort = Literal["popularity", "recent"]
SORT_INDEXES: dict[str, str] = {"popularity": "gsi1", "recent": "gsi2"}
MAX_PAGES = 5
"""Query pages read per request at most; past that the client gets a cursor to continue."""
FILTERED_PAGE_SIZE = 200
"""Items evaluated per Query page when a filter may drop some of them."""


@dataclass(frozen=True)
class ListingQuery:
    """Normalised ``GET /images`` parameters (tags lowercase, unique, sorted)."""

    tags: tuple[str, ...] = ()
    colour: str | None = None
    sort: Sort = "recent"
    limit: int = 20

    @property
    def index_name(self) -> str:
        return SORT_INDEXES[self.sort]

    @property
    def fingerprint(self) -> str:
        return cursors.fingerprint(tags=list(self.tags), colour=self.colour, sort=self.sort)


@dataclass(frozen=True)
class ListingPage:
    items: list[dict[str, Any]]
    cursor: str | None = None


def list_images(store: CatalogStore, query: ListingQuery, cursor: str | None) -> ListingPage:
    """One page of published images matching every tag and the colour, best first."""
    if cursor:
        position = cursors.decode(cursor, query.fingerprint, query.index_name)
        if position.tag not in (query.tags or (index.ALL_TAG,)):
            raise cursors.InvalidCursor("cursor does not belong to this query")
        tag, start = position.tag, position.key
    else:
        selected = most_selective_tag(store, query.tags)
        if selected is None:
            return ListingPage(items=[])
        tag, start = selected, None
    return _read_pages(store, query, tag, start)


def most_selective_tag(store: CatalogStore, tags: tuple[str, ...]) -> str | None:
    """The tag with the fewest images (``*`` without tags); None if one has no images at all."""
    if not tags:
        return index.ALL_TAG
    counts = store.tag_counts(tags)
    tag = min(tags, key=lambda t: (counts[t], t))
    return tag if counts[tag] > 0 else None


def _read_pages(
    store: CatalogStore, query: ListingQuery, tag: str, start: dict[str, Any] | None
) -> ListingPage:
    name = query.index_name
    condition = _filter(query, tag)
    collected: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        wanted = query.limit + 1 - len(collected)  # one extra tells whether a next page exists
        kwargs: dict[str, Any] = {
            "IndexName": name,
            "KeyConditionExpression": Key(f"{name}pk").eq(index.tag_partition(tag)),
            "ScanIndexForward": False,
            "Limit": wanted if condition is None else max(wanted, FILTERED_PAGE_SIZE),
        }
        if condition is not None:
            kwargs["FilterExpression"] = condition
        if start:
            kwargs["ExclusiveStartKey"] = start
        items, start = store.query_page(**kwargs)
        collected += items
        if len(collected) > query.limit:
            shown = collected[: query.limit]
            return _page(shown, query, tag, _index_key(shown[-1], name))
        if start is None:
            return _page(collected, query, tag, None)
    return _page(collected, query, tag, start)


def _filter(query: ListingQuery, queried_tag: str) -> ConditionBase | None:
    conditions = [Attr("tags").contains(t) for t in query.tags if t != queried_tag]
    if query.colour:
        conditions.append(Attr("colours").contains(query.colour))
    return reduce(lambda a, b: a & b, conditions) if conditions else None


def _index_key(item: Mapping[str, Any], name: str) -> dict[str, str]:
    return {k: str(item[k]) for k in ("pk", "sk", f"{name}pk", f"{name}sk")}


def _page(
    items: list[dict[str, Any]], query: ListingQuery, tag: str, key: Mapping[str, Any] | None
) -> ListingPage:
    cursor = None
    if key is not None:
        position = cursors.Position(tag=tag, key={k: str(v) for k, v in key.items()})
        cursor = cursors.encode(position, query.fingerprint)
    return ListingPage(items=[summary(item) for item in items], cursor=cursor)


def summary(item: Mapping[str, Any]) -> dict[str, Any]:
    """What a listing shows of an image."""
    fields = (*index.SUMMARY_FIELDS, "popularity")
    return {name: index.plain(item.get(name)) for name in fields if name in item}


def published_image(store: CatalogStore, image_id: str) -> dict[str, Any] | None:
    """The image's public details; None when unknown or withdrawn."""
    item = store.get_image(image_id)
    if item is None or item.get("status") != index.PUBLISHED:
        return None
    fields = (*index.SUMMARY_FIELDS, "labels", "popularity")
    return {name: index.plain(item.get(name)) for name in fields if name in item}


def top_tags(store: CatalogStore, limit: int) -> list[tuple[str, int]]:
    """The most used tags with their number of published images, most used first."""
    counts = store.all_tag_counts()
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
