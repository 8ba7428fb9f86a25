"""Every policy the project writes passes an IAM linter that knows AWS's actions.

parliament carries AWS's service authorization reference, so an action that does not exist,
a resource ARN an action does not accept, or a condition key an action does not know fails
here instead of as an AccessDenied during a team's first deploy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from parliament import iam_definition

from components.iam import RESOURCELESS_ACTIONS
from tests.infra.conftest import STACKS, evaluated
from tools import deploy_role
from tools.iam_lint import lint, project_documents

TAGS_RESOURCE = "::/tags/"
"""API Gateway has no tag actions: tags are its verbs (POST, GET...) on ``/tags/<arn>``."""


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _privileges(prefix: str) -> dict[str, dict[str, Any]]:
    service = next(s for s in iam_definition if s["prefix"] == prefix)
    return {p["privilege"]: p for p in service["privileges"]}


def test_every_policy_the_project_writes_lints_clean() -> None:
    documents = list(project_documents())
    # deploy + preview, and per stack at least the function roles, trusts and key policies
    assert len(documents) > 2 + 6 * 5
    findings = [str(f) for document in documents for f in lint(**document)]
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize(
    ("statement", "issue"),
    [
        ({"Action": "cloudfront:CreateDistributionWithTags", "Resource": "*"}, "UNKNOWN_ACTION"),
        (
            {"Action": "sns:Unsubscribe", "Resource": "arn:aws:sns:eu-west-1:123456789012:t"},
            "RESOURCE_MISMATCH",
        ),
        (
            {
                "Action": "sns:Subscribe",
                "Resource": "arn:aws:sns:eu-west-1:123456789012:t",
                "Condition": {"StringEquals": {"sns:Endpont": "x"}},
            },
            "UNKNOWN_CONDITION_FOR_ACTION",
        ),
        (
            {
                "Action": "lambda:CreateEventSourceMapping",
                "Resource": "*",
                "Condition": {
                    "StringLike": {"lambda:FunctionArn": "arn:aws:lambda:*:1:function:f"}
                },
            },
            "MISMATCHED_TYPE_BUT_USABLE",
        ),
        (
            {"Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:${aws:PrincipalAcount}:q"},
            "UNKNOWN_POLICY_VARIABLE",
        ),
    ],
)
def test_linter_reports_what_aws_would_refuse(statement: dict[str, Any], issue: str) -> None:
    findings = lint("sample", _document({"Effect": "Allow", **statement}))
    assert issue in {f.issue for f in findings}, findings


def test_known_policy_variables_do_not_hide_real_findings() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "sqs:SendMessag",
        "Resource": "arn:aws:sqs:*:${aws:PrincipalAccount}:marketplace-${aws:PrincipalTag/env}-q",
    }
    assert [f.issue for f in lint("sample", _document(statement))] == ["UNKNOWN_ACTION"]


def test_resourceless_actions_really_take_no_resource() -> None:
    # components.iam lets these (and only these) use "*": AWS must agree none is required.
    for action in sorted(RESOURCELESS_ACTIONS):
        prefix, name = action.split(":")
        resource_types = {r["resource_type"] for r in _privileges(prefix)[name]["resource_types"]}
        # A trailing "*" marks a resource type the call requires (AWS's reference).
        required = {t for t in resource_types if t.endswith("*")}
        assert not required, f"{action} requires {required}: scope it to them"


@pytest.mark.parametrize("stack", STACKS)
def test_deploy_role_can_tag_and_preview_role_can_read_tags_of_every_tagged_type(
    stack: str,
) -> None:
    # GIVEN every resource type the stack tags (the provider's default tags, as `tagsAll`)
    tagged = {r.type for r in evaluated(stack).resources if r.custom and r.inputs.get("tagsAll")}
    assert tagged
    for resource_type in sorted(tagged):
        type_grants = deploy_role.CONTRACT[resource_type]
        prefixes = {a.split(":")[0] for g in type_grants for a in g.read + g.write}
        levels = {prefix: _privileges(prefix) for prefix in prefixes}

        def level(action: str, levels: dict[str, Any] = levels) -> str:
            prefix, name = action.split(":")
            return str(levels[prefix][name]["access_level"])

        tags_resource = any(TAGS_RESOURCE in r for g in type_grants for r in g.resources)
        # THEN the deploy role may tag it (a Tagging-level action among its write grants)
        writes = [a for g in type_grants for a in g.write]
        assert tags_resource or any(level(a) == "Tagging" for a in writes), resource_type
        # AND the preview role may read its tags (a read action about tags)
        reads = [a for g in type_grants for a in g.read]
        assert tags_resource or any("Tag" in a.split(":")[1] for a in reads), resource_type
