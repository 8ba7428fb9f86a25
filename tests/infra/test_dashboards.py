"""Each service stack has one dashboard, and every metric on it refers to something real:
a function, queue, API route or alarm the stack creates, a custom metric the service's code
emits, an event type the catalogue says it publishes or consumes."""

from __future__ import annotations

import json

import pytest

from components import aws_types
from local.program import Evaluation
from services.contracts.catalogue import SERVICES
from services.contracts.flow_metrics import METRICS_NAMESPACE
from tests.infra.conftest import STACKS, evaluated
from tests.infra.dashboard_checks import dashboard_bodies, emitted_metrics, metric_lines, problems


def _account(evaluation: Evaluation) -> str:
    return next(r.account for r in evaluation.resources if r.account)


def _body(stack: str) -> dict:
    service, env = stack.rsplit("-", 1)
    bodies = dashboard_bodies(evaluated(stack))
    assert list(bodies) == [f"marketplace-{env}-{service}-dashboard"], stack
    return bodies[f"marketplace-{env}-{service}-dashboard"]


@pytest.mark.parametrize("stack", STACKS)
def test_dashboard_metrics_refer_to_what_the_stack_creates(stack: str) -> None:
    evaluation = evaluated(stack)
    assert problems(_body(stack), {_account(evaluation): evaluation}) == []


@pytest.mark.parametrize("stack", STACKS)
def test_dashboard_shows_every_function_queue_route_and_alarm(stack: str) -> None:
    evaluation = evaluated(stack)
    body = _body(stack)
    shown = {v for _, _, dims, _ in metric_lines(body) for v in dims.values()}
    functions = {f.inputs["name"] for f in evaluation.of_type(aws_types.FUNCTION)}
    queues = {q.inputs["name"] for q in evaluation.of_type(aws_types.QUEUE)}
    routes = {
        r.inputs["routeKey"].split(" ", 1)[1] for r in evaluation.of_type(aws_types.HTTP_API_ROUTE)
    }
    assert functions | queues | routes <= shown, (functions | queues | routes) - shown
    distributions = {d.id for d in evaluation.of_type(aws_types.DISTRIBUTION)}
    assert distributions <= shown, distributions - shown
    alarms = {a.outputs["arn"] for a in evaluation.of_type(aws_types.METRIC_ALARM)}
    shown_alarms = {
        a for w in body["widgets"] if w["type"] == "alarm" for a in w["properties"]["alarms"]
    }
    assert shown_alarms == alarms


@pytest.mark.parametrize("stack", STACKS)
def test_functions_emit_into_the_dashboards_namespace(stack: str) -> None:
    for function in evaluated(stack).of_type(aws_types.FUNCTION):
        variables = function.inputs["environment"]["variables"]
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == METRICS_NAMESPACE, function.urn


def test_dashboard_check_catches_a_metric_pointing_at_nothing() -> None:
    # GIVEN the committed catalog dashboard, with one function renamed
    evaluation = evaluated("catalog-dev")
    text = json.dumps(_body("catalog-dev")).replace(
        "marketplace-dev-catalog-indexer", "marketplace-dev-catalog-gone", 1
    )
    account = _account(evaluation)
    # WHEN checked THEN the renamed function is reported
    found = problems(json.loads(text), {account: evaluation})
    assert len(found) == 1 and "no such function" in found[0]


def test_dashboard_check_catches_a_custom_metric_no_code_emits() -> None:
    body = {
        "widgets": [
            {
                "type": "metric",
                "properties": {
                    "metrics": [
                        [METRICS_NAMESPACE, "ImagesTeleported", "service", "upload", {}],
                        [
                            METRICS_NAMESPACE,
                            "EventsPublished",
                            "service",
                            "catalog",
                            "type",
                            "image.published",
                            {},
                        ],
                    ]
                },
            }
        ]
    }
    found = problems(body, {"": evaluated("upload-dev")})
    assert len(found) == 2, found


@pytest.mark.parametrize("service", list(SERVICES))
def test_business_metrics_shown_are_emitted_by_the_service(service: str) -> None:
    from components.dashboard import BUSINESS_PANELS

    for panel in BUSINESS_PANELS.get(service, ()):
        for metric in panel.metrics:
            assert metric.name in emitted_metrics(service), (service, metric.name)
