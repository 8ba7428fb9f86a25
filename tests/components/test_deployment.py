"""TrafficShifting alone: a group per shifted function, stopped by its alarms and business ones."""

from __future__ import annotations

import json

import pulumi
import pytest

from components import aws_types
from components.alarms import metric_alarm
from components.context import ServiceContext
from components.deployment import TrafficShifting, TrafficShiftingArgs
from tests.components.harness import ALARMS, Builder, build, function, only


def shifting(business: bool) -> Builder:
    def builder(context: ServiceContext, opts: pulumi.ResourceOptions) -> None:
        api = function(context, opts, "api")
        alarms = {}
        if business:
            rejected = metric_alarm(
                "rejected-alarm",
                alarm_name=context.name("api-rejected"),
                description="rejections",
                namespace="Marketplace",
                metric="ImagesRejected",
                dimensions={"service": context.service},
                topic_arn=ALARMS,
                parent=api,
            )
            alarms = {"api": [rejected]}
        TrafficShifting("shifting", TrafficShiftingArgs(context, [api], alarms), opts)

    return builder


def test_a_prod_function_gets_a_canary_group_stopped_by_its_own_and_business_alarms() -> None:
    # GIVEN a prod function with a business alarm besides its errors and throttles
    evaluation = build(shifting(business=True), stack="upload-prod")
    group = only(evaluation, aws_types.DEPLOYMENT_GROUP)
    # THEN its group shifts 10 % for 5 minutes and every one of the three alarms stops it
    assert group.inputs["deploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert sorted(group.inputs["alarmConfiguration"]["alarms"]) == [
        "marketplace-prod-upload-api-errors",
        "marketplace-prod-upload-api-rejected",
        "marketplace-prod-upload-api-throttles",
    ]
    # AND CodeDeploy's role may read exactly those alarms and move exactly that alias
    role_policies = [
        json.loads(p.inputs["policy"])
        for p in evaluation.of_type(aws_types.ROLE_POLICY)
        if p.inputs["role"] == "marketplace-prod-upload-codedeploy"
    ]
    [document] = role_policies
    resources = {a: s["Resource"] for s in document["Statement"] for a in s["Action"]}
    assert len(resources["cloudwatch:DescribeAlarms"]) == 3
    assert resources["lambda:UpdateAlias"].endswith(":function:marketplace-prod-upload-api:live")


def test_all_at_once_functions_get_no_group() -> None:
    evaluation = build(shifting(business=False), stack="upload-dev")
    assert evaluation.of_type(aws_types.DEPLOYMENT_GROUP) == []


def test_business_alarms_for_an_unknown_function_are_refused_by_name() -> None:
    def builder(context: ServiceContext, opts: pulumi.ResourceOptions) -> None:
        api = function(context, opts, "api")
        TrafficShifting("shifting", TrafficShiftingArgs(context, [api], {"processor": []}), opts)

    with pytest.raises(Exception, match="processor"):
        build(builder, stack="upload-prod")
