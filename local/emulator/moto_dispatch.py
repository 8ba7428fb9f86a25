"""WORKAROUND (moto 5.2.x): moto's server lists its own package directory once, not on every
request.

Why: to route a request, moto's ``DomainDispatcherApplication.get_backend_for_host`` calls
``moto.backends.list_of_moto_modules()``, which lists moto's package directory and stats
each of its ~200 entries, on every request and under the one lock all of the server's
request threads share. The local environment makes tens of thousands of requests; in a
profile of the end-to-end suite that listing was ~4 % of all CPU time, spent while every
other request waited.

How: the listing is made once per process (moto's installed package does not change while
it runs) and the same names are returned from then on.

How to remove: the canary in ``tests/local/test_moto_dispatch.py`` fails the day moto stops
listing its directory per call; then delete this module and its install call in
local/emulator/cloud.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

from moto import backends

MOTO_LIST_OF_MODULES = backends.list_of_moto_modules
"""moto's own listing (the canary calls it as moto ships it)."""


def install() -> None:
    """Make moto's module listing a once-per-process one (idempotent)."""
    if backends.list_of_moto_modules is MOTO_LIST_OF_MODULES:
        backends.list_of_moto_modules = _listed_once(MOTO_LIST_OF_MODULES)  # type: ignore[assignment]


def _listed_once(listing: Callable[[], Iterable[str]]) -> Callable[[], tuple[str, ...]]:
    @cache
    def list_of_moto_modules() -> tuple[str, ...]:
        return tuple(listing())

    return list_of_moto_modules
