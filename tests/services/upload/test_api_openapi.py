"""The upload API's OpenAPI document matches the resolver's routes and the interface contract."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

README = Path(__file__).resolve().parents[3] / "services" / "README.md"


@pytest.fixture
def document(api: ModuleType) -> dict[str, Any]:
    from services.upload.openapi import openapi_document

    return openapi_document()


def contract_routes() -> set[tuple[str, str]]:
    """The upload API's routes as services/README.md lists them, e.g. ("get", "/uploads/{id}")."""
    row = next(line for line in README.read_text().splitlines() if "services.upload.api" in line)
    return {(m.lower(), p) for m, p in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`", row)}


def documented_routes(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in document["paths"].items() for method in ops}


def test_openapi_document_lists_exactly_the_contract_routes(document: dict[str, Any]) -> None:
    # GIVEN the routes services/README.md promises
    promised = contract_routes()

    # WHEN the document is generated from the resolver
    documented = documented_routes(document)

    # THEN they are the same four routes
    assert len(promised) == 4
    assert documented == promised


def test_openapi_document_lists_every_resolver_route(
    api: ModuleType, document: dict[str, Any]
) -> None:
    # GIVEN the routes the resolver serves
    served = {(route.method.lower(), route.openapi_path) for route in api.app._static_routes} | {
        (route.method.lower(), route.openapi_path) for route in api.app._dynamic_routes
    }

    # WHEN they are compared with the document
    # THEN nothing served is undocumented and nothing documented is unserved
    assert served == documented_routes(document)


def test_openapi_document_requires_a_jwt_bearer_everywhere(document: dict[str, Any]) -> None:
    # GIVEN the document
    scheme = document["components"]["securitySchemes"]["jwt"]

    # WHEN its security is read
    # THEN a JWT bearer is required globally
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert scheme["bearerFormat"] == "JWT"
    assert document["security"] == [{"jwt": []}]
    assert document["openapi"].startswith("3.")


def test_openapi_document_describes_the_errors_actually_returned(document: dict[str, Any]) -> None:
    # GIVEN every operation of the document
    operations = [(path, op) for path, ops in document["paths"].items() for op in ops.values()]
    withdraw = document["paths"]["/uploads/{id}"]["delete"]

    # WHEN their responses are read
    # THEN validation errors are 400 (not Powertools' 422), 401 everywhere, 404 on {id} routes,
    # 409 on a withdrawal that lost a race
    for path, operation in operations:
        responses = operation["responses"]
        assert "422" not in responses
        assert {"400", "401"} <= set(responses)
        assert ("404" in responses) == ("{id}" in path)
    assert "409" in withdraw["responses"]
    create = document["paths"]["/uploads"]["post"]
    assert "201" in create["responses"]
    assert create["requestBody"]["required"] is True
