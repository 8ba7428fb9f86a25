"""Search entries: the items a query reads, one per partition an image belongs to.

An entry carries what a result shows (so a page is one Query, no second read) and what a
filter tests (``terms``, ``width``, ``height``). Three sparse-free indexes sort a partition:
``gsi1`` by popularity, ``gsi2`` by recency, ``gsi3`` by relevance (only partitions with a
word: relevance is about words). ``version`` orders writes of the same entry: a writer holding
an older image state never overwrites a newer one (entries are converged, not transacted).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.catalog import cursor, index, terms

ENTRY_PREFIX = "E#"
PARTITION_PREFIX = cursor.PARTITION_PREFIX
SORT_INDEXES = {"popularity": "gsi1", "recent": "gsi2", "relevance": "gsi3"}
POPULARITY_SPAN = 10**12
"""Versions are ``revision * POPULARITY_SPAN + popularity``: newest revision, then most bought."""
SCORE_DIGITS = 3


def partition_key(partition: str) -> str:
    return PARTITION_PREFIX + partition


def entry_sk(partition: str) -> str:
    return ENTRY_PREFIX + partition


def version(image: Mapping[str, Any]) -> int:
    """Order of image states; a tombstone outranks every state of its revision."""
    popularity = POPULARITY_SPAN - 1
    if image.get("status") == index.PUBLISHED:
        popularity = int(image.get("popularity", 0))
    return int(image["revision"]) * POPULARITY_SPAN + popularity


def relevance(scores: Mapping[str, int], partition: str) -> int:
    """Sum of the partition's words' field weights in this image (terms.word_scores)."""
    return sum(
        int(scores.get(t.split(":", 1)[1], 0))
        for t in terms.members(partition)
        if terms.kind(t) == terms.WORD
    )


def entry_items(image: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every entry of a published image, by sort key; none for a tombstone."""
    if image.get("status") != index.PUBLISHED:
        return {}
    image_terms = index.image_terms(image)
    scores = terms.word_scores(image)
    common = _common(image, image_terms)
    return {entry_sk(p): _entry(common, p, scores) for p in terms.partitions(image_terms)}


def entry_item(image: Mapping[str, Any], partition: str) -> dict[str, Any]:
    """One entry of a published image (what ``entry_items`` holds under that partition)."""
    common = _common(image, index.image_terms(image))
    return _entry(common, partition, terms.word_scores(image))


def _common(image: Mapping[str, Any], image_terms: list[str]) -> dict[str, Any]:
    image_id, popularity = str(image["imageId"]), int(image.get("popularity", 0))
    return {
        "pk": index.image_pk(image_id),
        "version": version(image),
        "terms": image_terms,
        "popularity": popularity,
        **{name: image[name] for name in index.SUMMARY_FIELDS},
        "_popularity": index.popularity_sort_key(popularity, image_id),
        "_recency": index.recency_sort_key(str(image["publishedAt"]), image_id),
    }


def _entry(common: Mapping[str, Any], partition: str, scores: Mapping[str, int]) -> dict[str, Any]:
    key = partition_key(partition)
    item = {k: v for k, v in common.items() if not k.startswith("_")}
    item.update(
        sk=entry_sk(partition),
        gsi1pk=key, gsi1sk=common["_popularity"],
        gsi2pk=key, gsi2sk=common["_recency"],
    )  # fmt: skip
    if terms.has_words(partition):
        score = relevance(scores, partition)
        item.update(gsi3pk=key, gsi3sk=f"{score:0{SCORE_DIGITS}d}#{common['_popularity']}")
    return item
