"""Search entries and term counts stay exact under duplicated, reordered and racing events."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from services.catalog import entries, index, terms
from services.catalog.store import sync_entries
from tests.services.catalog.conftest import (
    CatalogEnv,
    published,
    purchase,
    unique,
    withdrawn,
)
from tests.services.catalog.conftest import index as run_indexer


def _table_items(env: CatalogEnv) -> list[dict[str, Any]]:
    return env.table.scan()["Items"]


def _entries_of(env: CatalogEnv, image_id: str) -> dict[str, dict[str, Any]]:
    page = env.table.query(KeyConditionExpression=Key("pk").eq(f"IMAGE#{image_id}"))
    return {i["sk"]: i for i in page["Items"] if str(i["sk"]).startswith(entries.ENTRY_PREFIX)}


def _counters(env: CatalogEnv) -> dict[str, int]:
    found = {}
    for item in _table_items(env):
        if item["pk"] == index.TAGS_PK:
            found[terms.term(terms.TAG, str(item["tag"]))] = int(item["images"])
        elif item["pk"] == index.TERMS_PK:
            found[str(item["sk"])] = int(item["images"])
    return {t: n for t, n in found.items() if n}


def _expected_counters(images: list[dict[str, Any]]) -> dict[str, int]:
    counted: Counter[str] = Counter()
    for image in images:
        if image.get("status") == index.PUBLISHED:
            counted.update([terms.ALL, *index.image_terms(image)])
    return dict(counted)


def _assert_exact(env: CatalogEnv, image_ids: list[str]) -> list[dict[str, Any]]:
    """Each image's entries are exactly its stored state's; counters count published terms."""
    images = []
    for image_id in image_ids:
        image = env.table.get_item(Key={"pk": f"IMAGE#{image_id}", "sk": "IMAGE"})["Item"]
        assert _entries_of(env, image_id) == entries.entry_items(image), image_id
        images.append(image)
    assert _counters(env) == _expected_counters(images)
    return images


def _history(image_id: str, tag: str) -> list[dict[str, Any]]:
    """Publish, republish with other tags and title, two purchases, withdraw (revision 3)."""
    return [
        published(image_id, 1, title="Red kayak", tags=[tag, "lake"], labels=["Boat"]),
        published(image_id, 2, title="Blue canoes", tags=[tag, "river"], colours=["blue"]),
        purchase(image_id),
        purchase(image_id),
        withdrawn(image_id, 3),
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_entries_and_counts_exact_after_duplicates_and_reordering(
    catalog: CatalogEnv, seed: int
) -> None:
    # GIVEN two images' histories; the first is withdrawn in the end, the second is not
    rng = random.Random(seed)
    first, second, tag = unique("img-"), unique("img-"), unique("t")
    events = _history(first, tag) + _history(second, tag)[:4]
    # WHEN every event is delivered once or twice (same envelope), in a shuffled order
    delivered = events + rng.sample(events, 3)
    rng.shuffle(delivered)
    for event in delivered:
        run_indexer(catalog.indexer, event)
    # THEN the newest state won, entries are exactly that state's, counts exact
    gone, kept = _assert_exact(catalog, [first, second])
    assert gone["status"] == index.WITHDRAWN and _entries_of(catalog, first) == {}
    assert kept["revision"] == 2 and kept["popularity"] == 2
    assert entries.entry_sk(terms.pair(f"t:{tag}", "t:river")) in _entries_of(catalog, second)
    assert entries.entry_sk(terms.pair(f"t:{tag}", "t:lake")) not in _entries_of(catalog, second)


def test_a_sync_from_a_stale_state_converges_on_the_newest(
    catalog: CatalogEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN revision 2 indexed, and a writer still holding revision 1 (another tag)
    image, old, new = unique("img-"), unique("old"), unique("new")
    run_indexer(catalog.indexer, published(image, 1, tags=[old]))
    store = catalog.indexer.store
    stale = store.get_image(image, consistent=True)
    run_indexer(catalog.indexer, published(image, 2, tags=[new]))
    reads = iter([stale])
    fresh = store.get_image
    monkeypatch.setattr(
        store, "get_image", lambda i, consistent=False: next(reads, None) or fresh(i, consistent)
    )
    # WHEN the stale writer converges the entries (it puts revision 1's entries back)
    writes = sync_entries(store, image)
    # THEN it notices the newer image and removes what it wrote: exactly revision 2's entries
    assert writes > 0
    assert f"E#t:{old}" not in _entries_of(catalog, image)
    _assert_exact(catalog, [image])


def test_withdrawal_before_publication_leaves_no_entry_and_no_count(catalog: CatalogEnv) -> None:
    image, tag = unique("img-"), unique("t")
    run_indexer(catalog.indexer, withdrawn(image, 2), published(image, 1, tags=[tag]))
    assert _entries_of(catalog, image) == {}
    assert _counters(catalog) == {}
