"""The account bootstrap, evaluated under mocks for every account of dev and prod."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bootstrap.stack import parse_bootstrap_stack
from bootstrap.trust import GITHUB_OIDC_HOST, GITHUB_OIDC_URL
from components import aws_types
from components.naming import StackNameError
from local.program import Evaluation, Resource
from tests.bootstrap.conftest import (
    OIDC_PROVIDER,
    bootstrap_stacks,
    config_with,
    evaluate_bootstrap,
    evaluated_bootstrap,
    settings_of,
)
from tools import deploy_role

STACKS = bootstrap_stacks()


def only(evaluation: Evaluation, typ: str, name_suffix: str = "") -> Resource:
    matches = [r for r in evaluation.of_type(typ) if r.name.endswith(name_suffix)]
    assert len(matches) == 1, f"{evaluation.stack}: {len(matches)} {typ} *{name_suffix}"
    return matches[0]


def document(resource: Resource, key: str) -> dict[str, Any]:
    value = resource.inputs[key]
    return json.loads(value) if isinstance(value, str) else value


def test_bootstrap_covers_every_account_of_every_environment() -> None:
    # THEN one stack per service account the settings name (the catalogue's services)
    for env in ("dev", "prod"):
        services = sorted(settings_of(env).accounts)
        assert {f"bootstrap-{s}-{env}" for s in services} <= set(STACKS)
    assert len(STACKS) == len(set(STACKS)) >= 6


@pytest.mark.parametrize("stack", STACKS)
def test_bootstrap_role_policies_are_the_generated_documents(stack: str) -> None:
    # GIVEN the bootstrap of one account
    evaluation = evaluated_bootstrap(stack)
    # THEN the deploy and preview roles' inline policies are the committed JSON files, and
    # the boundary is the committed boundary policy: one source, no drift
    committed = {
        "deploy": json.loads(deploy_role.DEPLOY_POLICY.read_text()),
        "preview": json.loads(deploy_role.PREVIEW_POLICY.read_text()),
    }
    for access, expected in committed.items():
        policy = only(evaluation, aws_types.ROLE_POLICY, f"-{access}-policy")
        assert document(policy, "policy") == expected, policy.urn
    boundary = only(evaluation, aws_types.IAM_POLICY, "-boundary")
    assert document(boundary, "policy") == json.loads(deploy_role.BOUNDARY_POLICY.read_text())
    # AND the deploy role's managed policy is the committed shifting policy, attached to it
    shifting = only(evaluation, aws_types.IAM_POLICY, "-deploy-shifting-policy")
    assert document(shifting, "policy") == json.loads(deploy_role.SHIFTING_POLICY.read_text())
    attachment = only(evaluation, aws_types.ROLE_POLICY_ATTACHMENT)
    assert attachment.inputs["policyArn"] == shifting.outputs["arn"]
    assert (
        attachment.inputs["role"] == only(evaluation, aws_types.ROLE, "-deploy-role").inputs["name"]
    )


@pytest.mark.parametrize("stack", STACKS)
def test_bootstrap_boundary_is_the_one_every_service_role_must_carry(stack: str) -> None:
    name = parse_bootstrap_stack(stack)
    settings = settings_of(name.env)
    boundary = only(evaluated_bootstrap(stack), aws_types.IAM_POLICY, "-boundary")
    # THEN its ARN is what the service stack's roles carry (and the deploy policy requires)
    assert boundary.outputs["arn"] == settings.permissions_boundary_arn(name.service)
    assert boundary.inputs["name"] == deploy_role.BOUNDARY_NAME


@pytest.mark.parametrize("stack", STACKS)
def test_bootstrap_roles_trust_only_this_repository_and_themselves(stack: str) -> None:
    name = parse_bootstrap_stack(stack)
    settings = settings_of(name.env)
    evaluation = evaluated_bootstrap(stack)
    account = settings.account_of(name.service)
    provider = only(evaluation, OIDC_PROVIDER)
    assert provider.inputs["url"] == GITHUB_OIDC_URL
    assert provider.inputs["clientIdLists"] == [settings.github.audience]
    repository = settings.github.repository
    subjects = {
        settings.deploy_role_name: f"repo:{repository}:environment:{name.env}",
        settings.preview_role_name: f"repo:{repository}:pull_request",
    }
    roles = evaluation.of_type(aws_types.ROLE)
    assert sorted(r.inputs["name"] for r in roles) == sorted(subjects)
    for role in roles:
        role_name = role.inputs["name"]
        github, itself = document(role, "assumeRolePolicy")["Statement"]
        # THEN GitHub's tokens for this repository's environment (or pull requests) only
        assert github["Principal"] == {"Federated": provider.outputs["arn"]}, role.urn
        assert github["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert github["Condition"] == {
            "StringEquals": {
                f"{GITHUB_OIDC_HOST}:aud": settings.github.audience,
                f"{GITHUB_OIDC_HOST}:sub": subjects[role_name],
            }
        }
        # AND the role itself, which the program's provider assumes again
        assert itself["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
        role_arn = f"arn:aws:iam::{account}:role/{role_name}"
        assert itself["Condition"] == {"ArnEquals": {"aws:PrincipalArn": role_arn}}
        # AND the tags the generated policies scope every resource by
        assert role.inputs["tags"] == {"env": name.env, "service": name.service}


@pytest.mark.parametrize("stack", STACKS)
def test_bootstrap_deploys_only_into_its_own_account(stack: str) -> None:
    name = parse_bootstrap_stack(stack)
    evaluation = evaluated_bootstrap(stack)
    [provider] = evaluation.of_type("pulumi:providers:aws")
    allowed = provider.inputs["allowedAccountIds"]
    allowed = json.loads(allowed) if isinstance(allowed, str) else allowed
    assert allowed == [settings_of(name.env).account_of(name.service)]
    # the administrator's own credentials: the roles it creates do not exist yet
    assert not provider.inputs.get("assumeRoles")
    # AND every resource is created through it, in that account
    for resource in evaluation.resources:
        if resource.custom and resource.type.startswith("aws:"):
            assert resource.account == allowed[0], resource.urn


def test_bootstrap_creates_no_state_backend_unless_asked() -> None:
    evaluation = evaluated_bootstrap("bootstrap-upload-dev")
    assert not evaluation.of_type(aws_types.BUCKET)
    assert not evaluation.of_type(aws_types.KMS_KEY)
    assert "stateBackendUrl" not in evaluation.outputs


def test_bootstrap_state_backend_is_a_private_versioned_bucket_and_a_rotated_key() -> None:
    # GIVEN an environment that asks for a self-managed backend
    config = config_with("prod", lambda c: c.update({"marketplace:stateBackend": True}))
    evaluation = evaluate_bootstrap("bootstrap-catalog-prod", config)
    account = settings_of("prod", config).account_of("catalog")
    # THEN a bucket named for the account, versioned, public access blocked, TLS only
    bucket = only(evaluation, aws_types.BUCKET)
    assert bucket.inputs["bucket"] == f"marketplace-prod-catalog-pulumi-state-{account}"
    assert evaluation.of_type("aws:s3/bucketVersioning:BucketVersioning")
    block = only(evaluation, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy"))
    policy = document(only(evaluation, "aws:s3/bucketPolicy:BucketPolicy"), "policy")
    assert any(
        s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s)
        for s in policy["Statement"]
    )
    # AND a KMS key with rotation for the stacks' secrets, named by the outputs
    assert only(evaluation, aws_types.KMS_KEY).inputs["enableKeyRotation"] is True
    assert evaluation.outputs["stateBackendUrl"] == f"s3://{bucket.inputs['bucket']}"
    assert evaluation.outputs["secretsProvider"] == (
        "awskms://alias/marketplace-prod-catalog-pulumi-state"
    )


@pytest.mark.parametrize(
    ("stack", "message"),
    [
        ("upload-dev", "bootstrap-<service>-<env>"),
        ("bootstrap-billing-dev", "unknown service 'billing'"),
    ],
)
def test_bootstrap_stack_name_errors_name_the_expected_form(stack: str, message: str) -> None:
    with pytest.raises(StackNameError, match=message):
        parse_bootstrap_stack(stack)


def test_bootstrap_refuses_a_malformed_repository() -> None:
    config = config_with("dev", lambda c: c.update({"marketplace:github": {"repository": "x"}}))
    with pytest.raises(Exception, match=r"marketplace:github\.repository must be owner/name"):
        evaluate_bootstrap("bootstrap-upload-dev", config)
