"""Least privilege and secure defaults on every stack, judged by the policy pack's rules.

The invariants are implemented once, in ``policy/rules.py``; ``tools.audit`` runs them over the
evaluated stacks. Here the audit runs them on the six committed stacks (nothing is reported),
and on a copy of upload-dev broken in one place per invariant (the rule reports it), so each
check is shown to look at the real program's resources, not at an empty list.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components import aws_types
from local.program import Evaluation, Resource
from policy import rules
from services.contracts.catalogue import SERVICES
from tests.infra.conftest import LAMBDA_STACKS, STACKS, evaluated
from tests.policy.conftest import context_of, resource_checks
from tools import audit

FOREIGN = "999999999999"
SECURITY_RULES = (
    "iam-no-wildcard-actions",
    "iam-resource-star-resourceless-only",
    "own-account-only",
    "iam-role-trusts-lambda-own-account",
    "aws-provider-deploy-role",
    "aws-one-explicit-provider",
    "s3-public-access-blocked",
    "s3-default-encryption",
    "s3-policy-tls-only",
    "s3-bucket-protected",
    "sqs-sns-policy-tls-only",
)


def security_findings(evaluation: Evaluation) -> list[audit.Finding]:
    """What the audit reports on ``evaluation`` under the security rules."""
    _, findings = audit.policy_findings(evaluation, context_of(evaluation.stack))
    return [f for f in findings if f.check in SECURITY_RULES]


def test_security_rules_are_rules_of_the_policy_pack() -> None:
    assert set(SECURITY_RULES) <= {rule.name for rule in rules.RULES}


@pytest.mark.parametrize("stack_name", STACKS)
def test_committed_stack_keeps_every_security_invariant(stack_name: str) -> None:
    assert security_findings(evaluated(stack_name)) == []


# --- a copy of upload-dev broken in one place per invariant -----------------------------------


def first(evaluation: Evaluation, type_token: str) -> Resource:
    return evaluation.of_type(type_token)[0]


def edit_policy(resource: Resource, key: str, edit: Callable[[list[Any]], None]) -> None:
    """Edit the statements of ``resource``'s JSON document ``key`` in place."""
    document = json.loads(resource.inputs[key])
    edit(document["Statement"])
    resource.inputs[key] = json.dumps(document)


def grant(statement: dict[str, Any]) -> Callable[[Evaluation], None]:
    """Append ``statement`` to the first function role policy."""

    def apply(evaluation: Evaluation) -> None:
        role_policy = first(evaluation, aws_types.ROLE_POLICY)
        edit_policy(role_policy, "policy", lambda body: body.append(statement))

    return apply


def allow(action: str, resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def drop_tls_deny(type_token: str) -> Callable[[Evaluation], None]:
    def apply(evaluation: Evaluation) -> None:
        def without_deny(body: list[Any]) -> None:
            body[:] = [s for s in body if s["Effect"] != "Deny"]

        edit_policy(first(evaluation, type_token), "policy", without_deny)

    return apply


def trusted_for_another_account(evaluation: Evaluation) -> None:
    def foreign(body: list[Any]) -> None:
        body[0]["Condition"]["StringEquals"]["aws:SourceAccount"] = FOREIGN

    edit_policy(first(evaluation, aws_types.ROLE), "assumeRolePolicy", foreign)


def topic_open_to_a_foreign_account(evaluation: Evaluation) -> None:
    principal = {"AWS": f"arn:aws:iam::{FOREIGN}:root"}
    statement = allow("sns:Subscribe", "*", Principal=principal)
    edit_policy(first(evaluation, aws_types.TOPIC_POLICY), "policy", lambda b: b.append(statement))


def provider_assumes(role: str) -> Callable[[Evaluation], None]:
    def apply(evaluation: Evaluation) -> None:
        provider = first(evaluation, aws_types.AWS_PROVIDER)
        provider.inputs["assumeRoles"] = json.dumps([{"roleArn": role}])

    return apply


def provider_for_another_account(evaluation: Evaluation) -> None:
    first(evaluation, aws_types.AWS_PROVIDER).inputs["allowedAccountIds"] = json.dumps([FOREIGN])


def second_provider(evaluation: Evaluation) -> None:
    provider = first(evaluation, aws_types.AWS_PROVIDER)
    evaluation.resources.append(replace(provider, urn=f"{provider.urn}-2", name="second"))


def queue_without_provider(evaluation: Evaluation) -> None:
    first(evaluation, aws_types.QUEUE).provider = None


def public_access_half_off(evaluation: Evaluation) -> None:
    first(evaluation, aws_types.PUBLIC_ACCESS_BLOCK).inputs["blockPublicPolicy"] = False


def unencrypted_bucket(evaluation: Evaluation) -> None:
    first(evaluation, aws_types.BUCKET_SSE).inputs["rules"] = []


def bucket_without_public_access_block(evaluation: Evaluation) -> None:
    block = first(evaluation, aws_types.PUBLIC_ACCESS_BLOCK)
    evaluation.resources.remove(block)


BREAKS: list[Any] = [
    pytest.param("iam-no-wildcard-actions", grant(allow("s3:*", "arn:aws:s3:::b")), id="s3:*"),
    pytest.param(
        "iam-resource-star-resourceless-only",
        grant(allow("dynamodb:GetItem", "*")),
        id="table-read-on-resource-*",
    ),
    pytest.param(
        "own-account-only",
        grant(allow("dynamodb:GetItem", f"arn:aws:dynamodb:eu-west-1:{FOREIGN}:table/t")),
        id="foreign-table",
    ),
    pytest.param(
        "own-account-only",
        grant(allow("s3:GetObject", f"arn:aws:s3:::marketplace-x-{FOREIGN}/*")),
        id="foreign-bucket",
    ),
    pytest.param("own-account-only", topic_open_to_a_foreign_account, id="foreign-principal"),
    pytest.param("own-account-only", provider_for_another_account, id="provider-foreign-account"),
    pytest.param("own-account-only", queue_without_provider, id="resource-without-provider"),
    pytest.param(
        "iam-role-trusts-lambda-own-account", trusted_for_another_account, id="role-trust"
    ),
    pytest.param(
        "aws-provider-deploy-role",
        provider_assumes("arn:aws:iam::111111111111:role/administrator"),
        id="provider-not-deploy-role",
    ),
    pytest.param("aws-one-explicit-provider", second_provider, id="two-providers"),
    pytest.param("s3-public-access-blocked", public_access_half_off, id="public-policy-allowed"),
    pytest.param("s3-default-encryption", unencrypted_bucket, id="bucket-unencrypted"),
    pytest.param("s3-policy-tls-only", drop_tls_deny(aws_types.BUCKET_POLICY), id="bucket-tls"),
    pytest.param("s3-bucket-protected", bucket_without_public_access_block, id="bucket-no-block"),
    pytest.param("sqs-sns-policy-tls-only", drop_tls_deny(aws_types.QUEUE_POLICY), id="queue-tls"),
    pytest.param("sqs-sns-policy-tls-only", drop_tls_deny(aws_types.TOPIC_POLICY), id="topic-tls"),
]


@pytest.mark.parametrize(("rule", "breaks"), BREAKS)
def test_upload_dev_broken_in_one_place_is_reported_by_its_rule(
    rule: str, breaks: Callable[[Evaluation], None]
) -> None:
    # GIVEN upload-dev broken in one place
    broken = copy.deepcopy(evaluated("upload-dev"))
    breaks(broken)
    # WHEN audited
    findings = security_findings(broken)
    # THEN the invariant's rule reports it, naming the fix
    assert {f.check for f in findings} >= {rule}, findings
    assert all("Fix:" in f.message for f in findings)


# --- coverage: the resources the rules must see are there ------------------------------------


def delivered_queues(evaluation: Evaluation) -> list[Resource]:
    """Queues an SNS subscription or an S3 notification delivers to (so need a policy)."""
    arns = {
        s.inputs["endpoint"]
        for s in evaluation.of_type(aws_types.TOPIC_SUBSCRIPTION)
        if s.inputs["protocol"] == "sqs"
    }
    arns |= {
        target["queueArn"]
        for n in evaluation.of_type(aws_types.BUCKET_NOTIFICATION)
        for target in n.inputs["queues"]
    }
    return [q for q in evaluation.of_type(aws_types.QUEUE) if q.outputs["arn"] in arns]


@pytest.mark.parametrize("stack_name", STACKS)
def test_queues_delivered_to_and_the_events_topic_have_a_policy(stack_name: str) -> None:
    # GIVEN the stack's queue and topic policies, as the policy pack receives them
    evaluation = evaluated(stack_name)
    policy_types = (aws_types.QUEUE_POLICY, aws_types.TOPIC_POLICY)
    checks = [c for c in resource_checks(evaluation) if c[0] in policy_types]
    # THEN every queue SNS or S3 delivers to, and the events topic, has one (whose TLS deny
    # the rule "sqs-sns-policy-tls-only" checks above)
    covered = {props.get("queueUrl") or props.get("arn") for _, props, _ in checks}
    for queue in delivered_queues(evaluation):
        assert queue.outputs["url"] in covered, f"{queue.urn}: no queue policy"
    if SERVICES[stack_name.split("-")[0]].publishes:
        [events] = [
            t for t in evaluation.of_type(aws_types.TOPIC) if t.inputs["name"].endswith("-events")
        ]
        assert events.outputs["arn"] in covered, f"{events.urn}: no topic policy"


@pytest.mark.parametrize("stack_name", STACKS)
def test_foreign_principals_appear_only_in_producers_topics(stack_name: str) -> None:
    # GIVEN every principal of every policy document of the stack
    account = context_of(stack_name).account
    foreign = 0
    for _, props, _ in resource_checks(evaluated(stack_name)):
        for _, document in rules.policy_documents(props):
            for statement in rules.statements(document):
                principals = (statement.get("Principal") or {}).get("AWS", [])
                for principal in principals if isinstance(principals, list) else [principals]:
                    match = rules.ARN.match(str(principal))
                    foreign += bool(match) and match["account"] != account
    # THEN consumer accounts appear (so the principal rule had something to judge) exactly
    # where a producer grants them its topic
    producer = bool(SERVICES[stack_name.split("-")[0]].publishes)
    assert (foreign > 0) == producer


@pytest.mark.parametrize("stack_name", STACKS)
def test_every_stack_has_roles_buckets_and_a_provider_for_the_rules_to_judge(
    stack_name: str,
) -> None:
    evaluation = evaluated(stack_name)
    if stack_name in LAMBDA_STACKS:
        assert evaluation.of_type(aws_types.ROLE) and evaluation.of_type(aws_types.ROLE_POLICY)
    assert len(evaluation.of_type(aws_types.AWS_PROVIDER)) == 1
    if stack_name.startswith(("upload", "web")):
        assert evaluation.of_type(aws_types.BUCKET)


# --- the project's files (no stack's policy pack sees them) ------------------------------------


def test_project_files_pass_the_project_checks() -> None:
    runs, findings = audit.project_findings(["dev", "prod"])
    assert (runs, findings) == (3, [])


def test_project_checks_report_default_providers_and_secrets(tmp_path: Path) -> None:
    # GIVEN a project with default providers enabled and a key in an environment file
    (tmp_path / "Pulumi.yaml").write_text("name: marketplace\nconfig: {}\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  k: '-----BEGIN PRIVATE KEY-----'\n")
    # WHEN checked
    _, findings = audit.project_findings(["dev"], root=tmp_path)
    # THEN both are reported
    assert [f.check for f in findings] == list(audit.PROJECT_CHECKS)
    assert "PRIVATE KEY" in findings[1].message
