from __future__ import annotations

import re
from types import ModuleType

import pytest

from tests.services.catalog.conftest import CatalogEnv, get

PATH_PARAMETER = re.compile(r"<(\w+)>")


@pytest.fixture
def api(catalog: CatalogEnv) -> ModuleType:
    return catalog.api


def _document_routes(api: ModuleType) -> set[str]:
    from services.catalog.openapi import openapi_document

    document = openapi_document()
    assert document["openapi"].startswith("3.")
    return {f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops}


def _resolver_routes(api: ModuleType) -> set[str]:
    routes = api.app._static_routes + api.app._dynamic_routes
    return {r.method + " " + PATH_PARAMETER.sub(r"{\1}", r.path) for r in routes}


def test_openapi_document_matches_resolver_routes(api: ModuleType) -> None:
    # GIVEN the generated OpenAPI document and the resolver's registered routes
    documented, registered = _document_routes(api), _resolver_routes(api)
    # THEN each documents the other, and both are the routes the component wires
    assert documented == registered
    assert documented == set(api.ROUTES)


def test_openapi_every_documented_route_is_served(api: ModuleType) -> None:
    # GIVEN every documented route, with sample path parameters
    for route in _document_routes(api):
        path = route.split(" ", 1)[1].replace("{id}", "some-image")
        # WHEN it is called / THEN the resolver answers it (not its own route-not-found 404)
        response = get(api, path)
        assert response.body.get("message") != "Not found", route
        assert response.status in (200, 404), route


def test_openapi_documents_400_not_422(api: ModuleType) -> None:
    # GIVEN the document
    from services.catalog.openapi import openapi_document

    paths = openapi_document()["paths"]
    # THEN errors are documented as the API really answers them
    for path, operations in paths.items():
        responses = operations["get"]["responses"]
        assert "422" not in responses, path
        assert {"200", "400"} <= set(responses), path
        assert "Cache-Control" in responses["200"]["headers"], path
    assert "404" in paths["/images/{id}"]["get"]["responses"]
