"""Function alone: its own role trusted by Lambda for the account, its grants, logs, sizing."""

from __future__ import annotations

import json

import pulumi

from components import aws_types
from components.context import ServiceContext
from components.function import ARCHITECTURE
from components.iam import Statement
from policy import rules
from tests.components.harness import Builder, build, function, only
from tests.policy.conftest import context_of

TABLE = "arn:aws:dynamodb:eu-west-1:111111111111:table/t"


def one_function(statements: list[Statement]) -> Builder:
    def builder(context: ServiceContext, opts: pulumi.ResourceOptions) -> None:
        function(context, opts, "api", statements)

    return builder


def test_function_runs_as_its_own_role_with_baseline_and_given_grants_only() -> None:
    # GIVEN a function that may read one table
    evaluation = build(one_function([Statement(("dynamodb:GetItem",), (TABLE,))]))
    role, lam = only(evaluation, aws_types.ROLE), only(evaluation, aws_types.FUNCTION)
    # THEN the function runs as its own role, trusted only by Lambda for the own account
    assert lam.inputs["role"] == role.outputs["arn"]
    context = context_of("upload-dev")
    trust = rules.ResourceContext(name=role.name, stack=context)
    assert rules.roles_trust_lambda_in_own_account(role.type, role.inputs, trust) == []
    # AND its policy is its log stream, X-Ray and the grant, nothing more
    policy = json.loads(only(evaluation, aws_types.ROLE_POLICY).inputs["policy"])
    actions = sorted(a for s in policy["Statement"] for a in s["Action"])
    assert actions == [
        "dynamodb:GetItem",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    ]


def test_function_logs_json_to_its_own_group_on_arm64_with_tracing() -> None:
    evaluation = build(one_function([]))
    lam, logs = only(evaluation, aws_types.FUNCTION), only(evaluation, aws_types.LOG_GROUP)
    assert logs.inputs["name"] == f"/aws/lambda/{lam.inputs['name']}"
    assert lam.inputs["loggingConfig"] == {"logFormat": "JSON", "logGroup": logs.outputs["name"]}
    assert logs.inputs["retentionInDays"] > 0
    assert lam.inputs["architectures"] == [ARCHITECTURE]
    assert lam.inputs["tracingConfig"] == {"mode": "Active"}
    assert lam.inputs["environment"]["variables"]["MARKETPLACE_ENV"] == "dev"


def test_function_raises_error_and_throttle_alarms() -> None:
    alarms = build(one_function([])).of_type(aws_types.METRIC_ALARM)
    assert sorted(a.inputs["metricName"] for a in alarms) == ["Errors", "Throttles"]
