"""The catalog's OpenAPI document is valid, documents what API Gateway routes, and is served."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from services.catalog.manifest import MANIFEST
from tests.services.catalog.conftest import CatalogEnv, get, index, published, unique


def openapi() -> dict[str, Any]:
    from services.catalog.openapi import openapi_document

    return openapi_document()


def route_keys(document: dict[str, Any]) -> set[str]:
    """``GET /images/{id}`` ... for each operation of the document."""
    return {f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops}


def test_openapi_document_is_valid_and_documents_exactly_the_gateway_routes(
    catalog: CatalogEnv,
) -> None:
    # GIVEN the document generated from the handler's resolver
    document = openapi()
    # THEN it is a valid OpenAPI 3 document (schemas, $refs, parameters, responses)
    validate(document)
    # AND documents exactly the manifest's routes of this function (which the stack deploys:
    # tests/infra/test_manifest.py)
    assert route_keys(document) == {r.key for r in MANIFEST.routes_of("api")}


def test_openapi_every_documented_route_is_served(catalog: CatalogEnv) -> None:
    # GIVEN one published image, so every route has something to answer with
    image_id = unique("img-")
    tag = unique("tag")
    index(catalog.indexer, published(image_id, tags=[tag]))
    for route in sorted(route_keys(openapi())):
        path = route.split(" ", 1)[1].replace("{id}", image_id)
        # WHEN it is called as API Gateway calls the handler
        response = get(catalog.api, path)
        # THEN the handler answers it with its documented success
        assert response.status == 200, (route, response.body)
    assert get(catalog.api, f"/images/{image_id}").body["imageId"] == image_id


def test_openapi_documents_400_not_422(catalog: CatalogEnv) -> None:
    # GIVEN the document
    paths = openapi()["paths"]
    # THEN errors are documented as the API really answers them
    for path, operations in paths.items():
        responses = operations["get"]["responses"]
        assert "422" not in responses, path
        assert {"200", "400"} <= set(responses), path
        assert "Cache-Control" in responses["200"]["headers"], path
    assert "404" in paths["/images/{id}"]["get"]["responses"]
