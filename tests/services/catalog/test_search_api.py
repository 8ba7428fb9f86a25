"""GET /images with q, orientation, sizes and relevance; GET /images/{id}/similar."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.services.catalog.conftest import CatalogEnv, get, index, published, withdrawn


def _index_gallery(indexer: ModuleType) -> None:
    """Six images whose titles, labels, sizes and palettes differ."""
    index(
        indexer,
        published("s-kayak", title="Red kayak on a calm lake", tags=["kayak", "lake"],
                  labels=["Boat", "Water"], colours=["red", "blue"], palette=["#c0392b", "#2e86c1"],
                  width=6000, height=4000, publishedAt="2026-01-01T10:00:00Z"),
        published("s-canoe", title="Canoes at dawn", tags=["lake", "kayak"], labels=["Boat"],
                  colours=["blue", "red"], palette=["#1a5276", "#e74c3c"], width=4000,
                  height=6000, publishedAt="2026-01-02T10:00:00Z"),
        published("s-creme", title="Crème Brûlée", tags=["dessert"], labels=["Food"],
                  colours=["yellow"], palette=["#f1c40f"], width=3000, height=3000,
                  publishedAt="2026-01-03T10:00:00Z"),
        published("s-cars", title="Red cars in the city", tags=["city"], labels=["Vehicle"],
                  colours=["grey", "black", "white", "red"], palette=["#888888"], width=1200,
                  height=800, publishedAt="2026-01-04T10:00:00Z"),
        published("s-boats", title="Harbour", tags=["kayak", "lake"], labels=["Kayaks"],
                  colours=["red", "blue"], palette=["#c0392c", "#2e86c2"], width=5000,
                  height=3000, publishedAt="2026-01-05T10:00:00Z"),
        published("s-berries", title="Berries", tags=["fruit"], labels=["Red"],
                  colours=["purple"], palette=["#8e44ad"], width=800, height=600,
                  publishedAt="2026-01-06T10:00:00Z"),
    )  # fmt: skip


@pytest.fixture(scope="module")
def api(catalog_env: CatalogEnv) -> ModuleType:
    _index_gallery(catalog_env.indexer)
    return catalog_env.api


def _ids(api: ModuleType, path: str = "/images", **query: str) -> list[str]:
    response = get(api, path, **query)
    assert response.status == 200, response.body
    return [item["imageId"] for item in response.body["items"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("creme", {"s-creme"}),  # accents ignored
        ("BRÛLÉE ", {"s-creme"}),  # case ignored
        ("car ", {"s-cars"}),  # plural folded: "cars" is found by "car"
        ("berry ", {"s-berries"}),
        ("kayaks ", {"s-kayak", "s-canoe", "s-boats"}),  # title, tag or label
        ("boat ", {"s-kayak", "s-canoe"}),  # a label
        ("red kayak ", {"s-kayak"}),  # every word must match
        ("kay", {"s-kayak", "s-canoe", "s-boats"}),  # the last word is a prefix
        ("kay ", set()),  # ...unless q ends with a space
        ("zebra", set()),
    ],
)
def test_search_q_matches_title_tags_and_labels(api: ModuleType, q: str, expected: set) -> None:
    assert set(_ids(api, q=q)) == expected


def test_search_relevance_ranks_title_words_first(api: ModuleType) -> None:
    # "red" is in two titles (weight 3), one label (weight 1)
    ids = _ids(api, q="red ")
    assert set(ids) == {"s-kayak", "s-cars", "s-berries"}
    assert ids[-1] == "s-berries"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"orientation": "landscape"}, {"s-kayak", "s-cars", "s-boats", "s-berries"}),
        ({"orientation": "portrait"}, {"s-canoe"}),
        ({"orientation": "square"}, {"s-creme"}),
        ({"tag": "kayak", "orientation": "landscape"}, {"s-kayak", "s-boats"}),
        ({"minWidth": "4000"}, {"s-kayak", "s-canoe", "s-boats"}),
        ({"minWidth": "4000", "minHeight": "4000"}, {"s-kayak", "s-canoe"}),
        ({"colour": "red"}, {"s-kayak", "s-canoe", "s-boats"}),  # 4th colour of s-cars: no
        ({"q": "lake", "colour": "blue", "tag": "kayak"}, {"s-kayak", "s-canoe", "s-boats"}),
    ],
)
def test_search_filters(api: ModuleType, query: dict[str, str], expected: set) -> None:
    assert set(_ids(api, **query)) == expected


@pytest.mark.parametrize(
    "query",
    [{"q": "kayak"}, {"q": "red"}, {"colour": "red", "sort": "popularity"},
     {"orientation": "landscape"}, {"q": "lake", "minWidth": "3000"}],
)  # fmt: skip
def test_search_pages_cover_results_exactly_once(api: ModuleType, query: dict) -> None:
    expected = _ids(api, **query)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = get(api, "/images", limit="1", **query, **({"cursor": cursor} if cursor else {}))
        assert page.status == 200, page.body
        seen += [item["imageId"] for item in page.body["items"]]
        cursor = page.body["cursor"]
        if cursor is None:
            break
    assert seen == expected


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"sort": "relevance"}, "query.sort"),
        ({"orientation": "diagonal"}, "query.orientation"),
        ({"minWidth": "0"}, "query.minWidth"),
        ({"minHeight": "tall"}, "query.minHeight"),
        ({"q": " ".join(f"w{n}" for n in range(11))}, "query.q"),
        ({"q": "x" * 201}, "query.q"),
    ],
)
def test_search_bad_parameter_is_400_naming_it(
    api: ModuleType, query: dict[str, str], named: str
) -> None:
    response = get(api, "/images", **query)
    assert response.status == 400
    assert response.body["message"].startswith(named), response.body


def test_similar_shares_tags_closest_palette_first(api: ModuleType) -> None:
    # both share its tags; s-boats has nearly its palette, s-canoe darker blue and lighter red
    assert _ids(api, "/images/s-kayak/similar") == ["s-boats", "s-canoe"]


def test_similar_of_unknown_image_is_404(api: ModuleType) -> None:
    assert get(api, "/images/nope/similar").status == 404


def test_similar_never_shows_withdrawn_images(catalog: CatalogEnv) -> None:
    # GIVEN the gallery, WHEN s-boats is withdrawn
    _index_gallery(catalog.indexer)
    index(catalog.indexer, withdrawn("s-boats", 2))
    # THEN it is similar to nothing and has no similar images of its own
    assert _ids(catalog.api, "/images/s-kayak/similar") == ["s-canoe"]
    assert get(catalog.api, "/images/s-boats/similar").status == 404
    assert "s-boats" not in _ids(catalog.api, q="kayak")
