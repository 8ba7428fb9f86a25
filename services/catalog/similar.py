"""``GET /images/{id}/similar``: images sharing the image's tags, closest palette first.

No model: an image is similar when it shares tags (and, failing tags, words: labels, title)
and looks alike in colour. The plan reads the image, its tags' counts, and one partition: the
indexed pair of its tags (or one tag) expected to hold just enough images for a page (the
rarer the shared tags, the closer the match). Those are ranked by palette
distance (then shared terms). Withdrawn images have no entries, so they never appear.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

from boto3.dynamodb.conditions import Key

from services.catalog import entries, index, terms
from services.catalog.search import summary
from services.catalog.store import CatalogStore

MAX_CANDIDATES = 5
"""Terms of the image whose counts are read to choose the partition (its first tags)."""
PALETTE_COLOURS = 3
"""Dominant colours compared."""


def similar_images(store: CatalogStore, image_id: str, limit: int) -> list[dict[str, Any]] | None:
    """Up to ``limit`` published images like ``image_id``; None when it is not published."""
    image = store.get_image(image_id)
    if image is None or image.get("status") != index.PUBLISHED:
        return None
    own = index.image_terms(image)
    shared = [terms.term(terms.TAG, t) for t in image.get("tags") or ()]
    if len(shared) < 2:
        shared += [t for t in own if terms.kind(t) == terms.WORD]
    shared = shared[:MAX_CANDIDATES]
    if not shared:
        return []
    partition = choose_partition(shared, store.term_counts([*shared, terms.ALL]), limit + 1)
    items, _ = store.query_page(
        IndexName="gsi1",
        KeyConditionExpression=Key("gsi1pk").eq(entries.partition_key(partition)),
        ScanIndexForward=False,
        Limit=limit + 1,  # the image itself is in the partition too
    )
    others = [item for item in items if item["imageId"] != image_id]
    ranked = sorted(others, key=lambda item: rank(image, own, item))
    return [summary(item) for item in ranked[:limit]]


def choose_partition(candidates: list[str], counts: Mapping[str, int], wanted: int) -> str:
    """The most specific partition (pair or term) expected to hold ``wanted`` images."""
    total = max(counts[terms.ALL], 1)
    options = {t: float(counts[t]) for t in candidates}
    for a, b in combinations(candidates, 2):
        if terms.pairable(a, b):
            options[terms.pair(a, b)] = min(counts[a] * counts[b] / total, counts[a], counts[b])
    enough = [p for p, n in options.items() if n >= wanted]
    if enough:
        return min(enough, key=lambda p: (options[p], p))
    return max(options, key=lambda p: (options[p], p))


def rank(image: Mapping[str, Any], own: Sequence[str], other: Mapping[str, Any]) -> tuple:
    """Sort key: closer palette first, then more shared terms, then id (stable)."""
    common = len(set(own) & set(other.get("terms") or ()))
    distance = palette_distance(image.get("palette") or [], other.get("palette") or [])
    return (round(distance, 3), -common, str(other["imageId"]))


def palette_distance(a: Sequence[str], b: Sequence[str]) -> float:
    """Mean distance (RGB) from each dominant colour of ``a`` to the nearest of ``b``'s."""
    ours, theirs = _rgb(a[:PALETTE_COLOURS]), _rgb(b[:PALETTE_COLOURS])
    if not ours or not theirs:
        return math.inf
    return sum(min(math.dist(c, d) for d in theirs) for c in ours) / len(ours)


def _rgb(palette: Sequence[str]) -> list[tuple[int, int, int]]:
    return [(int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)) for h in palette]
