"""The upload admin API's OpenAPI document: exactly the admin function's manifest routes, the
errors it really returns (403 everywhere), the review shapes the web app's admin panel uses."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from services.upload.manifest import MANIFEST

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")


@pytest.fixture
def document(admin: ModuleType) -> dict[str, Any]:
    from services.upload.openapi import openapi_document

    return openapi_document("admin")


@pytest.fixture
def admin(
    upload_aws: Any, load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch
) -> ModuleType:
    monkeypatch.setenv("ADMIN_GROUP", "admins")
    return load_handler("services.upload.admin")


def test_admin_document_lists_exactly_the_admin_routes(document: dict[str, Any]) -> None:
    # GIVEN the admin function's routes in the manifest
    declared = {(r.method.lower(), r.path) for r in MANIFEST.routes_of("admin")}

    # WHEN the admin document is generated
    documented = {(m, path) for path, ops in document["paths"].items() for m in ops}

    # THEN they are the same four routes
    assert len(declared) == 4
    assert documented == declared


def test_admin_document_describes_forbidden_not_found_and_conflicts(
    document: dict[str, Any],
) -> None:
    # GIVEN every operation of the admin document
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            # THEN non-admins' 403 and the 400/401 everyone gets are documented, never 422
            assert {"400", "401", "403"} <= set(responses), (method, path)
            assert "422" not in responses
            assert ("404" in responses) == ("{id}" in path)
            # AND a decision that lost to another documents its 409
            assert ("409" in responses) == (method == "post")


def test_admin_document_shows_the_review_item_and_the_reject_reason(
    document: dict[str, Any],
) -> None:
    # GIVEN the schemas of the document
    schemas = document["components"]["schemas"]

    # THEN a review item carries the preview, labels, findings and photographer id
    item = schemas["ReviewItem"]["properties"]
    for field in ("previewUrl", "labels", "moderationFindings", "photographerId", "reviewReason"):
        assert field in item
    # AND rejecting requires a reason, approving does not require a note
    assert schemas["RejectReview"]["required"] == ["reason"]
    assert "required" not in schemas["ApproveReview"]
    assert "IN_REVIEW" in str(schemas["ReviewItem"]["properties"]["status"])


def test_openapi_document_refuses_an_unknown_function() -> None:
    from services.upload.openapi import openapi_document

    with pytest.raises(ValueError, match="'api' or 'admin'"):
        openapi_document("processor")
