"""The deploy-role contract covers what the program creates, and the preview role only reads."""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import pytest

from components.aws_types import OAM_LINK, OAM_SINK
from local.program import Evaluation, config_file_for, load_config
from tests.infra.conftest import STACKS, evaluated
from tools import deploy_role
from tools.deploy_role import (
    ACCOUNT,
    CONTRACT,
    ENV,
    NO_AWS_CALLS,
    PROVIDER_TYPE,
    READ_VERBS,
    SERVICE,
    UNSCOPED_BECAUSE,
    expected_files,
    grants,
    policy_document,
    role_names,
)

INLINE_POLICY_LIMIT = 10_240
"""IAM's limit on a role's inline policies, in characters without whitespace."""
MANAGED_POLICY_LIMIT = 6_144


def created_types(evaluation: Evaluation) -> set[str]:
    return {r.type for r in evaluation.resources if r.custom}


def rendered(pattern: str, stack: str) -> str:
    """A policy resource pattern with the IAM variables of ``stack``'s roles filled in."""
    service, env = stack.split("-")
    account = load_config(config_file_for(stack))["marketplace:accounts"][service]
    return pattern.replace(ACCOUNT, account).replace(ENV, env).replace(SERVICE, service)


def actions(document: dict[str, Any]) -> list[str]:
    return [a for s in document["Statement"] for a in s["Action"]]


def non_whitespace_length(document: dict[str, Any]) -> int:
    return len(re.sub(r"\s", "", json.dumps(document)))


@pytest.mark.parametrize("stack", STACKS)
def test_deploy_role_contract_covers_every_resource_type_the_stack_creates(stack: str) -> None:
    # GIVEN the resources the committed stack creates
    types = created_types(evaluated(stack))
    # THEN each type says what deploying it takes (a new type must be added to the contract)
    unknown = sorted(types - set(CONTRACT) - NO_AWS_CALLS - {PROVIDER_TYPE})
    assert not unknown, f"add these resource types to tools/deploy_role.py CONTRACT: {unknown}"


@pytest.mark.parametrize("stack", STACKS)
def test_deploy_role_resources_cover_every_arn_the_stack_creates(stack: str) -> None:
    # GIVEN every resource of the stack whose ARN is known under mocks
    for resource in evaluated(stack).resources:
        arn = resource.outputs.get("arn")
        if not resource.custom or not isinstance(arn, str) or resource.type not in CONTRACT:
            continue
        # THEN one of its type's grants names a resource pattern matching that ARN
        patterns = [rendered(p, stack) for g in CONTRACT[resource.type] for p in g.resources]
        assert any(fnmatch.fnmatchcase(arn, p) for p in patterns), (
            f"{resource.urn}: {arn} matches none of {patterns}"
        )


def test_deploy_role_committed_policies_are_the_generated_ones() -> None:
    # THEN regenerating changes nothing (else: run `python -m tools.deploy_role`)
    for path, text in expected_files().items():
        assert path.read_text() == text, f"{path} is stale: run python -m tools.deploy_role"


def test_deploy_role_preview_policy_has_no_write_actions() -> None:
    document = json.loads(deploy_role.PREVIEW_POLICY.read_text())
    _, preview_role = role_names()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            verb = action.split(":", 1)[1]
            if action == "sts:AssumeRole":
                # only the preview role itself, which the program's provider assumes
                assert statement["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/{preview_role}"
                continue
            assert verb.startswith(READ_VERBS) or action == "apigateway:GET", action


def test_deploy_role_deploy_policy_is_read_plus_write_of_every_grant() -> None:
    deploy = set(actions(json.loads(deploy_role.DEPLOY_POLICY.read_text())))
    deploy |= set(actions(json.loads(deploy_role.SHIFTING_POLICY.read_text())))
    preview = set(actions(json.loads(deploy_role.PREVIEW_POLICY.read_text())))
    assert preview <= deploy
    assert {a for g in grants() for a in g.read + g.write} <= deploy


@pytest.mark.parametrize("access", ["deploy", "preview"])
def test_deploy_role_policies_have_no_wildcard_actions(access: str) -> None:
    for action in actions(policy_document(access, "role")):
        assert action != "*" and not action.endswith(":*"), action


def test_deploy_role_every_statement_not_scoped_to_the_stack_says_why() -> None:
    # A resource is scoped when it names the role's account and service (its tags).
    for grant in grants():
        scoped = all(ACCOUNT in r and SERVICE in r for r in grant.resources)
        if not scoped:
            assert grant.sid in UNSCOPED_BECAUSE, f"explain why {grant.sid} is not scoped"
    assert set(UNSCOPED_BECAUSE) <= {g.sid for g in grants()}, "stale explanation"


def test_deploy_role_policies_fit_iam_size_limits() -> None:
    # Both roles' policies are attached inline (over the managed-policy limit); the deploy
    # role's separate grants are its managed policy (docs/deploy-roles/README.md).
    deploy_role_name, preview_role_name = role_names()
    for access, role in (("deploy", deploy_role_name), ("preview", preview_role_name)):
        assert non_whitespace_length(policy_document(access, role)) <= INLINE_POLICY_LIMIT
    shifting = policy_document("deploy-shifting", deploy_role_name)
    assert non_whitespace_length(shifting) <= MANAGED_POLICY_LIMIT


def test_deploy_role_names_must_agree_across_environments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN prod naming its deployment role differently from dev
    configs = {
        "dev": {"deployRoleName": "marketplace-deploy", "previewRoleName": "p"},
        "prod": {"deployRoleName": "prod-deployer", "previewRoleName": "p"},
    }
    monkeypatch.setattr(deploy_role, "environment_config", lambda env: configs[env])
    # THEN one committed document cannot serve both: the message names the keys
    with pytest.raises(ValueError, match="deployRoleName/previewRoleName differ"):
        role_names()


@pytest.mark.parametrize("stack", ["monitoring-prod", "catalog-prod"])
def test_deploy_role_contract_covers_cross_account_observability(stack: str) -> None:
    # GIVEN a prod environment with a monitoring account whose sink the service stacks link to
    from tests.infra.test_observability import monitored

    types = created_types(monitored(stack))
    assert types & {OAM_LINK, OAM_SINK}, "the monitored stack creates a link or a sink"
    # THEN deploying its sink, sink policy or link is in the deploy role's contract
    unknown = sorted(types - set(CONTRACT) - NO_AWS_CALLS - {PROVIDER_TYPE})
    assert not unknown, f"add these resource types to tools/deploy_role.py CONTRACT: {unknown}"
