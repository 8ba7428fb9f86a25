"""Cross-account observability: the monitoring stack's sink, policy and marketplace dashboard,
and each service stack's link, when the environment configures a monitoring account."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import aws_types
from components.naming import parse_stack_name
from local.program import Evaluation
from policy.rules import stack_context
from services.contracts.catalogue import EVENT_TYPES, SERVICES
from tests.infra.conftest import evaluate_with, evaluated
from tests.infra.dashboard_checks import dashboard_bodies, metric_lines, problems
from tools.audit import policy_findings

MONITORING_ACCOUNT = "123456789012"
SINK_ARN = f"arn:aws:oam:eu-west-1:{MONITORING_ACCOUNT}:sink/0a1b2c3d-sink"
LINK = aws_types.OAM_LINK
SINK = aws_types.OAM_SINK
SINK_POLICY = aws_types.OAM_SINK_POLICY
SHARED = ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup", "AWS::XRay::Trace"]


def with_monitoring(config: dict[str, Any], sink_arn: str | None = SINK_ARN) -> None:
    config["marketplace:monitoring"] = {"account": MONITORING_ACCOUNT} | (
        {"sinkArn": sink_arn} if sink_arn else {}
    )


def monitored(stack: str) -> Evaluation:
    return evaluate_with(stack, with_monitoring)


def prod_config() -> dict[str, Any]:
    from local.program import config_file_for, load_config

    config = load_config(config_file_for("upload-prod"))
    with_monitoring(config)
    return config


def test_monitoring_stack_name_is_accepted() -> None:
    assert parse_stack_name("monitoring-prod").service == "monitoring"


def test_monitoring_stack_without_a_monitoring_account_fails_naming_the_key() -> None:
    with pytest.raises(Exception, match=r"marketplace:monitoring\.account is not set"):
        evaluated("monitoring-dev")


def test_sink_admits_exactly_the_service_accounts_for_the_shared_types() -> None:
    evaluation = monitored("monitoring-prod")
    assert len(evaluation.of_type(SINK)) == 1
    (policy,) = evaluation.of_type(SINK_POLICY)
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    accounts = sorted({prod_config()["marketplace:accounts"][s] for s in SERVICES})
    assert statement["Principal"] == {"AWS": accounts}
    assert statement["Condition"]["ForAllValues:StringEquals"]["oam:ResourceTypes"] == SHARED
    assert "sinkArn" in evaluation.outputs  # what the service stacks' settings take


def test_marketplace_dashboard_metrics_refer_to_what_the_service_stacks_create() -> None:
    # GIVEN every prod service stack and the monitoring stack, with monitoring configured
    stacks = {s: monitored(f"{s}-prod") for s in SERVICES}
    by_account = {next(r.account for r in e.resources if r.account): e for e in stacks.values()}
    (body,) = dashboard_bodies(monitored("monitoring-prod")).values()
    # THEN every metric names its source account and a resource of that account's stack
    assert all(options.get("accountId") in by_account for *_, options in metric_lines(body))
    assert problems(body, by_account) == []


def test_marketplace_dashboard_shows_each_event_type_published_beside_its_consumers() -> None:
    (body,) = dashboard_bodies(monitored("monitoring-prod")).values()
    for event_type in EVENT_TYPES:
        (widget,) = [
            w for w in body["widgets"] if w["properties"].get("title", "").startswith(event_type)
        ]
        names = [line[1] for line in widget["properties"]["metrics"]]
        consumers = [
            s
            for s, spec in SERVICES.items()
            if any(event_type in types for types in spec.consumes.values())
        ]
        assert names == ["EventsPublished"] + ["EventsConsumed"] * len(consumers), event_type


@pytest.mark.parametrize("service", list(SERVICES))
def test_each_service_stack_links_to_the_sink_sharing_metrics_logs_traces(service: str) -> None:
    (link,) = monitored(f"{service}-prod").of_type(LINK)
    assert link.inputs["sinkIdentifier"] == SINK_ARN
    assert link.inputs["resourceTypes"] == SHARED
    config = link.inputs["linkConfiguration"]
    assert "Marketplace" in config["metricConfiguration"]["filter"]
    assert f"marketplace-prod-{service}-" in config["logGroupConfiguration"]["filter"]


def test_no_link_without_a_monitoring_account_or_before_the_sink_exists() -> None:
    assert evaluated("upload-dev").of_type(LINK) == []
    before_sink = evaluate_with("upload-prod", lambda c: with_monitoring(c, sink_arn=None))
    assert before_sink.of_type(LINK) == []


@pytest.mark.parametrize("stack", ["monitoring-prod", "catalog-prod"])
def test_policy_pack_passes_with_monitoring(stack: str) -> None:
    config = prod_config()
    context = stack_context(stack, lambda key: config.get(f"marketplace:{key}"))
    _, findings = policy_findings(monitored(stack), context)
    assert findings == []
