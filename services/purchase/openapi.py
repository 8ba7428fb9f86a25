"""The purchase API's OpenAPI 3 document, generated from the resolver (so it cannot drift).

Fuzzers and API clients read it; the tests check it lists exactly the routes the
``PurchaseService`` component declares in API Gateway, every one behind the JWT authorizer.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from services.purchase.api import app

TITLE = "Marketplace purchase API"
VERSION = "1.0.0"
SECURITY_SCHEME = "jwt"
_POWERTOOLS_VALIDATION_ERROR = "#/components/schemas/HTTPValidationError"


def openapi_document() -> dict[str, Any]:
    """The document as plain JSON-ready data, with the JWT bearer scheme on every operation."""
    schema = app.get_openapi_schema(
        title=TITLE,
        version=VERSION,
        description="Buy images, list your purchases and download what you bought.",
        security_schemes={
            SECURITY_SCHEME: HTTPBearer(
                bearerFormat="JWT",
                description="A JWT from the environment's identity provider (checked by the "
                "API Gateway JWT authorizer; the caller is its `sub` claim).",
            )
        },
        security=[{SECURITY_SCHEME: []}],
    )
    document = schema.model_dump(mode="json", by_alias=True, exclude_none=True)
    _describe_validation_errors_as_400(document)
    return document


def route_keys(document: dict[str, Any] | None = None) -> list[str]:
    """API Gateway route keys (``"GET /purchases/{id}"``) of the document's operations, sorted."""
    paths = (document or openapi_document())["paths"]
    return sorted(f"{method.upper()} {path}" for path, ops in paths.items() for method in ops)


def _describe_validation_errors_as_400(document: dict[str, Any]) -> None:
    """Drop Powertools' generic 422 ``HTTPValidationError`` entries: this API answers invalid
    requests with 400 ``{"message"}`` (``register_error_handlers``), which every route
    documents. A 422 a route declares itself (an idempotency key reused) is kept."""
    for operation in (op for ops in document["paths"].values() for op in ops.values()):
        responses = operation.get("responses", {})
        content = responses.get("422", {}).get("content", {}).get("application/json", {})
        if content.get("schema", {}).get("$ref") == _POWERTOOLS_VALIDATION_ERROR:
            del responses["422"]
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
        schemas.pop(unused, None)
