"""The purchase API's OpenAPI document matches its routes and declares the JWT scheme."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from services.purchase.manifest import MANIFEST
from services.purchase.openapi import openapi_document, route_keys

ROOT = Path(__file__).resolve().parents[3]
MANIFEST_ROUTES = sorted(r.key for r in MANIFEST.routes_of("api"))


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [
            r for v in node.values() for r in refs(v)
        ]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_openapi_lists_exactly_the_routes_of_the_contract() -> None:
    # GIVEN the document generated from the resolver
    document = openapi_document()

    # WHEN its operations are read as API Gateway route keys
    keys = route_keys(document)

    # THEN they are the api function's routes of the manifest, and the README lists them too
    assert keys == MANIFEST_ROUTES
    readme = (ROOT / "services" / "README.md").read_text()
    purchase_api_line = next(
        line for line in readme.splitlines() if "services.purchase.api" in line
    )
    assert all(f"`{key}`" in purchase_api_line for key in keys)


def test_openapi_requires_the_jwt_on_every_operation() -> None:
    # GIVEN the document
    document = openapi_document()

    # WHEN its security is read
    scheme = document["components"]["securitySchemes"]["jwt"]

    # THEN a JWT bearer scheme applies to all operations (none opts out)
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert document["security"] == [{"jwt": []}]
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    assert all(op.get("security", [{"jwt": []}]) == [{"jwt": []}] for op in operations)


def test_openapi_documents_the_idempotency_key_and_error_bodies() -> None:
    # GIVEN the POST /purchases operation
    document = openapi_document()
    post = document["paths"]["/purchases"]["post"]

    # WHEN its parameters and responses are read
    headers = {p["name"].lower(): p for p in post["parameters"] if p["in"] == "header"}

    # THEN the Idempotency-Key header is required, errors are documented with their real
    # body (400, not Powertools' 422 validation shape), and every $ref resolves
    assert headers["idempotency-key"]["required"] is True
    assert {"200", "201", "400", "404", "409", "422"} <= set(post["responses"])
    assert "HTTPValidationError" not in json.dumps(document)
    schemas = document["components"]["schemas"]
    assert all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs(document))
    assert post["requestBody"]["required"] is True


def test_openapi_is_generated_without_aws_settings() -> None:
    # GIVEN a process with no AWS region, table or secret configured
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_", "SIGNING_"))}
    code = (
        "import json; from services.purchase.openapi import openapi_document; "
        "print(json.dumps(openapi_document()))"
    )

    # WHEN the document is generated there (as a fuzzer or docs build would)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    # THEN it succeeds
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["info"]["title"] == "Marketplace purchase API"
