"""Business alarms: a bad version shows as a share of outcomes, and it stops its own shift.

The processor's rejected share and the completion's failed share alarm like every alarm and
are attached to that function's CodeDeploy group in prod; their metrics are the ones the
handlers really emit, and a handful of outcomes never fires them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from components import aws_types
from components.purchase_service import FAILED_RATE
from components.upload_service import REJECTED_RATE
from local.program import Evaluation, Resource
from tests.infra.conftest import evaluated

ROOT = Path(__file__).resolve().parents[2]
BUSINESS = [
    ("upload", "processor", "rejected-rate", REJECTED_RATE),
    ("purchase", "completion", "failed-rate", FAILED_RATE),
]


def alarm(evaluation: Evaluation, name: str) -> Resource:
    (found,) = [a for a in evaluation.of_type(aws_types.METRIC_ALARM) if a.inputs["name"] == name]
    return found


@pytest.mark.parametrize(("service", "purpose", "what", "rate"), BUSINESS)
def test_prod_shift_of_the_function_is_stopped_by_its_business_alarm(
    service: str, purpose: str, what: str, rate: object
) -> None:
    evaluation = evaluated(f"{service}-prod")
    name = f"marketplace-prod-{service}-{what}"
    alarm(evaluation, name)
    (group,) = [
        g
        for g in evaluation.of_type(aws_types.DEPLOYMENT_GROUP)
        if g.inputs["deploymentGroupName"] == f"marketplace-prod-{service}-{purpose}"
    ]
    assert name in group.inputs["alarmConfiguration"]["alarms"]
    # AND no other function's shift is stopped by it (a bad API version is not a rejection)
    others = [g for g in evaluation.of_type(aws_types.DEPLOYMENT_GROUP) if g is not group]
    assert others and all(name not in g.inputs["alarmConfiguration"]["alarms"] for g in others)


@pytest.mark.parametrize(("service", "purpose", "what", "rate"), BUSINESS)
def test_business_alarm_pages_in_dev_too_on_the_share_of_emitted_outcomes(
    service: str, purpose: str, what: str, rate: object
) -> None:
    found = alarm(evaluated(f"{service}-dev"), f"marketplace-dev-{service}-{what}")
    inputs = found.inputs
    assert inputs["alarmActions"] and inputs["okActions"]
    queries = {q["id"]: q for q in inputs["metricQueries"]}
    (share,) = [q for q in queries.values() if q.get("returnData")]
    metrics = [q["metric"]["metricName"] for q in queries.values() if "metric" in q]
    # THEN the share is of metrics the service's handlers really emit
    source = "\n".join(p.read_text() for p in (ROOT / "services" / service).glob("*.py"))
    for metric in metrics:
        assert f'"{metric}"' in source, f"{service} emits no metric {metric!r}"
    # AND a handful of outcomes never fires it
    assert share["expression"].startswith("IF((") and ">= 5" in share["expression"]
    assert 0 < inputs["threshold"] < 1
