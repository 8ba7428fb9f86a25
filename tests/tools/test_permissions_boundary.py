"""The permissions boundary bounds without blocking: every grant of every stack's roles fits
inside it, the policy pack requires it on every role, the deploy policy requires it too."""

from __future__ import annotations

import json
from typing import Any

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from components import aws_types
from local.program import config_file_for, load_config
from policy.model import ResourceContext, StackContext
from policy.rules import roles_carry_permissions_boundary
from tests.infra.conftest import STACKS, evaluated
from tools import deploy_role
from tools.deploy_role import ACCOUNT, BOUNDARY, ENV, SERVICE
from tools.permissions_boundary import boundary_document


def boundary_for(stack: str) -> IAMPolicy:
    """The boundary as IAM evaluates it for a role of ``stack`` (its account and tags)."""
    service, env = stack.split("-")
    account = load_config(config_file_for(stack))["marketplace:accounts"][service]
    text = json.dumps(boundary_document())
    for variable, value in ((ACCOUNT, account), (ENV, env), (SERVICE, service)):
        text = text.replace(variable, value)
    return IAMPolicy(text)


def as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@pytest.mark.parametrize("stack", STACKS)
def test_boundary_allows_every_grant_of_every_role_of_the_stack(stack: str) -> None:
    # GIVEN the boundary as it applies to this stack's roles
    boundary = boundary_for(stack)
    for policy in evaluated(stack).of_type(aws_types.ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            # THEN each action on each resource a role is granted is inside the boundary
            for action in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    result = boundary.is_action_permitted(action, resource)
                    assert result == PermissionResult.PERMITTED, (
                        f"{policy.urn}: {action} on {resource} is outside the permissions "
                        "boundary (tools/permissions_boundary.py)"
                    )


def test_boundary_keeps_roles_out_of_iam_and_other_accounts() -> None:
    # GIVEN the boundary of upload-dev's roles
    boundary = boundary_for("upload-dev")
    account = load_config(config_file_for("upload-dev"))["marketplace:accounts"]["upload"]
    refused = [
        ("iam:PutRolePolicy", f"arn:aws:iam::{account}:role/marketplace-dev-upload-api"),
        ("iam:PassRole", f"arn:aws:iam::{account}:role/marketplace-dev-upload-api"),
        ("sts:AssumeRole", "arn:aws:iam::999999999999:role/marketplace-dev-catalog-api"),
        ("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:999999999999:table/other"),
        ("s3:GetObject", "arn:aws:s3:::marketplace-dev-catalog-x-999999999999/key"),
        ("s3:GetObject", f"arn:aws:s3:::someone-elses-{account}/key"),
        ("organizations:LeaveOrganization", "*"),
    ]
    for action, resource in refused:
        assert boundary.is_action_permitted(action, resource) != PermissionResult.PERMITTED, (
            action,
            resource,
        )


def _context(account: str = "111111111111") -> ResourceContext:
    stack = StackContext(
        stack="upload-dev",
        service="upload",
        env="dev",
        account=account,
        region="eu-west-1",
        team="team-upload",
        permissions_boundary=f"arn:aws:iam::{account}:policy/{deploy_role.BOUNDARY_NAME}",
    )
    return ResourceContext(name="upload-api-role", stack=stack)


@pytest.mark.parametrize(
    ("boundary", "violations"),
    [
        ("arn:aws:iam::111111111111:policy/marketplace-boundary", 0),
        (None, 1),
        ("arn:aws:iam::111111111111:policy/AdministratorAccess", 1),
        ("arn:aws:iam::999999999999:policy/marketplace-boundary", 1),
    ],
)
def test_policy_pack_requires_the_boundary_on_every_role(
    boundary: str | None, violations: int
) -> None:
    props = {"name": "marketplace-dev-upload-api"}
    if boundary is not None:
        props["permissionsBoundary"] = boundary
    problems = roles_carry_permissions_boundary(aws_types.ROLE, props, _context())
    assert len(problems) == violations, problems
    if problems:
        assert "components.iam.permissions_boundary" in problems[0]


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_of_the_stack_carries_the_boundary(stack: str) -> None:
    service, _ = stack.split("-")
    account = load_config(config_file_for(stack))["marketplace:accounts"][service]
    expected = BOUNDARY.replace(ACCOUNT, account)
    # (a stack without functions, such as web, has no role at all)
    for role in evaluated(stack).of_type(aws_types.ROLE):
        assert role.inputs.get("permissionsBoundary") == expected, role.urn


def test_deploy_policy_gives_permissions_only_to_roles_with_the_boundary() -> None:
    document = json.loads(deploy_role.DEPLOY_POLICY.read_text())
    granting = {"iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary",
                "iam:AttachRolePolicy"}  # fmt: skip
    for statement in document["Statement"]:
        if granting & set(as_list(statement["Action"])):
            condition = statement.get("Condition", {})
            assert condition == {"ArnEquals": {"iam:PermissionsBoundary": BOUNDARY}}, statement
    actions = {a for s in document["Statement"] for a in as_list(s["Action"])}
    # never: lift a role's boundary, or change the boundary policy itself
    assert not actions & {"iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion",
                          "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"}  # fmt: skip


def test_boundary_name_must_be_the_one_the_deploy_policy_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configs = {"dev": {}, "prod": {"permissionsBoundaryName": "prod-boundary"}}
    monkeypatch.setattr(deploy_role, "environment_config", lambda env: configs[env])
    with pytest.raises(ValueError, match="permissionsBoundaryName"):
        deploy_role.boundary_name()
