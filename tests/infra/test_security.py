"""Least privilege and secure defaults, checked on every policy document of every stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.iam import RESOURCELESS_ACTIONS
from components.naming import topic_arn
from components.settings import load_settings
from local.program import REPO_ROOT, Evaluation, Resource, config_file_for, load_config
from policy import rules
from services.contracts.catalogue import SERVICES
from tests.infra.conftest import STACKS, as_list, evaluated, policy_documents, statements
from tests.policy.conftest import resource_checks

KEY_POLICY_TYPES = {"aws:kms/key:Key"}
TLS_POLICY_TYPES = {rules.QUEUE_POLICY, rules.TOPIC_POLICY}


def account_of(stack: str) -> str:
    service = stack.split("-")[0]
    return str(load_config(config_file_for(stack))["marketplace:accounts"][service])


def declared_producer_topics(stack: str) -> set[str]:
    """ARNs of the topics this stack's service subscribes to (the only foreign resources)."""
    service, env = stack.split("-")
    values = {k.split(":", 1)[1]: v for k, v in load_config(config_file_for(stack)).items()}
    settings = load_settings(env, values.get)
    return {topic_arn(settings, producer) for producer in SERVICES[service].consumes}


def allow_statements(evaluation: Evaluation) -> list[tuple[Resource, dict[str, Any]]]:
    return [
        (resource, statement)
        for resource, document in policy_documents(evaluation)
        for statement in statements(document)
        if statement["Effect"] == "Allow"
    ]


@pytest.mark.parametrize("stack_name", STACKS)
def test_no_policy_allows_wildcard_actions(stack_name: str) -> None:
    for resource, statement in allow_statements(evaluated(stack_name)):
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), f"{resource.urn}: allows {action}"


@pytest.mark.parametrize("stack_name", STACKS)
def test_every_resource_arn_is_in_the_stacks_own_account(stack_name: str) -> None:
    account = account_of(stack_name)
    foreign_allowed = declared_producer_topics(stack_name)
    for resource, statement in allow_statements(evaluated(stack_name)):
        for arn in as_list(statement.get("Resource", [])):
            if arn == "*":
                assert (
                    resource.type in KEY_POLICY_TYPES
                    or set(as_list(statement["Action"])) <= RESOURCELESS_ACTIONS
                ), f"{resource.urn}: resource * for {statement['Action']}"
            elif arn.startswith("arn:aws:s3:::"):
                bucket = arn.split(":::")[1].split("/")[0]
                assert bucket.endswith(f"-{account}"), f"{resource.urn}: foreign bucket {arn}"
            elif arn not in foreign_allowed:
                assert arn.split(":")[4] == account, f"{resource.urn}: {arn} is outside {account}"


@pytest.mark.parametrize("stack_name", STACKS)
def test_principals_are_own_account_or_declared_consumers(stack_name: str) -> None:
    # The invariant is the policy pack's (policy/rules.py), stated once; here it must hold on
    # every resource, and it must be the one that sees foreign principals at all.
    evaluation = evaluated(stack_name)
    foreign = 0
    for _, props, context in resource_checks(evaluation):
        assert list(rules.principal_problems(props, context.stack)) == [], props
        for _, document in rules.policy_documents(props):
            for statement in rules.statements(document):
                principals = (statement.get("Principal") or {}).get("AWS", [])
                arns = [rules.ARN.match(str(p)) for p in as_list(principals)]
                foreign += sum(bool(m) and m["account"] != account_of(stack_name) for m in arns)
    producer = bool(SERVICES[stack_name.split("-")[0]].publishes)
    assert (foreign > 0) == producer  # consumer accounts appear only in producers' topics


@pytest.mark.parametrize("stack_name", STACKS)
def test_function_roles_trust_only_lambda_on_behalf_of_own_account(stack_name: str) -> None:
    for role in evaluated(stack_name).of_type("aws:iam/role:Role"):
        [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}, role.urn
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == account_of(stack_name)


@pytest.mark.parametrize("stack_name", STACKS)
def test_buckets_block_public_access_encrypt_and_require_tls(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    for bucket in evaluation.of_type("aws:s3/bucket:Bucket"):
        name = bucket.outputs["bucket"]
        related = [r for r in evaluation.resources if r.inputs.get("bucket") == name]
        by_type = {r.type: r for r in related}
        block = by_type["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"].inputs
        assert all(
            block[k]
            for k in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
        sse = by_type[
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        ]
        assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in (
            "AES256",
            "aws:kms",
        )
        policy = json.loads(by_type["aws:s3/bucketPolicy:BucketPolicy"].inputs["policy"])
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in policy["Statement"]
        ), f"{bucket.urn}: no TLS-only statement"


def delivered_queues(evaluation: Evaluation) -> list[Resource]:
    """Queues an SNS subscription or an S3 notification delivers to (so need a policy)."""
    arns = {
        s.inputs["endpoint"]
        for s in evaluation.of_type(rules.TOPIC_SUBSCRIPTION)
        if s.inputs["protocol"] == "sqs"
    }
    arns |= {
        target["queueArn"]
        for n in evaluation.of_type(rules.BUCKET_NOTIFICATION)
        for target in n.inputs["queues"]
    }
    return [q for q in evaluation.of_type(rules.QUEUE) if q.outputs["arn"] in arns]


@pytest.mark.parametrize("stack_name", STACKS)
def test_queues_and_topics_require_tls(stack_name: str) -> None:
    # GIVEN the stack's queue and topic policies, as the policy pack receives them
    evaluation = evaluated(stack_name)
    checks = [c for c in resource_checks(evaluation) if c[0] in TLS_POLICY_TYPES]
    # THEN every queue SNS or S3 delivers to, and the events topic, has one
    covered = {props.get("queueUrl") or props.get("arn") for _, props, _ in checks}
    for queue in delivered_queues(evaluation):
        assert queue.outputs["url"] in covered, f"{queue.urn}: no queue policy"
    if SERVICES[stack_name.split("-")[0]].publishes:
        [events] = [
            t for t in evaluation.of_type(rules.TOPIC) if t.inputs["name"].endswith("-events")
        ]
        assert events.outputs["arn"] in covered, f"{events.urn}: no topic policy"
    # AND each denies requests without TLS, by the policy pack's own rule
    for check in checks:
        assert rules.queue_and_topic_policies_tls_only(*check) == [], check[2].urn


@pytest.mark.parametrize("stack_name", STACKS)
def test_every_aws_resource_uses_the_stacks_explicit_provider(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    [provider] = evaluation.of_type("pulumi:providers:aws")
    for resource in evaluation.resources:
        if resource.custom and resource.type.startswith("aws:"):
            assert resource.provider and f"::{provider.name}::" in resource.provider, resource.urn


@pytest.mark.parametrize("stack_name", STACKS)
def test_provider_assumes_the_deploy_role_in_the_services_account(stack_name: str) -> None:
    [provider] = evaluated(stack_name).of_type("pulumi:providers:aws")
    account = account_of(stack_name)
    roles = json.loads(provider.inputs["assumeRoles"])
    assert roles[0]["roleArn"] == f"arn:aws:iam::{account}:role/marketplace-deploy"
    assert json.loads(provider.inputs["allowedAccountIds"]) == [account]
    assert provider.inputs["region"] == "eu-west-1"


def test_project_disables_default_providers() -> None:
    project = yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())
    assert project["config"]["pulumi:disable-default-providers"]["value"] == ["*"]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_environment_files_hold_no_secrets(env: str) -> None:
    text = (REPO_ROOT / f"Pulumi.{env}.yaml").read_text()
    assert "PRIVATE KEY" not in text
    assert "secure:" not in text
