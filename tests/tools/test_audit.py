"""The static audit: all six stacks under mocks, every policy rule and the project checks."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence

import pytest

from components import aws_types
from local.program import Evaluation
from policy import rules
from services.contracts.catalogue import SERVICES
from tests.infra.conftest import STACKS, evaluated
from tools import audit
from tools.audit import FIGURES, Report, main, stacks_of

WILDCARD = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}


def committed(stacks: Sequence[str]) -> dict[str, Evaluation]:
    """The committed stacks, evaluated once per session by the infra tests' cache."""
    return {stack: evaluated(stack) for stack in stacks}


def broken(stacks: Sequence[str]) -> dict[str, Evaluation]:
    """The committed stacks with upload-dev's first role policy allowing ``s3:*`` on ``*``
    and its first queue unencrypted."""
    evaluations = committed(stacks)
    upload = copy.deepcopy(evaluations["upload-dev"])
    role_policy = next(r for r in upload.resources if r.type == aws_types.ROLE_POLICY)
    document = json.loads(role_policy.inputs["policy"])
    document["Statement"].append(WILDCARD)
    role_policy.inputs["policy"] = json.dumps(document)
    queue = upload.of_type(rules.QUEUE)[0]
    queue.inputs["sqsManagedSseEnabled"] = False
    return {**evaluations, "upload-dev": upload}


@pytest.fixture(scope="module")
def report() -> Report:
    return audit.audit(committed(stacks_of()))


def test_audit_covers_every_committed_stack_in_deploy_order() -> None:
    # WHEN the audit lists the stacks of dev and prod
    stacks = stacks_of()
    # THEN they are the committed ones (every service, both environments), upload first in each
    assert sorted(stacks) == sorted(STACKS) and len(stacks) == 2 * len(SERVICES)
    assert stacks[0] == "upload-dev" and stacks[len(SERVICES)] == "upload-prod"


def test_audit_counts_every_figure_on_committed_stacks(report: Report) -> None:
    # GIVEN the committed stacks audited (fixture)
    # THEN every figure counted something
    assert {name: report.figures[name] for name in FIGURES if report.figures[name] <= 0} == {}
    assert report.figures["stacks"] == len(STACKS)
    # AND the figures are the program's: e.g. every queue and bucket of every stack
    queues = sum(len(evaluated(s).of_type(rules.QUEUE)) for s in STACKS)
    buckets = sum(len(evaluated(s).of_type(aws_types.BUCKET)) for s in STACKS)
    assert (report.figures["queues"], report.figures["buckets"]) == (queues, buckets)
    assert report.figures["statements"] > report.figures["policy documents"]


def test_audit_finds_no_violation_on_committed_stacks(report: Report) -> None:
    # GIVEN the committed stacks audited (fixture)
    # THEN no rule or check reports anything
    assert report.findings == []
    assert report.violations == 0


def test_audit_reports_a_deliberately_broken_evaluation() -> None:
    # GIVEN upload-dev with a wildcard role statement and an unencrypted queue
    evaluations = broken(stacks_of())
    # WHEN audited
    result = audit.audit(evaluations)
    # THEN the policy rules report both (and the resource '*'), naming the stack
    checks = {finding.check for finding in result.findings}
    expected = {"iam-no-wildcard-actions", "iam-resource-star-resourceless-only"}
    assert expected | {"sqs-queue-encrypted"} <= checks
    assert {finding.stack for finding in result.findings} == {"upload-dev"}
    assert result.violations >= 3


def test_audit_main_exits_1_with_json_findings_when_broken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the broken evaluation
    # WHEN the command runs with --json
    status = main(["--json"], evaluator=broken)
    document = json.loads(capsys.readouterr().out)
    # THEN it fails and the JSON says why
    assert status == 1
    assert document["violations"] == len(document["findings"]) > 0
    assert any("s3:*" in finding["message"] for finding in document["findings"])


def test_audit_main_evaluates_the_program_and_prints_the_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the real evaluator (the program under mocks), one environment to keep it quick
    # WHEN the command runs
    status = main(["--env", "dev"])
    out = capsys.readouterr().out
    # THEN it passes and prints each figure with the stacks it covered
    assert status == 0
    assert "upload-dev" in out and "purchase-dev" in out and "prod" not in out
    for name in ("policy documents", "statements", "buckets", "queues", "topics", "tables"):
        assert name in out
    assert out.rstrip().endswith("0 violation(s)")
