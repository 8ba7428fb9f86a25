"""Upload's moderation review as deployed: the alarm on the Rekognition circuit, the review
queue index, and who may touch the private review copies and the public renditions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import aws_types
from components.upload_service import CIRCUIT_METRIC, DELETED_REVIEW_COPY_DAYS
from tests.infra.conftest import as_list, evaluate_with, evaluated, statements

UPLOAD_STACKS = ["upload-dev", "upload-prod"]


def role_statements(stack: str, function: str) -> list[dict[str, Any]]:
    """Every statement of the inline policy of ``function``'s role."""
    found = [
        statement
        for policy in evaluated(stack).of_type(aws_types.ROLE_POLICY)
        if policy.name.endswith(f"-{function}-policy") or f"-{function}-" in policy.name
        for statement in statements(json.loads(policy.inputs["policy"]))
    ]
    assert found, f"{stack}: no role policy for {function}"
    return found


def resources_for(stack: str, function: str, action: str) -> set[str]:
    return {
        str(resource)
        for s in role_statements(stack, function)
        if action in as_list(s["Action"])
        for resource in as_list(s["Resource"])
    }


@pytest.mark.parametrize("stack", UPLOAD_STACKS)
def test_circuit_alarm_pages_on_the_processors_circuit_metric(stack: str) -> None:
    # GIVEN the stack's alarms
    alarms = evaluated(stack).of_type(aws_types.METRIC_ALARM)
    # THEN one watches the circuit metric the processor emits, notifying the alarm topic
    (alarm,) = [a for a in alarms if a.inputs.get("metricName") == CIRCUIT_METRIC]
    assert alarm.inputs["namespace"] == "Marketplace"
    assert alarm.inputs["dimensions"] == {"service": "upload"}
    assert alarm.inputs["statistic"] == "Maximum"
    assert alarm.inputs["alarmActions"] and alarm.inputs["okActions"]
    assert alarm.inputs["name"].endswith("-upload-rekognition-circuit-open")


@pytest.mark.parametrize("stack", UPLOAD_STACKS)
def test_only_the_admin_function_reads_review_copies_and_processor_writes_them(stack: str) -> None:
    # GIVEN the functions' grants
    reads = resources_for(stack, "admin", "s3:GetObject")
    writes = resources_for(stack, "processor", "s3:PutObject")
    # THEN the admin reads exactly the review prefix of the originals bucket
    assert len(reads) == 1 and next(iter(reads)).endswith("/review/*")
    # AND the processor may write review copies; the photographers' API may not
    assert any(r.endswith("/review/*") for r in writes)
    api_writes = resources_for(stack, "api", "s3:PutObject")
    assert not any(r.endswith(("/review/*", "/previews/*", "/thumbnails/*")) for r in api_writes)
    # AND only the admin function (and the processor) may put public renditions
    admin_writes = resources_for(stack, "admin", "s3:PutObject")
    assert {r.rsplit("/", 2)[-2] for r in admin_writes} == {"thumbnails", "previews"}


@pytest.mark.parametrize("stack", UPLOAD_STACKS)
def test_review_copies_and_public_renditions_may_be_deleted_and_nothing_else(stack: str) -> None:
    # GIVEN the review prefix of the originals bucket (what the admin reads) and the public
    # rendition prefixes of the renditions bucket (where the admin's approval copies to)
    (review_prefix,) = resources_for(stack, "admin", "s3:GetObject")
    renditions = resources_for(stack, "admin", "s3:PutObject")
    assert {r.rsplit("/", 2)[-2] for r in renditions} == {"thumbnails", "previews"}
    # THEN the functions that end a review's need for its copies (decision, withdrawal,
    # processor's lost race) or take a withdrawn image's renditions down (withdrawal, the
    # approval's and the processor's lost races) may delete exactly there: not the licensed
    # copies, not originals, nothing else
    for function in ("admin", "api", "processor"):
        deletes = resources_for(stack, function, "s3:DeleteObject")
        assert deletes == {review_prefix} | renditions, function
    for function in ("admin", "api", "processor"):
        actions = {a for s in role_statements(stack, function) for a in as_list(s["Action"])}
        assert not {a for a in actions if "Delete" in a and a.startswith("s3:")} - {
            "s3:DeleteObject"
        }, function


@pytest.mark.parametrize("stack", UPLOAD_STACKS)
def test_deleted_review_copies_are_purged_and_current_ones_never_expire(stack: str) -> None:
    # GIVEN the versioned originals bucket's lifecycle rules
    lifecycle = evaluated(stack).named("upload-originals-lifecycle")
    rules = lifecycle.inputs["rules"]
    (review,) = [r for r in rules if r["filter"].get("prefix") == "review/"]
    # THEN deleted review copies (noncurrent versions, then their markers) are purged
    assert review["status"] == "Enabled"
    assert review["noncurrentVersionExpiration"]["noncurrentDays"] == DELETED_REVIEW_COPY_DAYS
    assert review["expiration"] == {"expiredObjectDeleteMarker": True}
    # AND no rule expires or moves current review copies: a review may wait indefinitely
    for rule in rules:
        if "review/".startswith(rule["filter"].get("prefix", "")):
            assert "days" not in rule.get("expiration", {}) and not rule.get("transitions"), rule


@pytest.mark.parametrize("stack", UPLOAD_STACKS)
def test_circuit_thresholds_and_admin_group_reach_the_functions(stack: str) -> None:
    # GIVEN an environment that sets its own thresholds and group
    env = stack.split("-")[1]

    def change(config: dict[str, Any]) -> None:
        config["marketplace:rekognitionCircuit"] = {
            "failureThreshold": 7,
            "windowSeconds": 30,
            "cooldownSeconds": 90,
        }
        config["marketplace:adminGroup"] = "moderators"

    functions = evaluate_with(stack, change).of_type(aws_types.FUNCTION)
    variables = {
        f.inputs["name"].rsplit("-", 1)[-1]: f.inputs["environment"]["variables"] for f in functions
    }
    # THEN the processor and the admin function read them
    assert variables["processor"]["CIRCUIT_FAILURE_THRESHOLD"] == "7"
    assert variables["processor"]["CIRCUIT_WINDOW_SECONDS"] == "30"
    assert variables["processor"]["CIRCUIT_COOLDOWN_SECONDS"] == "90"
    assert variables["admin"]["ADMIN_GROUP"] == "moderators"
    # AND the defaults apply where the environment sets none
    defaults = {
        f.inputs["name"].rsplit("-", 1)[-1]: f.inputs["environment"]["variables"]
        for f in evaluated(stack).of_type(aws_types.FUNCTION)
    }
    assert defaults["processor"]["CIRCUIT_FAILURE_THRESHOLD"] == "5", env
    assert defaults["admin"]["ADMIN_GROUP"] == "admins"


@pytest.mark.parametrize("stack", UPLOAD_STACKS)
def test_the_table_has_the_review_queue_index(stack: str) -> None:
    (table,) = evaluated(stack).of_type(aws_types.TABLE)
    names = {index["name"] for index in table.inputs["globalSecondaryIndexes"]}
    assert names == {"gsi1", "gsi2"}
