"""Lambda event filtering with moto's EventBridge pattern matcher (runtime/event_filter.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.events.exceptions import InvalidEventPatternException

from local.runtime.event_filter import matches, parse_filters, passes, sqs_filter_view

PURCHASE_INSERTS = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "PURCHASE#"}]}}},
}
"""The purchase completion mapping's filter (components/purchase_service.py)."""


@pytest.mark.parametrize(
    ("event_name", "pk", "expected"),
    [("INSERT", "PURCHASE#1", True), ("MODIFY", "PURCHASE#1", False), ("INSERT", "OFFER#1", False)],
)
def test_filter_pattern_matches_like_lambda(event_name: str, pk: str, expected: bool) -> None:
    # GIVEN a stream record
    record = {"eventName": event_name, "dynamodb": {"Keys": {"pk": {"S": pk}}}}
    # THEN the completion mapping's filter lets through only purchase inserts
    assert matches(PURCHASE_INSERTS, record) is expected


@pytest.mark.parametrize(
    ("pattern", "record", "expected"),
    [
        ({"a": [{"exists": False}]}, {"b": 1}, True),
        ({"a": [{"exists": True}]}, {"b": 1}, False),
        ({"a": [{"anything-but": ["x"]}]}, {"a": "y"}, True),
        ({"a": [{"anything-but": ["x"]}]}, {"a": "x"}, False),
        ({"a": [{"suffix": ".jpg"}]}, {"a": "photo.jpg"}, True),
        ({"a": [{"equals-ignore-case": "JPEG"}]}, {"a": "jpeg"}, True),
        ({"a": [{"numeric": [">", 10]}]}, {"a": 11}, True),
        ({"a": [{"numeric": [">", 10]}]}, {"a": 9}, False),
        ({"a": ["x"]}, {"a": ["y", "x"]}, True),
    ],
)
def test_filter_pattern_operators(
    pattern: dict[str, Any], record: dict[str, Any], expected: bool
) -> None:
    # GIVEN a pattern using one of Lambda's filter operators
    # WHEN a record is matched against it
    # THEN it matches exactly as the operator says
    assert matches(pattern, record) is expected


def test_parse_filters_reads_recorded_json_and_refuses_malformed_patterns() -> None:
    # GIVEN filter criteria as the program records them (patterns as JSON text)
    criteria = {"filters": [{"pattern": json.dumps(PURCHASE_INSERTS)}]}
    # WHEN parsed
    # THEN the pattern comes back as data
    assert parse_filters(criteria) == [PURCHASE_INSERTS]
    assert parse_filters(None) == []
    # AND a pattern AWS would refuse (a bare value instead of a list) is refused
    with pytest.raises(InvalidEventPatternException, match="must be an object or an array"):
        parse_filters({"filters": [{"pattern": json.dumps({"eventName": "INSERT"})}]})


def test_passes_without_filters_and_with_any_matching_one() -> None:
    record = {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "PURCHASE#1"}}}}
    assert passes([], record)
    assert passes([{"eventName": ["REMOVE"]}, PURCHASE_INSERTS], record)
    assert not passes([{"eventName": ["REMOVE"]}], record)


def test_sqs_filter_view_parses_a_json_body_and_keeps_any_other() -> None:
    # GIVEN SQS records with a JSON body and with plain text
    # WHEN viewed for filtering
    # THEN the JSON body is matched as data, the text one as it is
    assert sqs_filter_view({"body": '{"type": "x"}'})["body"] == {"type": "x"}
    assert sqs_filter_view({"body": "plain"})["body"] == "plain"
    assert matches({"body": {"type": ["x"]}}, sqs_filter_view({"body": '{"type": "x"}'}))
