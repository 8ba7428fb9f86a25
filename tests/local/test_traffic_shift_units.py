"""The local CodeDeploy stand-in's pieces alone: configurations, weighted picks, ARNs."""

from __future__ import annotations

import pytest

from components.deployment import deployment_config_name
from components.settings import TRAFFIC_SHIFTS
from local.runtime.aliases import FunctionArn, pick_version
from local.runtime.traffic_shift import TrafficSteps

ARN = "arn:aws:lambda:eu-west-1:100000000002:function:marketplace-local-catalog-api"


def test_canary_holds_its_share_once_then_moves_all() -> None:
    steps = TrafficSteps.of("CodeDeployDefault.LambdaCanary10Percent5Minutes")
    assert steps.steps == ((0.1, 5.0),)


def test_linear_grows_by_its_share_every_interval() -> None:
    steps = TrafficSteps.of("CodeDeployDefault.LambdaLinear10PercentEvery2Minutes")
    assert [share for share, _ in steps.steps] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert {minutes for _, minutes in steps.steps} == {2.0}


def test_all_at_once_has_no_intermediate_step() -> None:
    assert TrafficSteps.of("CodeDeployDefault.LambdaAllAtOnce").steps == ()


@pytest.mark.parametrize("preference", TRAFFIC_SHIFTS)
def test_every_shift_the_settings_accept_is_one_the_stand_in_plays(preference: str) -> None:
    steps = TrafficSteps.of(deployment_config_name(preference)).steps
    assert steps and all(0 < share < 1 for share, _ in steps)


def test_an_unknown_configuration_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"CodeDeployDefault\.OneAtATime"):
        TrafficSteps.of("CodeDeployDefault.OneAtATime")


def test_weighted_alias_sends_the_weight_to_the_new_version() -> None:
    alias = {"FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.1}}}
    assert pick_version(alias, lambda: 0.05)[0] == "2"
    assert pick_version(alias, lambda: 0.1)[0] == "1"
    assert pick_version(alias, lambda: 0.99)[0] == "1"
    assert pick_version({"FunctionVersion": "3"}, lambda: 0.0)[0] == "3"


def test_function_arns_name_the_function_and_the_alias() -> None:
    assert FunctionArn.parse(f"{ARN}:live") == FunctionArn("marketplace-local-catalog-api", "live")
    assert FunctionArn.of(ARN) == FunctionArn("marketplace-local-catalog-api")
    assert FunctionArn.of("plain-name") == FunctionArn("plain-name")
    with pytest.raises(ValueError, match="not a Lambda function ARN"):
        FunctionArn.parse("arn:aws:sqs:eu-west-1:100000000002:queue")
