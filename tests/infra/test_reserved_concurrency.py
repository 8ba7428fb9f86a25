"""Reserved concurrency: settings override the default, 0 is the kill switch, and the committed
environments reserve nothing a new account would refuse."""

from __future__ import annotations

import pytest

from components import aws_types
from local.program import Evaluation
from tests.infra.conftest import STACKS, evaluate_with, evaluated

FUNCTION = aws_types.FUNCTION


def with_processor_concurrency(value: int) -> Evaluation:
    sizing = {"upload": {"processor": {"reservedConcurrency": value}}}
    return evaluate_with("upload-dev", lambda c: c.update({"marketplace:sizing": sizing}))


def reserved(evaluation: Evaluation, function: str) -> object:
    return evaluation.named(f"upload-{function}-function").inputs.get(
        "reservedConcurrentExecutions"
    )


def test_reserved_concurrency_zero_is_the_kill_switch() -> None:
    # GIVEN sizing.upload.processor.reservedConcurrency: 0 (stop the processor)
    evaluation = with_processor_concurrency(0)
    # THEN the processor is deployed with 0 reserved (every invocation throttled), not unreserved
    assert reserved(evaluation, "processor") == 0
    # AND the other functions are untouched
    assert reserved(evaluation, "api") is None


def test_reserved_concurrency_setting_reaches_the_function() -> None:
    assert reserved(with_processor_concurrency(5), "processor") == 5


@pytest.mark.parametrize("stack_name", STACKS)
def test_committed_environments_reserve_no_concurrency(stack_name: str) -> None:
    # GIVEN a new account's Lambda quota (often 10) and the 100 Lambda keeps unreserved,
    # any reservation would fail the first deploy; the mappings' maximum concurrency bounds
    # the consumers instead (docs/pull-requests-and-deploys.md, "Lambda concurrency")
    for function in evaluated(stack_name).of_type(FUNCTION):
        assert function.inputs.get("reservedConcurrentExecutions") is None, function.urn
