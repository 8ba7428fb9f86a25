"""The upload API's OpenAPI 3 document, generated from the resolver's routes and models.

Powertools documents request validation failures as 422, but ``register_error_handlers``
answers 400 with ``{"message": ...}``; the document is corrected to what the API really
returns (400 and 401 everywhere, 404 on the ``{id}`` routes, 409 on withdrawal), because
fuzzers check every response against it. Importing the API needs its environment variables
(services/README.md); ``python -m services.upload.openapi`` prints the document.
"""

from __future__ import annotations

import json
from typing import Any

from services.upload import api

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Error",
    "required": ["message"],
    "properties": {
        "message": {"type": "string", "description": "What is wrong, naming the field."}
    },
}
_ERROR_RESPONSES = {
    "400": "Invalid request: the message names the field",
    "401": "No authenticated user",
}
_NOT_FOUND = "No such upload among the caller's uploads"
_CONFLICT = "The upload changed while being withdrawn; retry"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of ``services.upload.api.app``, error responses as served."""
    document = json.loads(api.app.get_openapi_json_schema())
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            described = dict(_ERROR_RESPONSES)
            if "{" in path:
                described["404"] = _NOT_FOUND
            if method == "delete":
                described["409"] = _CONFLICT
            for status, description in described.items():
                responses[status] = _error_response(description)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


if __name__ == "__main__":
    print(json.dumps(openapi_document(), indent=2))
