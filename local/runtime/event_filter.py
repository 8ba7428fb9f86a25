"""Lambda event filtering (``filterCriteria``) with moto's EventBridge pattern matcher.

Lambda filters event source records with EventBridge's pattern grammar (exact values,
``prefix``, ``suffix``, ``anything-but``, ``exists``, ``numeric``, ``equals-ignore-case``, ...).
moto ships that matcher for EventBridge rules (``moto.events.models.EventPattern``), and its
parser refuses malformed patterns (an empty list, a bare value) the way AWS does; the local
runtime uses it rather than a grammar of its own.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from moto.events.models import EventPattern


def compile_pattern(pattern: Mapping[str, Any]) -> EventPattern:
    """The pattern, validated (moto's ``InvalidEventPatternException`` names what is wrong)."""
    return EventPattern.load(json.dumps(pattern))


def matches(pattern: Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    """Does ``record`` match the filter ``pattern``?"""
    event: Any = dict(record)  # moto types it as its own event shape; any mapping works
    return bool(compile_pattern(pattern).matches_event(event))


def parse_filters(filter_criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The recorded ``filterCriteria.filters[].pattern`` (JSON text) as dicts, validated."""
    patterns = []
    for entry in (filter_criteria or {}).get("filters") or []:
        pattern = entry.get("pattern")
        parsed = json.loads(pattern) if isinstance(pattern, str) else dict(pattern or {})
        compile_pattern(parsed)
        patterns.append(parsed)
    return patterns


def passes(filters: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """No filters: everything passes; otherwise any one pattern must match."""
    return not filters or any(matches(p, record) for p in filters)


def sqs_filter_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """Lambda matches SQS filters against the record with a JSON body parsed."""
    view = dict(record)
    with contextlib.suppress(TypeError, ValueError):
        view["body"] = json.loads(record.get("body", ""))
    return view
