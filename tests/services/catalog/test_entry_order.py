"""The order the indexer writes an image's search entries in: narrow (pair) entries first.

A one-term query (a tag) finds an image only once every pair query that also matches it
(that tag and a colour) does: a client that sees the image under its tag can narrow the search
at once. Withdrawal removes in the opposite order.
"""

from __future__ import annotations

from typing import Any

from services.catalog import entries, index, terms
from services.catalog.store import sync_entries
from services.contracts import schemas


class RecordingStore:
    """The calls sync_entries makes, over one image item and its present entries."""

    def __init__(self, image: dict[str, Any], present: dict[str, int | None]) -> None:
        self.image, self.present = image, present
        self.calls: list[tuple[str, str]] = []

    def get_image(self, image_id: str, consistent: bool = False) -> dict[str, Any]:
        return self.image

    def entry_versions(self, image_id: str) -> dict[str, int | None]:
        return dict(self.present)

    def put_entry(self, item: dict[str, Any]) -> None:
        self.calls.append(("put", str(item["sk"])))

    def put_new_entries(self, items: list[dict[str, Any]]) -> None:
        self.calls += [("put", str(item["sk"])) for item in items]

    def delete_entry(self, image_id: str, sk: str, up_to_version: int) -> None:
        self.calls.append(("delete", sk))


def _image(**changes: Any) -> dict[str, Any]:
    data = {**schemas.examples("image.published")[0], "revision": 1, **changes}
    return index.image_item(data, popularity=0)


def _is_pair(sk: str) -> bool:
    return terms.SEPARATOR in sk


def test_pair_entries_are_written_before_single_term_entries() -> None:
    store = RecordingStore(_image(tags=["harbour", "boats"], colours=["red", "blue"]), {})
    sync_entries(store, "any")  # type: ignore[arg-type]
    kinds = [_is_pair(sk) for _, sk in store.calls]
    assert True in kinds and False in kinds
    assert kinds == sorted(kinds, reverse=True), "a single-term entry was written before a pair"


def test_withdrawal_removes_single_term_entries_before_pairs() -> None:
    published = _image(tags=["harbour"], colours=["red"])
    present = {sk: item["version"] for sk, item in entries.entry_items(published).items()}
    tombstone = {**published, "status": "WITHDRAWN", "revision": 2}
    store = RecordingStore(tombstone, present)
    sync_entries(store, "any")  # type: ignore[arg-type]
    assert {op for op, _ in store.calls} == {"delete"}
    assert {sk for _, sk in store.calls} == set(present)
    kinds = [_is_pair(sk) for _, sk in store.calls]
    assert kinds == sorted(kinds), "a pair entry was removed while its single-term entry stayed"
