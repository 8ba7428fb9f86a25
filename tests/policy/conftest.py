"""The committed stacks, evaluated under mocks, as the policy rules see them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from local.program import Evaluation, config_file_for, load_config
from policy.rules import ResourceContext, StackContext, StackResource, stack_context
from tools import audit


def context_of(stack: str) -> StackContext:
    """The stack's context from its committed ``Pulumi.<env>.yaml`` (as the engine passes it)."""
    values = load_config(config_file_for(stack))
    return stack_context(stack, lambda key: values.get(f"marketplace:{key}"))


def resource_checks(
    evaluation: Evaluation,
) -> Iterator[tuple[str, Mapping[str, Any], ResourceContext]]:
    """(type, inputs, context) of every custom resource, as ``tools.audit`` hands them over."""
    return audit.resource_checks(evaluation, context_of(evaluation.stack))


def stack_resources(evaluation: Evaluation) -> list[StackResource]:
    """Every custom resource with its outputs, as a stack policy receives them."""
    return audit.stack_resources(evaluation)
