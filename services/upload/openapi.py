"""The upload API's OpenAPI 3 documents, generated from each function's resolver and models.

Two functions serve the upload API: ``api`` (photographers, ``/uploads``) and ``admin``
(moderators, ``/admin/reviews``); each has its document, as each is imported with its own
environment. Powertools documents request validation failures as 422, but
``register_error_handlers`` answers 400 with ``{"message": ...}``; the document is corrected
to what the API really returns (400 and 401 everywhere, 404 on the ``{id}`` routes, 409 on
withdrawal and on decisions, 403 on every admin route), because fuzzers check every response
against it. Importing a function needs its environment variables (services/README.md);
``python -m services.upload.openapi [api|admin]`` prints a document.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

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
_ADMIN_ERRORS = {"403": "The caller is not in the admin group"}
_ADMIN_NOT_FOUND = "No such upload in the review queue"
_DECIDED = "Another decision was recorded first (named in the message), or the upload left review"


def openapi_document(function: str = "api") -> dict[str, Any]:
    """The OpenAPI document of ``services.upload.<function>.app``, error responses as served."""
    if function not in ("api", "admin"):
        raise ValueError(f"function must be 'api' or 'admin', got {function!r}")
    module = importlib.import_module(f"services.upload.{function}")
    admin = function == "admin"
    document = json.loads(module.app.get_openapi_json_schema())
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            described = _ERROR_RESPONSES | (_ADMIN_ERRORS if admin else {})
            if "{" in path:
                described["404"] = _ADMIN_NOT_FOUND if admin else _NOT_FOUND
            if method == "delete":
                described["409"] = _CONFLICT
            if admin and method == "post":
                described["409"] = _DECIDED
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
    print(json.dumps(openapi_document(*sys.argv[1:2]), indent=2))
