"""The service components' guards: a manifest asking for what the service cannot give, and
PurchaseServiceArgs without the delivery CDN it signs URLs for."""

from __future__ import annotations

import dataclasses

import pulumi
import pytest

from components.catalog_service import CatalogService, CatalogServiceArgs
from components.context import ServiceContext
from components.purchase_service import PurchaseServiceArgs
from services.catalog.manifest import MANIFEST as CATALOG
from tests.components.harness import Builder, build


def catalog_whose_indexer(**changes: object) -> Builder:
    """A builder of CatalogService whose manifest's indexer function is changed."""
    indexer = dataclasses.replace(CATALOG.function("indexer"), **changes)  # type: ignore[arg-type]
    functions = tuple(indexer if f.purpose == "indexer" else f for f in CATALOG.functions)

    class Changed(CatalogService):
        MANIFEST = dataclasses.replace(CATALOG, functions=functions)

    def builder(context: ServiceContext, opts: pulumi.ResourceOptions) -> None:
        Changed("catalog", CatalogServiceArgs(context.settings), opts)

    return builder


def test_function_asking_for_an_access_the_service_does_not_grant_is_refused() -> None:
    with pytest.raises(ValueError, match=r"function 'indexer': unknown access \['s3:everything'\]"):
        build(catalog_whose_indexer(access=("s3:everything",)), stack="catalog-dev")


def test_function_reading_an_environment_variable_nobody_sets_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"function 'indexer': no value for environment \['NOPE'\]"
    ):
        build(catalog_whose_indexer(environment=("NOPE",)), stack="catalog-dev")


def test_catalog_builds_alone_from_its_unchanged_manifest() -> None:
    # (the two refusals above come from the change, not from building the service alone)
    evaluation = build(catalog_whose_indexer(), stack="catalog-dev")
    assert {r.name for r in evaluation.resources} >= {"catalog-indexer-function"}


def test_purchase_args_require_the_delivery_domain_and_key_pair() -> None:
    fields = {f.name: f for f in dataclasses.fields(PurchaseServiceArgs)}
    for name in ("delivery_domain", "delivery_key_pair_id"):
        assert fields[name].default is dataclasses.MISSING, name
    with pytest.raises(TypeError, match="delivery_domain"):
        PurchaseServiceArgs(None)  # type: ignore[call-arg, arg-type]
