"""One idiom for acting on an event by its type: a handler table checked against the catalogue.

Consumers (and a producer building each event's data) keep one plain dict from event type
to handler. Building it through ``consumer_table`` / ``producer_table`` checks that it covers
exactly the types the catalogue says the service consumes / publishes, so adding an event
type is: its schema, its catalogue entry, and one handler function per table that must know
it; a missing or stray entry fails at import, naming the type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from services.contracts.catalogue import SERVICES

Handler = TypeVar("Handler", bound=Callable[..., Any])


def consumer_table(service: str, handlers: Mapping[str, Handler]) -> Mapping[str, Handler]:
    """``handlers`` (event type -> handler) for every type ``service`` subscribes to."""
    consumed = {t for types in SERVICES[service].consumes.values() for t in types}
    return _checked(f"{service} consumes", consumed, handlers)


def producer_table(service: str, handlers: Mapping[str, Handler]) -> Mapping[str, Handler]:
    """``handlers`` (event type -> handler) for every type ``service`` publishes."""
    return _checked(f"{service} publishes", set(SERVICES[service].publishes), handlers)


def _checked(
    what: str, expected: set[str], handlers: Mapping[str, Handler]
) -> Mapping[str, Handler]:
    missing, stray = sorted(expected - set(handlers)), sorted(set(handlers) - expected)
    if missing or stray:
        raise ValueError(
            f"{what} (services/contracts/catalogue.py): handler table lacks {missing}, "
            f"has types it does not list {stray}"
        )
    return MappingProxyType(dict(handlers))
