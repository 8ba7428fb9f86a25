"""The shared pagination cursor: round trip, scope binding, every forgery an InvalidCursor."""

from __future__ import annotations

import base64
import json

import pytest

from services.common import cursor as cursors
from services.common.cursor import InvalidCursor

KEY = {"pk": "P#1", "sk": "S", "gsi1pk": "OWNER#alice", "gsi1sk": "2026-01-01"}
FIELDS = set(KEY)


def _unwrapped(cursor: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))  # type: ignore[no-any-return]


def _wrapped(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_cursor_round_trips_its_position_in_its_scope() -> None:
    # GIVEN a cursor issued for alice's listing
    cursor = cursors.encode({"k": KEY, "t": "lake"}, scope="OWNER#alice")
    # WHEN it is decoded in the same scope
    position = cursors.decode(cursor, scope="OWNER#alice")
    # THEN the position comes back, URL-safe and unpadded on the way
    assert position == {"k": KEY, "t": "lake"}
    assert cursors.start_key(position, FIELDS, {"gsi1pk": "OWNER#alice"}) == KEY
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_cursor_of_another_scope_is_refused() -> None:
    cursor = cursors.encode({"k": KEY}, scope="OWNER#alice")
    with pytest.raises(InvalidCursor, match="does not belong to this query"):
        cursors.decode(cursor, scope="OWNER#bob")


def test_edited_cursor_is_refused_as_modified() -> None:
    # GIVEN a cursor whose scope was edited to bob's without fixing the checksum
    wrapped = _unwrapped(cursors.encode({"k": KEY}, scope="OWNER#alice"))
    wrapped["p"]["q"] = "OWNER#bob"  # type: ignore[index]
    # WHEN / THEN
    with pytest.raises(InvalidCursor, match="cursor was modified"):
        cursors.decode(_wrapped(wrapped), scope="OWNER#bob")


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        ("garbage!", "not a cursor this API issued"),
        ("e30", "not a cursor this API issued"),  # {}
        (_wrapped(KEY), "not a cursor this API issued"),  # a bare start key, the old format
        (_wrapped({"p": {}, "c": "0"}), "cursor was modified"),
        ("x" * 3000, "too long"),
    ],
)
def test_garbage_is_an_invalid_cursor_naming_the_problem(cursor: str, message: str) -> None:
    with pytest.raises(InvalidCursor, match=message):
        cursors.decode(cursor, scope="OWNER#alice")


@pytest.mark.parametrize(
    "key",
    [
        {**KEY, "extra": "x"},
        {name: KEY[name] for name in ("pk", "sk", "gsi1pk")},
        {**KEY, "pk": 7},
        {**KEY, "pk": ""},
        {**KEY, "pk": "x" * 513},
        {**KEY, "gsi1pk": "OWNER#bob"},
        "not a key",
    ],
)
def test_start_key_of_the_wrong_shape_or_partition_is_refused(key: object) -> None:
    # GIVEN a well-checksummed cursor in alice's scope whose key is not alice's index key
    position = cursors.decode(cursors.encode({"k": key}, scope="OWNER#alice"), "OWNER#alice")
    # WHEN / THEN
    with pytest.raises(InvalidCursor, match="malformed"):
        cursors.start_key(position, FIELDS, {"gsi1pk": "OWNER#alice"})


def test_fingerprint_depends_on_the_query_not_on_argument_order() -> None:
    assert cursors.fingerprint(tags=["a"], sort="new") == cursors.fingerprint(
        sort="new", tags=["a"]
    )
    assert cursors.fingerprint(tags=["a"], sort="new") != cursors.fingerprint(
        tags=["b"], sort="new"
    )
