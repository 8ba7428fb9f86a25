from __future__ import annotations

import json
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from services.catalog import entries
from services.catalog import index as layout
from services.catalog.store import apply_event
from tests.services.catalog.conftest import (
    CatalogEnv,
    index,
    published,
    purchase,
    unique,
    withdrawn,
)
from tests.services.factories import LambdaContext, sqs_event


@pytest.fixture
def env(catalog: CatalogEnv) -> CatalogEnv:
    return catalog


def _items(env: CatalogEnv, image_id: str) -> dict[str, dict[str, Any]]:
    """Every item of one image, by sort key."""
    page = env.table.query(KeyConditionExpression=Key("pk").eq(f"IMAGE#{image_id}"))
    return {item["sk"]: item for item in page["Items"]}


def _listed(env: CatalogEnv, tag: str) -> list[str]:
    condition = Key("gsi2pk").eq(f"IX#t:{tag}")
    page = env.table.query(IndexName="gsi2", KeyConditionExpression=condition)
    return sorted(item["imageId"] for item in page["Items"])


def _in_all_images(env: CatalogEnv, image_id: str) -> bool:
    return "E#*" in _items(env, image_id)


def _entries(items: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {sk: item for sk, item in items.items() if sk.startswith("E#")}


def _assert_entries_exact(env: CatalogEnv, image_id: str) -> dict[str, dict[str, Any]]:
    """The image's search entries are exactly those its image item calls for."""
    items = _items(env, image_id)
    expected = entries.entry_items(items["IMAGE"]) if "IMAGE" in items else {}
    assert _entries(items) == expected
    return items


def _tag_count(env: CatalogEnv, tag: str) -> int:
    item = env.table.get_item(Key={"pk": "TAGS", "sk": f"TAG#{tag}"}).get("Item") or {}
    return int(item.get("images", 0))


def test_indexer_published_image_is_listed_under_each_tag_and_all(env: CatalogEnv) -> None:
    # GIVEN an image published with two tags
    image, kayak, lake = unique("img-"), unique("kayak"), unique("lake")
    index(env.indexer, published(image, tags=[kayak, lake], colours=["red"]))
    # THEN it has its image item and entries for each tag, the tag pair and all images
    items = _assert_entries_exact(env, image)
    assert {"IMAGE", "E#*", f"E#t:{kayak}", f"E#t:{lake}", f"E#t:{kayak}+t:{lake}"} <= set(items)
    assert items["IMAGE"]["status"] == "PUBLISHED"
    assert "licensedKey" not in items["IMAGE"]  # purchase's claim check stays out of the catalog
    listing = items[f"E#t:{kayak}"]
    assert listing["gsi1pk"] == listing["gsi2pk"] == f"IX#t:{kayak}"
    assert listing["gsi1sk"] == f"0000000000#{image}"
    assert listing["gsi2sk"] == f"2026-11-23T15:00:00.000Z#{image}"
    assert _listed(env, kayak) == _listed(env, lake) == [image]
    assert _tag_count(env, kayak) == _tag_count(env, lake) == 1


def test_indexer_newer_revision_replaces_tags(env: CatalogEnv) -> None:
    # GIVEN an image published with tags kayak, lake
    image, kayak, lake, river = unique("img-"), unique("k"), unique("l"), unique("r")
    index(env.indexer, published(image, 1, tags=[kayak, lake]))
    # WHEN revision 2 drops lake and adds river
    index(env.indexer, published(image, 2, tags=[kayak, river], title="Renamed"))
    # THEN listings and tag counts follow the newest revision
    items = _assert_entries_exact(env, image)
    assert f"E#t:{lake}" not in items and f"E#t:{river}" in items
    assert items[f"E#t:{kayak}"]["title"] == "Renamed"
    assert (_tag_count(env, lake), _tag_count(env, river), _tag_count(env, kayak)) == (0, 1, 1)


def test_indexer_older_revision_after_newer_is_ignored(env: CatalogEnv) -> None:
    # GIVEN revision 3 indexed
    image, new, old = unique("img-"), unique("new"), unique("old")
    index(env.indexer, published(image, 3, title="Newest", tags=[new]))
    # WHEN revision 2 arrives late
    index(env.indexer, published(image, 2, title="Older", tags=[old]))
    # THEN the newest state stays
    items = _assert_entries_exact(env, image)
    assert items["IMAGE"]["title"] == "Newest"
    assert f"E#t:{old}" not in items
    assert _tag_count(env, old) == 0


def test_indexer_withdrawn_disappears_from_every_listing(env: CatalogEnv) -> None:
    # GIVEN two published images sharing a tag
    first, second, kayak, lake = unique("img-"), unique("img-"), unique("k"), unique("l")
    index(env.indexer, published(first, tags=[kayak, lake]), published(second, tags=[lake]))
    # WHEN the first is withdrawn
    index(env.indexer, withdrawn(first, 2))
    # THEN it is in no listing, its tag counts drop, a tombstone remains
    assert _listed(env, lake) == [second]
    assert _listed(env, kayak) == []
    assert not _in_all_images(env, first) and _in_all_images(env, second)
    assert set(_items(env, first)) == {"IMAGE"}
    assert _items(env, first)["IMAGE"]["status"] == "WITHDRAWN"
    assert (_tag_count(env, kayak), _tag_count(env, lake)) == (0, 1)


def test_indexer_late_older_published_does_not_resurrect_withdrawn(env: CatalogEnv) -> None:
    # GIVEN the withdrawal (revision 2) arrives before the publication (revision 1)
    image, kayak = unique("img-"), unique("k")
    index(env.indexer, withdrawn(image, 2))
    # WHEN the older publication arrives
    index(env.indexer, published(image, 1, tags=[kayak]))
    # THEN the image stays withdrawn and unlisted
    assert _items(env, image)["IMAGE"]["status"] == "WITHDRAWN"
    assert not _in_all_images(env, image)
    assert _tag_count(env, kayak) == 0


def test_indexer_withdrawal_at_same_revision_wins(env: CatalogEnv) -> None:
    # GIVEN an image published at revision 2, WHEN a withdrawal with the same revision arrives
    image = unique("img-")
    index(env.indexer, published(image, 2), withdrawn(image, 2))
    # THEN the withdrawal is not lost
    assert _items(env, image)["IMAGE"]["status"] == "WITHDRAWN"


def test_indexer_purchase_increments_popularity_in_listings(env: CatalogEnv) -> None:
    # GIVEN a published image
    image, kayak = unique("img-"), unique("k")
    index(env.indexer, published(image, tags=[kayak]))
    # WHEN two purchases complete
    index(env.indexer, purchase(image), purchase(image))
    # THEN popularity is 2 on the counter, the image and every entry's sort key
    items = _assert_entries_exact(env, image)
    assert items["POPULARITY"]["purchases"] == 2
    assert items["IMAGE"]["popularity"] == 2
    assert {item["gsi1sk"] for item in _entries(items).values()} == {f"0000000002#{image}"}


def test_indexer_purchase_before_image_is_kept(env: CatalogEnv) -> None:
    # GIVEN a purchase of an image not indexed yet
    image, kayak = unique("img-"), unique("k")
    index(env.indexer, purchase(image))
    # WHEN the image is published
    index(env.indexer, published(image, tags=[kayak]))
    # THEN the purchase counts in its popularity
    items = _assert_entries_exact(env, image)
    assert items["IMAGE"]["popularity"] == 1
    assert items[f"E#t:{kayak}"]["gsi1sk"] == f"0000000001#{image}"


def test_indexer_duplicate_envelope_processed_once(env: CatalogEnv) -> None:
    # GIVEN a published image and one purchase event delivered three times (new SQS ids)
    image = unique("img-")
    index(env.indexer, published(image))
    event = purchase(image)
    # WHEN the copies arrive in one batch and again later
    index(env.indexer, event, event)
    index(env.indexer, event)
    # THEN it counts once, and an idempotency record for the envelope is in the table
    assert _items(env, image)["POPULARITY"]["purchases"] == 1
    records = [i for i in env.table.scan()["Items"] if i["pk"].startswith("idempotency#")]
    assert records and all(r["status"] == "COMPLETED" for r in records)


def test_indexer_same_purchase_in_new_envelope_counted_once(env: CatalogEnv) -> None:
    # GIVEN the producer re-published the same purchase under a new event id
    image = unique("img-")
    index(env.indexer, published(image))
    first, second = purchase(image, "p-1"), purchase(image, "p-1")
    assert first["id"] != second["id"]
    # WHEN both arrive
    index(env.indexer, first, second)
    # THEN the purchase id guard counts it once
    assert _items(env, image)["POPULARITY"]["purchases"] == 1


def test_indexer_bad_record_in_batch_of_ten_fails_alone(env: CatalogEnv) -> None:
    # GIVEN nine good events and one with a string price, in one batch
    tag = unique("batch")
    bad = published(unique("img-"), tags=[tag])
    bad["data"]["priceCents"] = "12.00"
    bodies = [published(unique("img-"), tags=[tag]) for _ in range(9)]
    event = sqs_event(*bodies[:4], bad, *bodies[4:])
    # WHEN the batch is processed
    response = env.indexer.lambda_handler(event, LambdaContext())
    # THEN only the bad record is reported failed and the nine others are indexed
    bad_id = event["Records"][4]["messageId"]
    assert response["batchItemFailures"] == [{"itemIdentifier": bad_id}]
    assert len(_listed(env, tag)) == 9


def test_indexer_unparseable_body_fails_alone(env: CatalogEnv) -> None:
    # GIVEN a record that is not JSON beside a good one
    event = sqs_event("not json", published(unique("img-")))
    # WHEN / THEN only the garbage fails
    response = env.indexer.lambda_handler(event, LambdaContext())
    assert response["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]


def test_indexer_acknowledges_types_it_does_not_index(env: CatalogEnv) -> None:
    # GIVEN an image.rejected event (not in catalog's filter policy, but tolerated)
    image = unique("img-")
    event = json.loads(json.dumps(published("x")))
    data = {"imageId": image, "revision": 1, "photographerId": "p", "reason": "Too small."}
    event.update(type="image.rejected", data=data)
    # WHEN / THEN it succeeds without writing anything
    index(env.indexer, event)
    assert _items(env, image) == {}


def test_indexer_writes_state_in_one_transaction_per_event(env: CatalogEnv) -> None:
    # GIVEN a counter of the indexer's own DynamoDB write calls
    calls: list[str] = []
    writes = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

    def count(model: Any, **_: Any) -> None:
        if model.name in writes:
            calls.append(model.name)

    events = env.indexer.store.client.meta.events
    events.register("before-call.dynamodb.*", count)
    # WHEN a publication with 5 tags, a republication, a purchase and a withdrawal are indexed
    image = unique("img-")
    first = published(image, 1, tags=[unique() for _ in range(5)])
    try:
        index(env.indexer, first, published(image, 2), purchase(image), withdrawn(image, 3))
    finally:
        events.unregister("before-call.dynamodb.*", count)
    # THEN each took exactly one transaction (image, counters); the rest are entry writes:
    # new entries in batches (~160 of them in 7 requests), changed ones one by one
    assert calls.count("TransactWriteItems") == 4
    assert set(calls) == {"TransactWriteItems", "BatchWriteItem", "PutItem", "DeleteItem"}
    assert calls.count("BatchWriteItem") < calls.count("PutItem") + calls.count("DeleteItem")
    _assert_entries_exact(env, image)


def test_apply_event_replans_after_concurrent_change(
    env: CatalogEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an image whose state is read, then changed by another writer before our write
    image = unique("img-")
    index(env.indexer, published(image))
    store = env.indexer.store
    stale = store.read_state(image)
    apply_event(store, "purchase.completed", purchase(image)["data"])
    reads = iter([stale])
    fresh = store.read_state
    monkeypatch.setattr(store, "read_state", lambda image_id: next(reads, None) or fresh(image_id))
    # WHEN our purchase is applied from the stale state first
    outcome = apply_event(store, "purchase.completed", purchase(image)["data"])
    # THEN the conditional write fails, the event is re-planned, and both purchases count
    assert outcome == "applied"
    assert _items(env, image)["IMAGE"]["popularity"] == 2


def test_plan_published_with_all_tags_replaced_fits_one_transaction() -> None:
    # GIVEN an image with 20 tags and 16 words, republished with every term different
    old_terms = {
        "tags": [f"a{n}" for n in range(20)],
        "title": " ".join(map("x{}".format, range(16))),
    }
    colours = {"colours": ["red", "blue", "green"], "width": 600, "height": 400}
    old = layout.image_item(published("img-1", 1, **old_terms, **colours)["data"], 3)
    state = layout.ImageState("img-1", old, purchases=3)
    data = published(
        "img-1", 2, tags=[f"b{n}" for n in range(20)], title=" ".join(f"y{n}" for n in range(16)),
        colours=["grey", "white", "black"], width=400, height=600,
    )["data"]  # fmt: skip
    # WHEN the write is planned
    plan = layout.plan_published("t", state, data)
    # THEN it is within DynamoDB's 100 items per transaction
    assert 70 <= len(plan) <= layout.MAX_TRANSACTION_ITEMS


def test_plan_published_older_revision_plans_nothing() -> None:
    # GIVEN a tombstone at revision 5
    tombstone = {"pk": "IMAGE#i", "sk": "IMAGE", "status": "WITHDRAWN", "revision": 5}
    state = layout.ImageState("i", tombstone)
    # WHEN revision 4 is planned / THEN nothing is written
    assert layout.plan_published("t", state, published("i", 4)["data"]) == []
