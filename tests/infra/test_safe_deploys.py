"""Safe deploys as policies: every caller invokes the ``live`` alias; prod shifts with rollback.

Every committed stack is checked: API integrations, invoke permissions and event source
mappings name an alias (never the unqualified function, whose calls run ``$LATEST``); every
function publishes versions behind exactly one ``live`` alias; every function of a stack
whose environment shifts traffic has a CodeDeploy group that rolls back on its alarms.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import aws_types
from components.deployment import ROLLBACK_EVENTS, deployment_config_name
from components.function import ALIAS
from components.settings import ALL_AT_ONCE
from local.program import Evaluation, Resource
from tests.infra.conftest import STACKS, evaluate_with, evaluated

PROD_STACKS = [s for s in STACKS if s.endswith("-prod")]
DEV_STACKS = [s for s in STACKS if s.endswith("-dev")]


def aliases_by_arn(evaluation: Evaluation) -> dict[str, Resource]:
    return {a.outputs["arn"]: a for a in evaluation.of_type(aws_types.FUNCTION_ALIAS)}


def invocation_targets(evaluation: Evaluation) -> list[tuple[Resource, str]]:
    """(resource, the function ARN it invokes) for integrations and mappings."""
    found = [
        (r, r.inputs["integrationUri"]) for r in evaluation.of_type(aws_types.HTTP_API_INTEGRATION)
    ]
    found += [
        (r, r.inputs["functionName"]) for r in evaluation.of_type(aws_types.EVENT_SOURCE_MAPPING)
    ]
    return found


def group_of(evaluation: Evaluation, function_name: str) -> Resource:
    groups = [
        g
        for g in evaluation.of_type(aws_types.DEPLOYMENT_GROUP)
        if g.inputs["deploymentGroupName"] == function_name
    ]
    assert len(groups) == 1, f"{function_name}: {len(groups)} deployment groups"
    return groups[0]


def alarm_names(evaluation: Evaluation, function_name: str) -> set[str]:
    return {
        a.inputs["name"]
        for a in evaluation.of_type(aws_types.METRIC_ALARM)
        if a.inputs.get("namespace") == "AWS/Lambda"
        and a.inputs.get("dimensions", {}).get("FunctionName") == function_name
    }


@pytest.mark.parametrize("stack_name", STACKS)
def test_every_invocation_path_targets_the_live_alias(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    aliases = aliases_by_arn(evaluation)
    for resource, target in invocation_targets(evaluation):
        assert target in aliases, f"{resource.urn} invokes {target}, not a function's alias"
        assert aliases[target].inputs["name"] == ALIAS, resource.urn
    for permission in evaluation.of_type(aws_types.PERMISSION):
        assert permission.inputs.get("qualifier") == ALIAS, (
            f"{permission.urn} lets {permission.inputs['principal']} invoke the unqualified "
            "function ($LATEST)"
        )


@pytest.mark.parametrize("stack_name", STACKS)
def test_every_function_publishes_versions_behind_one_live_alias(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    aliases = evaluation.of_type(aws_types.FUNCTION_ALIAS)
    for function in evaluation.of_type(aws_types.FUNCTION):
        assert function.inputs.get("publish") is True, f"{function.urn} publishes no version"
        mine = [a for a in aliases if a.inputs["functionName"] == function.outputs["name"]]
        assert [a.inputs["name"] for a in mine] == [ALIAS], function.urn
        assert mine[0].inputs["functionVersion"] == function.outputs["version"], function.urn


@pytest.mark.parametrize("stack_name", PROD_STACKS)
def test_every_prod_function_shifts_through_codedeploy_and_rolls_back_on_its_alarms(
    stack_name: str,
) -> None:
    evaluation = evaluated(stack_name)
    for function in evaluation.of_type(aws_types.FUNCTION):
        name = function.outputs["name"]
        group = group_of(evaluation, name)
        inputs = group.inputs
        assert inputs["deploymentConfigName"] == deployment_config_name("Canary10Percent5Minutes")
        assert inputs["deploymentStyle"] == {
            "deploymentOption": "WITH_TRAFFIC_CONTROL",
            "deploymentType": "BLUE_GREEN",
        }
        rollback = inputs["autoRollbackConfiguration"]
        assert rollback["enabled"] and set(rollback["events"]) == set(ROLLBACK_EVENTS)
        alarms = inputs["alarmConfiguration"]
        expected = alarm_names(evaluation, name)
        assert {f"{name}-errors", f"{name}-throttles"} <= expected, group.urn
        assert alarms["enabled"] and expected <= set(alarms["alarms"]), (
            f"{group.urn} is not stopped by {sorted(expected - set(alarms['alarms']))}"
        )


@pytest.mark.parametrize("stack_name", PROD_STACKS)
def test_codedeploy_role_may_move_only_this_stacks_aliases_and_read_its_alarms(
    stack_name: str,
) -> None:
    evaluation = evaluated(stack_name)
    if not evaluation.of_type(aws_types.FUNCTION):  # e.g. web: nothing to shift, no CodeDeploy
        assert evaluation.of_type(aws_types.CODEDEPLOY_APPLICATION) == []
        return
    [application] = evaluation.of_type(aws_types.CODEDEPLOY_APPLICATION)
    assert application.inputs["computePlatform"] == "Lambda"
    [role] = [
        r
        for r in evaluation.of_type(aws_types.ROLE)
        if "codedeploy.amazonaws.com" in r.inputs["assumeRolePolicy"]
    ]
    [policy] = [p for p in evaluation.of_type(aws_types.ROLE_POLICY) if p.inputs["role"] == role.id]
    statements: list[dict[str, Any]] = json.loads(policy.inputs["policy"])["Statement"]
    resources = {a: s["Resource"] for s in statements for a in s["Action"]}
    aliases = sorted(aliases_by_arn(evaluation))
    assert sorted(_as_list(resources["lambda:UpdateAlias"])) == aliases
    alarm_arns = {a.outputs["arn"] for a in evaluation.of_type(aws_types.METRIC_ALARM)}
    assert set(_as_list(resources["cloudwatch:DescribeAlarms"])) <= alarm_arns


@pytest.mark.parametrize("stack_name", DEV_STACKS)
def test_dev_deploys_all_at_once_without_codedeploy(stack_name: str) -> None:
    evaluation = evaluated(stack_name)
    assert evaluation.of_type(aws_types.DEPLOYMENT_GROUP) == []
    assert evaluation.of_type(aws_types.CODEDEPLOY_APPLICATION) == []


def test_a_service_overrides_the_environments_deployment_preference() -> None:
    # GIVEN dev, all at once, except upload, which shifts linearly
    def change(config: dict[str, Any]) -> None:
        config["marketplace:deploymentPreference"] = {
            "default": ALL_AT_ONCE,
            "upload": "Linear10PercentEvery1Minute",
        }

    upload = evaluate_with("upload-dev", change)
    catalog = evaluate_with("catalog-dev", change)
    # THEN every upload function has a linear group, and catalog has none
    for function in upload.of_type(aws_types.FUNCTION):
        group = group_of(upload, function.outputs["name"])
        assert group.inputs["deploymentConfigName"] == (
            "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
        )
    assert catalog.of_type(aws_types.DEPLOYMENT_GROUP) == []


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
