from __future__ import annotations

import base64
import json
from types import ModuleType

import pytest

from tests.services.catalog.conftest import (
    CatalogEnv,
    get,
    index,
    published,
    purchase,
    withdrawn,
)


def _index_five_images(indexer: ModuleType) -> None:
    """Five images: tags, colours, publication times and popularity differ."""
    index(
        indexer,
        published("img-a", tags=["kayak", "lake"], colours=["red", "blue"],
                  publishedAt="2026-01-01T10:00:00Z"),
        published("img-b", tags=["lake"], colours=["blue"], publishedAt="2026-01-02T10:00:00Z"),
        published("img-c", tags=["kayak", "lake", "summer"], colours=["red"],
                  publishedAt="2026-01-03T10:00:00+00:00"),
        published("img-d", tags=["city"], colours=["grey"], publishedAt="2026-01-04T10:00:00Z"),
        published("img-e", tags=["lake", "summer"], colours=["green"],
                  publishedAt="2026-01-05T10:00:00.5Z"),
    )  # fmt: skip
    index(indexer, purchase("img-b"), purchase("img-b"), purchase("img-b"), purchase("img-d"))


@pytest.fixture(scope="module")
def shared(catalog_env: CatalogEnv) -> ModuleType:
    """The five images, indexed once for this module's read-only tests: the API module."""
    _index_five_images(catalog_env.indexer)
    return catalog_env.api


@pytest.fixture
def fresh(catalog: CatalogEnv) -> CatalogEnv:
    """The five images in a table of this test's own, for tests that change them."""
    _index_five_images(catalog.indexer)
    return catalog


def _ids(body: dict) -> list[str]:
    return [item["imageId"] for item in body["items"]]


def test_api_lists_all_images_newest_first_with_cache_header(shared: ModuleType) -> None:
    # WHEN every image is listed
    response = get(shared, "/images")
    # THEN newest first, cacheable briefly, last page has no cursor
    assert response.status == 200
    assert _ids(response.body) == ["img-e", "img-d", "img-c", "img-b", "img-a"]
    assert response.headers["Cache-Control"] == "public, max-age=30"
    assert response.body["cursor"] is None


def test_api_sorts_by_popularity(shared: ModuleType) -> None:
    response = get(shared, "/images", sort="popularity", limit="2")
    assert _ids(response.body) == ["img-b", "img-d"]
    assert [i["popularity"] for i in response.body["items"]] == [3, 1]


def test_api_all_tags_must_match(shared: ModuleType) -> None:
    # WHEN two tags are asked for (HTTP API joins repeated parameters with commas)
    response = get(shared, "/images", tag="lake,summer")
    # THEN only images with both
    assert _ids(response.body) == ["img-e", "img-c"]


def test_api_tags_are_case_insensitive(shared: ModuleType) -> None:
    assert _ids(get(shared, "/images", tag="KAYAK").body) == ["img-c", "img-a"]


def test_api_filters_by_colour_and_tag(shared: ModuleType) -> None:
    assert _ids(get(shared, "/images", colour="red").body) == ["img-c", "img-a"]
    assert _ids(get(shared, "/images", colour="Blue", tag="lake").body) == ["img-b", "img-a"]


def test_api_unknown_tag_is_empty(shared: ModuleType) -> None:
    response = get(shared, "/images", tag="lake,volcano")
    assert (response.status, response.body) == (200, {"items": [], "cursor": None})


def test_api_withdrawn_image_is_not_listed(fresh: CatalogEnv) -> None:
    # GIVEN img-c withdrawn
    index(fresh.indexer, withdrawn("img-c", 2))
    # THEN no listing shows it
    for query in ({}, {"tag": "kayak"}, {"tag": "summer"}, {"sort": "popularity"}):
        assert "img-c" not in _ids(get(fresh.api, "/images", **query).body), query


@pytest.mark.parametrize(
    "query",
    [{}, {"sort": "popularity"}, {"tag": "lake"}, {"colour": "blue"}, {"tag": "lake,summer"}],
)
def test_api_pages_cover_listing_exactly_once(shared: ModuleType, query: dict) -> None:
    # GIVEN the full listing in one page
    expected = _ids(get(shared, "/images", **query).body)
    # WHEN it is read two at a time following cursors
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = get(shared, "/images", limit="2", **query, **({"cursor": cursor} if cursor else {}))
        assert page.status == 200
        seen += _ids(page.body)
        cursor = page.body["cursor"]
        if cursor is None:
            break
    # THEN the pages hold the same images, in order, none twice
    assert seen == expected


def _first_cursor(api: ModuleType, **query: str) -> str:
    cursor = get(api, "/images", limit="1", **query).body["cursor"]
    assert cursor
    return cursor


def test_api_tampered_cursor_is_400(shared: ModuleType) -> None:
    # GIVEN a cursor whose position was edited
    cursor = _first_cursor(shared)
    wrapped = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    wrapped["p"]["k"]["gsi2sk"] = "9999#img-z"
    forged = base64.urlsafe_b64encode(json.dumps(wrapped).encode()).decode().rstrip("=")
    # WHEN / THEN it is refused, naming the parameter
    response = get(shared, "/images", limit="1", cursor=forged)
    assert response.status == 400
    assert response.body["message"] == "query.cursor: cursor was modified"


@pytest.mark.parametrize("cursor", ["garbage!", "e30", "x" * 3000, "bm90IGpzb24"])
def test_api_garbage_cursor_is_400(shared: ModuleType, cursor: str) -> None:
    response = get(shared, "/images", cursor=cursor)
    assert response.status == 400
    assert response.body["message"].startswith("query.cursor")


def test_api_cursor_of_other_query_is_400(shared: ModuleType) -> None:
    # GIVEN a cursor issued for tag=lake
    cursor = _first_cursor(shared, tag="lake")
    # WHEN it is reused with other filters or another sort / THEN 400
    for query in ({"tag": "kayak"}, {"tag": "lake", "sort": "popularity"}, {"colour": "red"}):
        response = get(shared, "/images", cursor=cursor, **query)
        assert response.status == 400, query
        assert "query.cursor" in response.body["message"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"limit": "0"}, "query.limit"),
        ({"limit": "101"}, "query.limit"),
        ({"limit": "ten"}, "query.limit"),
        ({"sort": "price"}, "query.sort"),
        ({"colour": "#ff0000"}, "query.colour"),
        ({"tag": "a,b,c,d,e,f"}, "query.tag"),
        ({"tag": "sun$et"}, "query.tag"),
        ({"tag": ""}, "query.tag"),
    ],
)
def test_api_bad_query_parameter_is_400_naming_it(
    shared: ModuleType, query: dict[str, str], named: str
) -> None:
    response = get(shared, "/images", **query)
    assert response.status == 400
    assert response.body["message"].startswith(named), response.body


def test_api_get_image_details(shared: ModuleType) -> None:
    response = get(shared, "/images/img-b")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.body["imageId"] == "img-b"
    assert response.body["popularity"] == 3
    assert response.body["labels"] == ["boat", "water"]
    assert "licensedKey" not in response.body and "photographerId" not in response.body


def test_api_get_unknown_image_is_404(shared: ModuleType) -> None:
    response = get(shared, "/images/nope")
    assert response.status == 404
    assert response.body["message"] == "image nope not found"


def test_api_get_withdrawn_image_is_404(fresh: CatalogEnv) -> None:
    assert get(fresh.api, "/images/img-a").status == 200
    index(fresh.indexer, withdrawn("img-a", 2))
    assert get(fresh.api, "/images/img-a").status == 404


def test_api_tags_most_used_first(fresh: CatalogEnv) -> None:
    # GIVEN img-e withdrawn (lake 4 -> 3, summer 2 -> 1)
    index(fresh.indexer, withdrawn("img-e", 2))
    # WHEN the top tags are asked for
    response = get(fresh.api, "/tags", limit="3")
    # THEN counted over published images, most used first, ties by name
    assert response.status == 200
    assert response.body["tags"] == [
        {"tag": "lake", "count": 3}, {"tag": "kayak", "count": 2}, {"tag": "city", "count": 1},
    ]  # fmt: skip
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_api_tags_limit_is_validated(shared: ModuleType) -> None:
    response = get(shared, "/tags", limit="-1")
    assert response.status == 400
    assert response.body["message"].startswith("query.limit")


def test_api_unknown_colour_is_a_400_naming_the_vocabulary(shared: ModuleType) -> None:
    response = get(shared, "/images", colour="reddish")
    assert response.status == 400
    assert "query.colour must be one of red, orange" in response.body["message"]


def test_colour_vocabulary_is_the_pipelines() -> None:
    from services.contracts.colours import COLOUR_NAMES
    from services.upload.pipeline.colour_names import COLOUR_NAMES as PIPELINE_NAMES

    assert set(PIPELINE_NAMES) == set(COLOUR_NAMES)
