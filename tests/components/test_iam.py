"""components.iam.Statement refuses wildcard grants at construction (no mocks needed)."""

from __future__ import annotations

import json
import re

import pytest

from components.iam import (
    RESOURCELESS_ACTIONS,
    Statement,
    assume_role_policy,
    deny_insecure_transport,
)

BUCKET = "arn:aws:s3:::marketplace-dev-upload-originals-111111111111/*"


@pytest.mark.parametrize("action", ["*", "s3:*"])
def test_allow_statement_with_wildcard_action_is_refused(action: str) -> None:
    message = f"action {action!r} is a wildcard; name the actions"
    with pytest.raises(ValueError, match=re.escape(message)):
        Statement(actions=("s3:GetObject", action), resources=(BUCKET,))


def test_deny_statement_may_name_every_action() -> None:
    statement = deny_insecure_transport((BUCKET,), ("s3:*",))
    assert statement.effect == "Deny" and statement.actions == ("s3:*",)
    assert statement.conditions == {"Bool": {"aws:SecureTransport": "false"}}


def test_resource_star_is_refused_for_actions_with_resource_level_permissions() -> None:
    with pytest.raises(ValueError, match=r"resource '\*' is only allowed for .*s3:GetObject"):
        Statement(actions=("xray:PutTraceSegments", "s3:GetObject"), resources=("*",))


def test_resource_star_is_accepted_for_resourceless_actions_only() -> None:
    statement = Statement(actions=tuple(sorted(RESOURCELESS_ACTIONS)), resources=("*",))
    assert statement.resources == ("*",)


def test_trust_policy_names_the_service_and_the_account() -> None:
    [statement] = json.loads(assume_role_policy("lambda.amazonaws.com", "111111111111"))[
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
