"""The catalog API's OpenAPI 3 document, generated from the resolver's routes and models.

Generated rather than hand-written so it cannot drift from the handler; the API fuzzing
and the docs read it (``python -m services.catalog.openapi > catalog.openapi.json``).
"""

from __future__ import annotations

import json
from typing import Any

TITLE = "Marketplace catalog API"
VERSION = "1.0.0"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3 document of ``services.catalog.api`` (needs ``TABLE_NAME`` set to import)."""
    from services.catalog.api import app  # the handler module reads its env at import

    document = json.loads(
        app.get_openapi_json_schema(
            title=TITLE,
            version=VERSION,
            description="Public, read-only search of published images. No authentication.",
        )
    )
    return _without_422(document)


def _without_422(document: dict[str, Any]) -> dict[str, Any]:
    """Drop Powertools' generated 422s: validation errors are answered 400 (common.http)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    if "ValidationError" not in json.dumps(document.get("paths", {})):
        # ResponseValidationError too: it refers to ValidationError (a dangling $ref otherwise)
        for unused in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
            schemas.pop(unused, None)
    return document


if __name__ == "__main__":
    print(json.dumps(openapi_document(), indent=2))
