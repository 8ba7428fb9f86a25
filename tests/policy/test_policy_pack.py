"""The policy pack, offline: the committed stacks pass every rule, bad resources are rejected.

Rules are plain functions (policy/rules.py), run here on the six stacks evaluated under
mocks; the pack (policy/__main__.py) is driven through pulumi_policy's own classes and, at
the end, started the way the Pulumi engine starts it and asked over gRPC.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from components import aws_types
from local.program import REPO_ROOT, config_file_for, load_config
from policy import rules
from policy.rules import (
    RULES,
    UNKNOWN,
    ResourceContext,
    StackResource,
    Violation,
)
from tests.infra.conftest import STACKS, evaluated
from tests.policy.conftest import context_of, resource_checks, stack_resources

RULE = {rule.name: rule for rule in RULES}
UPLOAD = context_of("upload-dev")
CATALOG = context_of("catalog-dev")
OWN_PROVIDER = {"allowedAccountIds": json.dumps([UPLOAD.account])}
TAGS = {"service": "upload", "env": "dev", "team": UPLOAD.team}
BAD = "deliberately-bad"
FOREIGN = "999999999999"
FUNCTION_ARN_PREFIX = f"arn:aws:lambda:eu-west-1:{UPLOAD.account}:function"


def document(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal: Mapping[str, Any], condition: Mapping[str, Any] | None = None) -> str:
    """A trust policy: ``principal`` may assume the role (under ``condition``)."""
    extra = {"Condition": condition} if condition else {}
    return document(allow("sts:AssumeRole", Principal=principal, **extra))


def run_rule(name: str, evaluation_stack: str) -> list[str]:
    rule = RULE[name]
    evaluation = evaluated(evaluation_stack)
    if rule.stack_level:
        violations = rule.check(stack_resources(evaluation), context_of(evaluation_stack))
        return [v.message for v in violations]
    return [m for args in resource_checks(evaluation) for m in rule.check(*args)]


# --- the project's own stacks pass every rule ------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("rule", [r.name for r in RULES])
def test_policy_rule_passes_on_committed_stack(rule: str, stack: str) -> None:
    # WHEN the rule runs on every resource of the committed stack (evaluated under mocks)
    violations = run_rule(rule, stack)
    # THEN nothing is reported
    assert violations == []


def test_policy_rules_have_unique_kebab_case_names() -> None:
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in names), names


def test_policy_taggable_types_cover_every_type_the_program_tags() -> None:
    resources = [r for stack in STACKS for r in evaluated(stack).resources]
    tagged = {r.type for r in resources if "tagsAll" in r.inputs}
    assert tagged <= rules.TAGGABLE_TYPES, tagged - rules.TAGGABLE_TYPES


# --- a deliberately bad resource of each kind is rejected ------------------------------------

PAB = rules.PUBLIC_ACCESS_BLOCK
SSE = next(iter(sorted(rules.SSE_TYPES)))
TOPIC_POLICY = aws_types.TOPIC_POLICY
QUEUE_POLICY = aws_types.QUEUE_POLICY
ROLE_POLICY = aws_types.ROLE_POLICY
UPLOAD_TOPIC = f"arn:aws:sns:eu-west-1:{UPLOAD.account}:marketplace-dev-upload-events"

BAD_RESOURCES = [
    pytest.param(
        "s3-public-access-blocked",
        PAB,
        {"bucket": "b", "blockPublicAcls": True, "blockPublicPolicy": False,
         "ignorePublicAcls": True, "restrictPublicBuckets": True},
        "blockPublicPolicy",
        id="public-access-block-half-off",
    ),
    pytest.param("s3-default-encryption", SSE, {"bucket": "b", "rules": []}, "sse_algorithm",
                 id="bucket-without-default-encryption"),
    pytest.param(
        "s3-policy-tls-only",
        rules.BUCKET_POLICY,
        {"bucket": "b", "policy": document(allow(
            "s3:GetObject", "arn:aws:s3:::b/*", Principal={"Service": "cloudfront.amazonaws.com"})
        )},
        "aws:SecureTransport",
        id="bucket-policy-without-tls-deny",
    ),
    pytest.param("sqs-queue-encrypted", rules.QUEUE,
                 {"name": "q", "sqsManagedSseEnabled": False, "tags": TAGS},
                 "sqs_managed_sse_enabled", id="unencrypted-queue"),
    pytest.param(
        "lambda-event-source-batch-failures",
        rules.EVENT_SOURCE_MAPPING,
        {"eventSourceArn": f"arn:aws:sqs:eu-west-1:{UPLOAD.account}:q", "functionName": "f",
         "tags": TAGS},
        "ReportBatchItemFailures",
        id="queue-mapping-without-partial-failures",
    ),
    pytest.param(
        "lambda-event-source-batch-failures",
        rules.EVENT_SOURCE_MAPPING,
        {"eventSourceArn": f"arn:aws:dynamodb:eu-west-1:{UPLOAD.account}:table/t/stream/1",
         "functionResponseTypes": ["ReportBatchItemFailures"],
         "startingPosition": "TRIM_HORIZON", "tags": TAGS},
        "destination_config.on_failure",
        id="stream-mapping-without-on-failure",
    ),
    pytest.param("sns-topic-encrypted", rules.TOPIC, {"name": "t", "tags": TAGS},
                 "kms_master_key_id", id="unencrypted-topic"),
    pytest.param(
        "sqs-sns-policy-tls-only",
        QUEUE_POLICY,
        {"queueUrl": "u", "policy": document(
            allow("sqs:SendMessage", "*", Principal={"Service": "sns.amazonaws.com"}),
            {"Effect": "Deny", "Action": "sqs:*", "Resource": "*", "Principal": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "true"}}})},
        '"aws:SecureTransport": "false"',
        id="queue-policy-denying-only-tls-requests",
    ),
    pytest.param(
        "sqs-sns-policy-tls-only",
        TOPIC_POLICY,
        {"arn": UPLOAD_TOPIC, "policy": document(
            allow("sns:Publish", UPLOAD_TOPIC, Principal={"AWS": UPLOAD.account}),
            {"Effect": "Deny", "Action": "sns:Publish", "Resource": UPLOAD_TOPIC,
             "Principal": "*", "Condition": {"StringNotEquals": {"aws:SourceAccount": "1"}}})},
        "Deny statement for sns:Publish",
        id="topic-policy-whose-deny-is-not-about-tls",
    ),
    pytest.param(
        "dynamodb-table-pitr-and-encryption",
        rules.TABLE,
        {"name": "t", "serverSideEncryption": {"enabled": True}, "tags": TAGS},
        "point_in_time_recovery",
        id="table-without-pitr",
    ),
    pytest.param(
        "dynamodb-table-pitr-and-encryption",
        rules.TABLE,
        {"name": "t", "pointInTimeRecovery": {"enabled": True},
         "serverSideEncryption": {"enabled": False}, "tags": TAGS},
        "server_side_encryption",
        id="table-without-sse",
    ),
    pytest.param("lambda-function-arm64", rules.FUNCTION,
                 {"name": "f", "architectures": ["x86_64"], "tags": TAGS},
                 'architectures=["arm64"]', id="x86-function"),
    pytest.param("lambda-function-arm64", rules.FUNCTION, {"name": "f", "tags": TAGS},
                 "default (x86_64)", id="function-with-default-architecture"),
    pytest.param("cloudwatch-log-group-retention", rules.LOG_GROUP,
                 {"name": "/aws/lambda/f", "tags": TAGS}, "retention_in_days",
                 id="log-group-kept-forever"),
    pytest.param("iam-no-wildcard-actions", ROLE_POLICY,
                 {"role": "r", "policy": document(allow("s3:*", "arn:aws:s3:::b/*"))},
                 "'s3:*'", id="service-wildcard-action"),
    pytest.param("iam-no-wildcard-actions", ROLE_POLICY,
                 {"role": "r", "policy": document(allow(["sqs:SendMessage", "*"]))},
                 "allows '*'", id="star-action"),
    pytest.param("iam-no-wildcard-actions", rules.ROLE,
                 {"name": "r", "tags": TAGS, "inlinePolicies": [
                     {"name": "p", "policy": json.dumps({"Statement": [
                         {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]})}]},
                 "NotAction", id="allow-not-action"),
    pytest.param("iam-no-wildcard-actions", rules.ROLE_POLICY_ATTACHMENT,
                 {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
                 "AdministratorAccess", id="administrator-access-attached"),
    pytest.param("required-tags", rules.QUEUE, {"name": "q", "sqsManagedSseEnabled": True},
                 "missing tags service, env, team", id="untagged-queue"),
    pytest.param("required-tags", rules.QUEUE,
                 {"name": "q", "tags": {**TAGS, "team": "team-catalog"}},
                 "team='team-catalog'", id="queue-tagged-with-another-team"),
    pytest.param(
        "own-account-only",
        ROLE_POLICY,
        {"role": "r", "policy": document(allow(
            "dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:222222222222:table/other"))},
        "outside account",
        id="policy-on-another-accounts-table",
    ),
    pytest.param(
        "own-account-only",
        ROLE_POLICY,
        {"role": "r", "policy": document(allow(
            "s3:GetObject", "arn:aws:s3:::marketplace-dev-catalog-x-222222222222/*"))},
        "outside account",
        id="policy-on-another-accounts-bucket",
    ),
    pytest.param("own-account-only", rules.AWS_PROVIDER,
                 {"allowedAccountIds": json.dumps([FOREIGN])}, "allowed_account_ids",
                 id="provider-for-another-account"),
    pytest.param(
        "own-account-only",
        rules.AWS_PROVIDER,
        {"allowedAccountIds": json.dumps([UPLOAD.account]),
         "assumeRoles": json.dumps([{"roleArn": f"arn:aws:iam::{FOREIGN}:role/x"}])},
        "assume the deployment role",
        id="provider-assuming-a-foreign-role",
    ),
    pytest.param(
        "own-account-only",
        TOPIC_POLICY,
        {"arn": UPLOAD_TOPIC, "policy": document(allow(
            "sns:Subscribe", UPLOAD_TOPIC, Principal={"AWS": f"arn:aws:iam::{FOREIGN}:root"}))},
        f"grants arn:aws:iam::{FOREIGN}:root",
        id="topic-subscribable-by-an-undeclared-account",
    ),
    pytest.param(
        "own-account-only",
        TOPIC_POLICY,
        {"arn": UPLOAD_TOPIC, "policy": document(allow(
            "sns:Publish", UPLOAD_TOPIC,
            Principal={"AWS": f"arn:aws:iam::{CATALOG.account}:root"}))},
        "only sns:Subscribe",
        id="consumer-account-allowed-to-publish",
    ),
    pytest.param(
        "own-account-only",
        QUEUE_POLICY,
        {"queueUrl": "u", "policy": document(allow("sqs:SendMessage", "*", Principal="*"))},
        "any principal",
        id="queue-open-to-everyone",
    ),
    pytest.param("iam-resource-star-resourceless-only", ROLE_POLICY,
                 {"role": "r", "policy": document(allow("dynamodb:GetItem", "*"))},
                 "['dynamodb:GetItem'] on resource '*'", id="table-read-on-any-resource"),
    pytest.param("iam-resource-star-resourceless-only", rules.ROLE,
                 {"name": "r", "tags": TAGS, "inlinePolicies": [{"name": "p", "policy": document(
                     allow(["xray:PutTraceSegments", "s3:GetObject"], ["arn:aws:s3:::b", "*"]))}]},
                 "['s3:GetObject']", id="resourceless-action-alongside-one-that-is-not"),
    pytest.param("iam-role-trusts-lambda-own-account", rules.ROLE,
                 {"name": "r", "tags": TAGS,
                  "assumeRolePolicy": trust({"AWS": f"arn:aws:iam::{FOREIGN}:root"})},
                 f"trusted by [{{'AWS': 'arn:aws:iam::{FOREIGN}:root'}}]",
                 id="role-trusted-by-another-account"),
    pytest.param("iam-role-trusts-lambda-own-account", rules.ROLE,
                 {"name": "r", "tags": TAGS, "assumeRolePolicy": trust(rules.LAMBDA_PRINCIPAL)},
                 "Lambda may assume it for None", id="lambda-role-without-source-account"),
    pytest.param("iam-role-trusts-lambda-own-account", rules.ROLE,
                 {"name": "r", "tags": TAGS, "assumeRolePolicy": trust(
                     rules.LAMBDA_PRINCIPAL, {"StringEquals": {"aws:SourceAccount": FOREIGN}})},
                 f"for {FOREIGN!r}", id="lambda-role-for-another-account"),
    pytest.param("aws-provider-deploy-role", rules.AWS_PROVIDER,
                 {"allowedAccountIds": json.dumps([UPLOAD.account]), "region": "eu-west-1"},
                 "assumes [], not exactly", id="provider-without-deploy-role"),
    pytest.param("aws-provider-deploy-role", rules.AWS_PROVIDER,
                 {"assumeRoles": json.dumps([{"roleArn": f"arn:aws:iam::{UPLOAD.account}:role/x"}]),
                  "region": "eu-west-1"},
                 "role/marketplace-deploy'", id="provider-assuming-another-own-role"),
    pytest.param("aws-provider-deploy-role", rules.AWS_PROVIDER,
                 {"assumeRoles": json.dumps([{"roleArn": UPLOAD.deploy_role}]),
                  "region": "us-east-1"},
                 "region 'us-east-1'", id="provider-in-another-region"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "resource_type", "props", "fix"), BAD_RESOURCES)
def test_policy_rule_rejects_bad_resource_naming_it_and_the_fix(
    rule: str, resource_type: str, props: dict[str, Any], fix: str
) -> None:
    # GIVEN a resource that breaks the rule, in upload-dev
    context = ResourceContext(name=BAD, stack=UPLOAD, provider=OWN_PROVIDER)
    # WHEN the rule checks it
    messages = RULE[rule].check(resource_type, props, context)
    # THEN it is rejected; the message names the resource and says how to fix it
    assert messages, f"{rule} accepted {props}"
    assert all(m.startswith(f"{BAD} ({resource_type})") and "Fix:" in m for m in messages)
    assert any(fix in m for m in messages), messages


def test_policy_own_account_rejects_subscription_to_an_undeclared_foreign_topic() -> None:
    # GIVEN catalog subscribing to an upload topic it does not declare in the catalogue
    topic = f"arn:aws:sns:eu-west-1:{UPLOAD.account}:marketplace-dev-upload-alarms"
    props = {"topic": topic, "protocol": "sqs", "endpoint": "arn:aws:sqs:eu-west-1:1:q"}
    context = ResourceContext(
        name=BAD, stack=CATALOG, provider={"allowedAccountIds": [CATALOG.account]}
    )
    # WHEN checked, THEN only the declared producer topic may be foreign
    [message] = RULE["own-account-only"].check(rules.TOPIC_SUBSCRIPTION, props, context)
    assert f"{BAD} (" in message and topic in message and "Fix:" in message
    declared = {
        **props,
        "topic": UPLOAD_TOPIC,
        "endpoint": f"arn:aws:sqs:eu-west-1:{CATALOG.account}:q",
    }
    assert RULE["own-account-only"].check(rules.TOPIC_SUBSCRIPTION, declared, context) == []


@pytest.mark.parametrize(
    ("provider", "fix"),
    [(None, "no provider known"), ({"allowedAccountIds": [FOREIGN]}, "its provider allows")],
)
def test_policy_own_account_rejects_resource_deployed_elsewhere(
    provider: dict[str, Any] | None, fix: str
) -> None:
    context = ResourceContext(name=BAD, stack=UPLOAD, provider=provider)
    messages = RULE["own-account-only"].check(rules.QUEUE, {"name": "q"}, context)
    assert any(m.startswith(f"{BAD} (") and fix in m and "Fix:" in m for m in messages)


def test_policy_kms_key_policy_may_name_resource_star() -> None:
    # GIVEN a key policy (there "*" means the key itself)
    props = {"policy": document(allow("kms:Decrypt", "*", Principal={"AWS": UPLOAD.account}))}
    context = ResourceContext(name=BAD, stack=UPLOAD, provider=OWN_PROVIDER)
    rule = RULE["iam-resource-star-resourceless-only"]
    # THEN it passes on a key, and the same document fails on a role policy
    assert rule.check(rules.KMS_KEY, props, context) == []
    assert rule.check(ROLE_POLICY, props, context) != []


@pytest.mark.parametrize("count", [0, 2])
def test_policy_stack_without_exactly_one_provider_is_rejected(count: int) -> None:
    # GIVEN a queue and no provider, or two
    queue = StackResource(type=rules.QUEUE, name="q", props={})
    providers = [StackResource(type=rules.AWS_PROVIDER, name=f"p{i}", props={}) for i in range(3)]
    rule = RULE["aws-one-explicit-provider"]
    # WHEN the stack rule checks it
    [violation] = rule.check([queue, *providers[:count]], UPLOAD)
    # THEN it says how many there are and how to fix it; exactly one passes
    assert f"{count} AWS providers" in violation.message and "Fix:" in violation.message
    assert rule.check([queue, providers[0]], UPLOAD) == []


# --- stack rules: resources that must come together ------------------------------------------


def bucket(name: str = BAD, **props: Any) -> StackResource:
    return StackResource(
        aws_types.BUCKET,
        name,
        {"bucket": f"marketplace-dev-upload-x-{UPLOAD.account}", **props},
        urn=f"urn:{name}",
    )


def companion(
    resource_type: str, name: str, bucket_value: Any, depends_on: str = ""
) -> StackResource:
    dependencies = {"bucket": (depends_on,)} if depends_on else {}
    props: dict[str, Any] = {"bucket": bucket_value}
    if resource_type == rules.BUCKET_POLICY:
        props["policy"] = document(
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Principal": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    return StackResource(
        resource_type, name, props, urn=f"urn:{name}", property_dependencies=dependencies
    )


def test_policy_bucket_without_companions_is_rejected_naming_what_is_missing() -> None:
    # GIVEN a bare bucket, WHEN the stack is checked
    [violation] = RULE["s3-bucket-protected"].check([bucket()], UPLOAD)
    # THEN the bucket is named with each missing piece and the component that adds them
    assert violation.urn == f"urn:{BAD}"
    for missing in ("public access block", "default encryption", "TLS-only bucket policy"):
        assert missing in violation.message
    assert violation.message.startswith(f"{BAD} (") and "Fix:" in violation.message
    assert "PrivateBucket" in violation.message


def test_policy_bucket_companions_found_by_property_dependency_during_preview() -> None:
    # GIVEN companions whose `bucket` input is unknown (the bucket is new: preview) and
    # linked only by the engine's property dependencies
    lone = bucket()
    resources = [
        lone,
        companion(PAB, "pab", UNKNOWN, depends_on=lone.urn),
        companion(SSE, "sse", UNKNOWN, depends_on=lone.urn),
    ]
    # WHEN checked, THEN only the missing TLS policy is reported
    [violation] = RULE["s3-bucket-protected"].check(resources, UPLOAD)
    assert "TLS-only bucket policy" in violation.message
    assert "public access block" not in violation.message
    resources.append(companion(rules.BUCKET_POLICY, "policy", UNKNOWN, depends_on=lone.urn))
    assert RULE["s3-bucket-protected"].check(resources, UPLOAD) == []


def queue(name: str, **props: Any) -> StackResource:
    arn = f"arn:aws:sqs:eu-west-1:{UPLOAD.account}:{name}"
    return StackResource(rules.QUEUE, name, {"name": name, "arn": arn, **props}, urn=f"urn:{name}")


def test_policy_queue_without_dlq_is_rejected() -> None:
    [violation] = RULE["sqs-queue-has-dlq"].check([queue(BAD)], UPLOAD)
    assert violation == Violation(f"urn:{BAD}", violation.message)
    assert violation.message.startswith(f"{BAD} (") and "no DLQ" in violation.message
    assert "redrive_policy" in violation.message


def test_policy_queue_with_incomplete_redrive_is_rejected() -> None:
    redrive = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:eu-west-1:1:x"})
    [violation] = RULE["sqs-queue-has-dlq"].check([queue(BAD, redrivePolicy=redrive)], UPLOAD)
    assert "maxReceiveCount" in violation.message and BAD in violation.message


def test_policy_dead_letter_and_failure_queues_need_no_dlq_themselves() -> None:
    # GIVEN a DLQ named in a queue's redrive policy only through a property dependency
    # (unknown ARN during preview), and a failure queue of a stream mapping
    dlq, failures = queue("work-dlq"), queue("stream-failures")
    work = StackResource(
        rules.QUEUE,
        "work",
        {"name": "work", "redrivePolicy": UNKNOWN},
        urn="urn:work",
        property_dependencies={"redrivePolicy": (dlq.urn,)},
    )
    mapping = StackResource(
        rules.EVENT_SOURCE_MAPPING,
        "mapping",
        {"destinationConfig": {"onFailure": {"destinationArn": failures.props["arn"]}}},
    )
    # THEN none of them is reported
    assert RULE["sqs-queue-has-dlq"].check([work, dlq, failures, mapping], UPLOAD) == []


def function(name: str = BAD, **props: Any) -> StackResource:
    physical = f"marketplace-dev-upload-{name}"
    arn = f"{FUNCTION_ARN_PREFIX}:{physical}"
    return StackResource(
        rules.FUNCTION, name, {"name": physical, "arn": arn, **props}, urn=f"urn:{name}"
    )


def test_policy_function_without_log_group_is_rejected() -> None:
    [violation] = RULE["lambda-function-log-group"].check([function()], UPLOAD)
    assert violation.message.startswith(f"{BAD} (") and "/aws/lambda/" in violation.message
    group = StackResource(
        rules.LOG_GROUP, "logs", {"name": f"/aws/lambda/marketplace-dev-upload-{BAD}"}
    )
    assert RULE["lambda-function-log-group"].check([function(), group], UPLOAD) == []


@pytest.mark.parametrize(
    "invoker",
    [
        StackResource(
            rules.PERMISSION,
            "s3-invoke",
            {"principal": "s3.amazonaws.com", "function": f"marketplace-dev-upload-{BAD}"},
        ),
        StackResource(
            rules.TOPIC_SUBSCRIPTION,
            "sns-invoke",
            {
                "protocol": "lambda",
                "endpoint": f"{FUNCTION_ARN_PREFIX}:marketplace-dev-upload-{BAD}",
            },
        ),
    ],
    ids=["s3-permission", "sns-lambda-subscription"],
)
def test_policy_asynchronous_function_without_failure_path_is_rejected(
    invoker: StackResource,
) -> None:
    # GIVEN a function invoked asynchronously, WHEN the stack is checked
    [violation] = RULE["lambda-async-failure-path"].check([function(), invoker], UPLOAD)
    # THEN the function and its invoker are named, with the two ways to fix it
    assert violation.message.startswith(f"{BAD} (") and invoker.name in violation.message
    assert "dead_letter_config" in violation.message and "on_failure" in violation.message
    # AND an on-failure destination satisfies the rule
    config = StackResource(
        rules.EVENT_INVOKE_CONFIG,
        "invoke-config",
        {
            "functionName": f"marketplace-dev-upload-{BAD}",
            "destinationConfig": {"onFailure": {"destination": "arn:aws:sqs:eu-west-1:1:q"}},
        },
    )
    assert RULE["lambda-async-failure-path"].check([function(), invoker, config], UPLOAD) == []


def test_policy_functions_behind_api_gateway_are_synchronous() -> None:
    invoker = StackResource(
        rules.PERMISSION,
        "api-invoke",
        {"principal": "apigateway.amazonaws.com", "function": f"marketplace-dev-upload-{BAD}"},
    )
    assert RULE["lambda-async-failure-path"].check([function(), invoker], UPLOAD) == []


# --- a committed stack with one piece taken away is rejected ---------------------------------


def test_policy_upload_stack_without_a_public_access_block_is_rejected() -> None:
    # GIVEN upload-dev with the originals bucket's public access block removed
    resources = [
        r
        for r in stack_resources(evaluated("upload-dev"))
        if r.name != "upload-originals-public-access-block"
    ]
    # WHEN checked, THEN exactly that bucket is reported
    violations = RULE["s3-bucket-protected"].check(resources, UPLOAD)
    assert [v.message.split(" ")[0] for v in violations] == ["upload-originals-bucket"]


def test_policy_catalog_stack_queue_without_redrive_is_rejected() -> None:
    # GIVEN catalog-dev with the redrive policy of its upload-events queue removed
    resources = [
        replace(r, props={k: v for k, v in r.props.items() if k != "redrivePolicy"})
        if r.name == "catalog-upload-events-work-queue"
        else r
        for r in stack_resources(evaluated("catalog-dev"))
    ]
    # WHEN checked, THEN that queue is reported (its DLQ, no longer targeted, too)
    violations = RULE["sqs-queue-has-dlq"].check(resources, CATALOG)
    names = sorted(v.message.split(" ")[0] for v in violations)
    assert names == ["catalog-upload-events-work-dlq", "catalog-upload-events-work-queue"]


# --- the pack: pulumi_policy objects around the rules ----------------------------------------

pack = importlib.import_module("policy.__main__")


def test_policy_pack_builds_one_mandatory_pulumi_policy_per_rule() -> None:
    # WHEN the pack's policies are built (without starting the analyzer server)
    policies = pack.build_policies(lambda: UPLOAD)
    # THEN each rule is one mandatory policy of the right kind
    assert [p.name for p in policies] == [r.name for r in RULES]
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in policies)
    for policy, rule in zip(policies, RULES, strict=True):
        expected = StackValidationPolicy if rule.stack_level else ResourceValidationPolicy
        assert isinstance(policy, expected), rule.name


def validate_resource(rule: str, resource_type: str, props: dict[str, Any]) -> list[str]:
    [policy] = [p for p in pack.build_policies(lambda: UPLOAD) if p.name == rule]
    reported: list[str] = []
    args = ResourceValidationArgs(
        resource_type, unknown_checking_proxy(props), f"urn:{BAD}", BAD,
        PolicyResourceOptions(False, [], None, [], None, [], None),
        PolicyProviderResource(rules.AWS_PROVIDER, unknown_checking_proxy(dict(OWN_PROVIDER)),
                               "urn:provider", "upload-dev"),
    )  # fmt: skip
    policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_policy_pack_reports_violations_through_pulumi_policy() -> None:
    reported = validate_resource("sqs-queue-encrypted", rules.QUEUE, {"name": "q", "tags": TAGS})
    assert len(reported) == 1 and reported[0].startswith(f"{BAD} (aws:sqs/queue:Queue)")


def test_policy_pack_skips_only_what_is_unknown_during_preview() -> None:
    # GIVEN a mapping whose source ARN is not known yet (a new queue, during preview)
    props = {"eventSourceArn": UNKNOWN_STRING_VALUE, "tags": TAGS,
             "functionResponseTypes": ["ReportBatchItemFailures"]}  # fmt: skip
    # WHEN validated, THEN the known parts are checked and nothing fails on the unknown one
    assert (
        validate_resource("lambda-event-source-batch-failures", rules.EVENT_SOURCE_MAPPING, props)
        == []
    )
    del props["functionResponseTypes"]
    [message] = validate_resource(
        "lambda-event-source-batch-failures", rules.EVENT_SOURCE_MAPPING, props
    )
    assert "ReportBatchItemFailures" in message


def test_policy_pack_stack_policy_follows_property_dependencies() -> None:
    # GIVEN pulumi_policy resources: a new bucket and a public access block pointing at it
    # only through the engine's property dependencies
    def resource(type_: str, name: str, props: dict[str, Any]) -> PolicyResource:
        return PolicyResource(type_, unknown_checking_proxy(props), f"urn:{name}", name,
                              PolicyResourceOptions(False, [], None, [], None, [], None),
                              None, None, [], {})  # fmt: skip

    new_bucket = resource(aws_types.BUCKET, BAD, {"bucket": UNKNOWN_STRING_VALUE})
    block = resource(PAB, "pab", {"bucket": UNKNOWN_STRING_VALUE})
    block.property_dependencies["bucket"] = [new_bucket]
    [policy] = [p for p in pack.build_policies(lambda: UPLOAD) if p.name == "s3-bucket-protected"]
    reported: list[tuple[str, str | None]] = []
    # WHEN the stack policy runs
    policy.validate(StackValidationArgs([new_bucket, block]),
                    lambda message, urn=None: reported.append((message, urn)))  # fmt: skip
    # THEN the bucket is reported at its URN, without the block it has
    [(message, urn)] = reported
    assert urn == f"urn:{BAD}" and "public access block" not in message
    assert "default encryption" in message


def test_policy_pack_plain_replaces_unknowns() -> None:
    proxied = unknown_checking_proxy({"a": UNKNOWN_STRING_VALUE, "b": [1, {"c": "x"}]})
    assert pack.plain(proxied) == {"a": UNKNOWN, "b": [1, {"c": "x"}]}


# --- the pack as the engine runs it ----------------------------------------------------------


@pytest.fixture
def analyzer() -> Any:
    """The pack started like `pulumi preview --policy-pack policy` starts it, for upload-dev."""
    config = load_config(config_file_for("upload-dev"))
    environment = {
        **os.environ,
        "PULUMI_PROJECT": "marketplace",
        "PULUMI_STACK": "upload-dev",
        "PULUMI_DRY_RUN": "true",
        "PULUMI_CONFIG": json.dumps(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
        ),
    }
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=REPO_ROOT / "policy",
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.stderr else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=10)


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def test_policy_pack_runs_under_the_engine_protocol_with_the_stacks_config(analyzer: Any) -> None:
    # WHEN the engine asks the pack what it enforces
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    # THEN every rule is there, mandatory
    assert info.name == "marketplace"
    assert [p.name for p in info.policies] == [r.name for r in RULES]
    assert {p.enforcementLevel for p in info.policies} == {analyzer_pb2.MANDATORY}
    # WHEN it analyzes a queue of upload-dev granting catalog's account more than Subscribe
    queue_arn = f"arn:aws:sqs:eu-west-1:{UPLOAD.account}:q"
    policy = document(allow("sqs:SendMessage", queue_arn, Principal={"AWS": CATALOG.account}))
    response = analyzer.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type=rules.QUEUE,
            properties=struct({"name": "q", "policy": policy, "tags": TAGS}),
            urn=f"urn:pulumi:upload-dev::marketplace::{rules.QUEUE}::{BAD}",
            name=BAD,
            provider=analyzer_pb2.AnalyzerProviderResource(
                type=rules.AWS_PROVIDER, urn="urn:provider", name="upload-dev",
                properties=struct({"allowedAccountIds": json.dumps([UPLOAD.account])}),
            ),
        )
    )  # fmt: skip
    # THEN the stack's own account came from its config: encryption and account are reported
    found = {d.policyName: d for d in response.diagnostics}
    assert set(found) == {"sqs-queue-encrypted", "own-account-only"}
    assert found["own-account-only"].enforcementLevel == analyzer_pb2.MANDATORY
    assert f"{BAD} (" in found["own-account-only"].message
    assert CATALOG.account in found["own-account-only"].message


PULUMI_COMMAND = re.compile(r"^\s*pulumi (preview|up)\b.*$", re.M)


ENV_FILE = "Pulumi.${{ matrix.env }}.yaml"


def workflow_pulumi_commands() -> list[tuple[str, str, list[str]]]:
    """(workflow file, pulumi preview/up command, its job's run steps up to its own)."""
    found = []
    for path in sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml")):
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            runs = [step.get("run", "") for step in job.get("steps", [])]
            for index, run in enumerate(runs):
                found += [
                    (path.name, m.group(0), runs[: index + 1]) for m in PULUMI_COMMAND.finditer(run)
                ]
    return found


def test_workflows_run_this_policy_pack_in_the_venv_they_create() -> None:
    # GIVEN the pack's manifest and every `pulumi preview`/`pulumi up` the workflows run
    manifest = yaml.safe_load((REPO_ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    commands = workflow_pulumi_commands()
    kinds = {(name, command.split()[1]) for name, command, _ in commands}
    assert kinds >= {("preview.yml", "preview"), ("deploy.yml", "up")}
    for name, command, steps in commands:
        # THEN each passes --policy-pack pointing at this manifest's folder
        pack = re.search(r"--policy-pack\s+(\S+)", command)
        assert pack, f"{name}: {command!r} runs without the policy pack"
        assert (REPO_ROOT / pack.group(1)).resolve() == (REPO_ROOT / "policy"), name
        # AND the environment's config file (or a copy of it made by the same step), from
        # which the pack computes the stack's account
        copy = re.search(r'--config-file ("\$\w+")', command)
        assert f"--config-file {ENV_FILE}" in command or (
            copy and f"cp {ENV_FILE} {copy.group(1)}" in steps[-1]
        ), f"{name}: {command!r} does not read {ENV_FILE}"
        # AND an earlier step of the job ran ./dev, which creates the venv the manifest names
        dev_steps = [line for run in steps[:-1] for line in run.splitlines() if "./dev " in line]
        assert dev_steps, f"{name}: no ./dev step creates .venv before {command!r}"
    assert manifest["runtime"]["name"] == "python"
    venv = manifest["runtime"]["options"]["virtualenv"]
    assert (REPO_ROOT / "policy" / venv).resolve() == (REPO_ROOT / ".venv").resolve()
    # AND that venv gets pulumi-policy (./dev installs requirements/dev.txt)
    requirements = (REPO_ROOT / "requirements" / "dev.txt").read_text()
    assert re.search(r"^pulumi-policy==", requirements, re.M), "pulumi-policy not in dev.txt"
    dev = (REPO_ROOT / "dev").read_text()
    assert "VENV=.venv" in dev and "-r requirements/dev.txt" in dev
