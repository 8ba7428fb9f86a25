"""The concurrency a stack would reserve, read from the program itself under mocks.

The reserved concurrency of a function is decided in several places (the settings' sizing
overrides, each service component's defaults, ``Function``'s handling of ``0`` as the kill
switch); evaluating the real program with the environment's config is the one way to read
the result without restating any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components import aws_types
from components.naming import StackName
from components.settings import Settings
from local.fake_cloud import FakeCloud
from local.program import ORGANIZATION, PROJECT, Evaluation, evaluate

FUNCTION_TYPE = aws_types.FUNCTION
REFERENCED_STACK = "upload"
"""The stack others read by StackReference (purchase: upload's delivery CDN)."""


def evaluate_stack(stack: StackName, settings: Settings, config: Mapping[str, Any]) -> Evaluation:
    """``stack`` under ``FakeCloud`` with ``config``; upload first, for the StackReference."""
    references: dict[str, dict[str, Any]] = {}
    if stack.service != REFERENCED_STACK:
        upload = evaluate(f"{REFERENCED_STACK}-{stack.env}", FakeCloud(), config=config)
        org = settings.stack_reference_org or ORGANIZATION
        references[f"{org}/{PROJECT}/{REFERENCED_STACK}-{stack.env}"] = upload.outputs
    return evaluate(str(stack), FakeCloud(stack_outputs=references), config=config)


def reserved_by_function(evaluation: Evaluation) -> dict[str, int]:
    """Function name -> executions it reserves (unreserved functions are left out)."""
    reserved: dict[str, int] = {}
    for function in evaluation.of_type(FUNCTION_TYPE):
        value = function.inputs.get("reservedConcurrentExecutions")
        # Pulumi's AWS provider uses -1 (its default) for "unreserved".
        if value is not None and int(value) >= 0:
            reserved[str(function.inputs["name"])] = int(value)
    return reserved
