"""The committed stacks, evaluated under mocks, as the policy rules see them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from local.program import Evaluation, config_file_for, load_config
from policy.rules import ResourceContext, StackContext, StackResource, stack_context


def context_of(stack: str) -> StackContext:
    """The stack's context from its committed ``Pulumi.<env>.yaml`` (as the engine passes it)."""
    values = load_config(config_file_for(stack))
    return stack_context(stack, lambda key: values.get(f"marketplace:{key}"))


def resource_checks(
    evaluation: Evaluation,
) -> Iterator[tuple[str, Mapping[str, Any], ResourceContext]]:
    """(type, inputs, context) of every custom resource, with its provider's inputs."""
    context = context_of(evaluation.stack)
    by_urn = {r.urn: r for r in evaluation.resources}
    for resource in evaluation.resources:
        if not resource.custom:
            continue
        provider = None
        if resource.provider:
            # provider references look like "<provider urn>::<provider id>"
            provider = by_urn[resource.provider.rsplit("::", 1)[0]].inputs
        yield (
            resource.type,
            resource.inputs,
            ResourceContext(name=resource.name, urn=resource.urn, stack=context, provider=provider),
        )


def stack_resources(evaluation: Evaluation) -> list[StackResource]:
    """Every custom resource with its outputs, as a stack policy receives them."""
    return [
        StackResource(
            type=r.type,
            name=r.name,
            urn=r.urn,
            props={**{k: v for k, v in r.outputs.items() if k != "__account"}, "id": r.id},
        )
        for r in evaluation.resources
        if r.custom
    ]
