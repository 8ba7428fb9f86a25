"""JSON Schemas (draft-07) of the envelope and of each event type's ``data``.

One file per event type, ``<type>.json``, each with ``examples`` that the contract tests
validate. Validation uses fastjsonschema, the engine behind Powertools' validation utility;
Powertools' ``validate`` compiles the schema on every call, so we compile each schema once
per process and keep the validator (the hot path of every publish and every consumed record).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

from services.contracts.catalogue import EVENT_TYPES

SCHEMA_DIR = Path(__file__).parent
ENVELOPE = "envelope"
"""Name of the envelope's schema (``envelope.json``)."""


class SchemaViolation(ValueError):
    """``value`` does not match schema ``schema_name``; ``field`` is the failing path."""

    def __init__(self, schema_name: str, field: str, reason: str) -> None:
        super().__init__(reason)
        self.schema_name = schema_name
        self.field = field
        self.reason = reason


def schema_names() -> tuple[str, ...]:
    """Every schema this package holds: the event types of the catalogue plus the envelope."""
    return (*EVENT_TYPES, ENVELOPE)


@cache
def _load(name: str) -> dict[str, Any]:
    if name not in schema_names():
        raise KeyError(f"no schema for {name!r}; known: {', '.join(schema_names())}")
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def load_schema(event_type: str) -> dict[str, Any]:
    """The schema of ``event_type``'s data (or ``"envelope"``); a copy, safe to modify."""
    return json.loads(json.dumps(_load(event_type)))


def examples(event_type: str) -> list[dict[str, Any]]:
    """The schema's ``examples``: valid ``data`` payloads (copies)."""
    return load_schema(event_type).get("examples", [])


@cache
def validator(name: str) -> Callable[[Any], Any]:
    """The compiled validator of schema ``name``, built once per process."""
    return fastjsonschema.compile(_load(name))


def validate(name: str, value: Mapping[str, Any], label: str = "data") -> dict[str, Any]:
    """Check ``value`` against schema ``name``; raise ``SchemaViolation`` naming the field.

    ``label`` prefixes field paths in messages, e.g. ``data.priceCents must be integer``.
    """
    try:
        validator(name)(value)
    except fastjsonschema.JsonSchemaValueException as error:
        field, reason = _describe(error, label)
        raise SchemaViolation(name, field, reason) from None
    return dict(value)


def _describe(error: fastjsonschema.JsonSchemaValueException, label: str) -> tuple[str, str]:
    """(field path, readable reason); a missing property is named itself, not its parent."""
    field = label + (error.name or "data").removeprefix("data")
    if error.rule == "required" and isinstance(error.value, Mapping):
        missing = [p for p in error.rule_definition or () if p not in error.value]
        if missing:
            paths = ", ".join(f"{field}.{name}" for name in missing)
            verb = "is" if len(missing) == 1 else "are"
            return f"{field}.{missing[0]}", f"{paths} {verb} required"
    message = error.message or f"{field} is invalid"
    if message.startswith("data"):
        message = label + message.removeprefix("data")
    return field, message
