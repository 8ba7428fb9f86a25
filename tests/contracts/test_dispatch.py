"""Event handler tables cover exactly what the catalogue says a service consumes/publishes."""

from __future__ import annotations

import pytest

from services.contracts.catalogue import SERVICES
from services.contracts.dispatch import consumer_table, producer_table


def noop(*_: object) -> None:
    return None


def test_consumer_table_accepts_exactly_the_consumed_types() -> None:
    # GIVEN one handler per type purchase subscribes to
    types = {t for ts in SERVICES["purchase"].consumes.values() for t in ts}
    # WHEN the table is built
    table = consumer_table("purchase", dict.fromkeys(types, noop))
    # THEN it dispatches each of them, and cannot be changed afterwards
    assert set(table) == types
    with pytest.raises(TypeError):
        table["purchase.failed"] = noop  # type: ignore[index]


def test_consumer_table_missing_a_consumed_type_names_it() -> None:
    # GIVEN a table that forgot image.withdrawn
    with pytest.raises(ValueError, match=r"purchase consumes .* lacks \['image.withdrawn'\]"):
        # WHEN it is built THEN the error names the missing type
        consumer_table("purchase", {"image.published": noop})


def test_producer_table_with_a_stray_type_names_it() -> None:
    handlers = dict.fromkeys(SERVICES["upload"].publishes, noop) | {"image.renamed": noop}
    with pytest.raises(ValueError, match=r"upload publishes .* \['image.renamed'\]"):
        producer_table("upload", handlers)


def test_service_tables_are_built_through_the_checked_idiom() -> None:
    # GIVEN the tables of the catalog indexer and of upload's event data (pure modules)
    from services.catalog.store import PLANNERS
    from services.upload.uploads import EVENT_DATA

    # THEN they are the catalogue's consumed / published types
    assert set(PLANNERS) == {t for ts in SERVICES["catalog"].consumes.values() for t in ts}
    assert set(EVENT_DATA) == set(SERVICES["upload"].publishes)
