"""Offline preview: evaluate a stack under mocks with its real config and print its tree.

It is what a pull request check without cloud credentials, or a newcomer, uses to see
what a stack would deploy: type, logical name, parent and account of every resource.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from local.fake_cloud import FakeCloud
from local.program import Evaluation, Resource, evaluate
from services.contracts.catalogue import SERVICES
from services.web.routing import api_services


def referenced_services(service: str) -> tuple[str, ...]:
    """The services whose stack outputs ``service``'s stack reads (``__main__.py``): upload's
    delivery CDN for its consumers; every API's and upload's public CDN domain for web."""
    if service == "upload" or service not in SERVICES:
        return ()
    if service == "web":
        return tuple(dict.fromkeys(("upload", *api_services())))
    return ("upload",)


def references_for(service: str, env: str) -> dict[str, dict[str, Any]]:
    """Outputs of the stacks ``service`` references, each evaluated (with its own references)."""
    return {
        f"organization/marketplace/{name}-{env}": evaluate(
            f"{name}-{env}", FakeCloud(stack_outputs=references_for(name, env))
        ).outputs
        for name in referenced_services(service)
    }


def evaluate_for_preview(stack: str) -> Evaluation:
    """Evaluate ``stack``; stacks that read others' outputs first evaluate those (references)."""
    service, _, env = stack.partition("-")
    references = references_for(service, env) if env else {}
    return evaluate(stack, FakeCloud(stack_outputs=references), preview=True)


def render_tree(evaluation: Evaluation) -> Iterator[str]:
    """Lines like ``pulumi preview``: indentation follows parents; account on each resource.

    Keyed by URN: logical names repeat across components (``purchase-completion`` is both a
    function and the stream source that owns it), so children keyed by name print twice.
    """
    children: dict[str | None, list[Resource]] = {}
    for resource in evaluation.resources:
        children.setdefault(resource.parent, []).append(resource)
    yield f"+ pulumi:pulumi:Stack  marketplace-{evaluation.stack}"

    def walk(parent: str | None, depth: int) -> Iterator[str]:
        for resource in children.get(parent, []):
            account = f"  [{resource.account}]" if resource.account else ""
            yield f"{'    ' * depth}+ {resource.type}  {resource.name}{account}"
            yield from walk(resource.urn, depth + 1)

    yield from walk(None, 1)


def summary(evaluation: Evaluation) -> list[str]:
    counts = Counter(r.type for r in evaluation.resources if r.custom)
    components = sum(1 for r in evaluation.resources if not r.custom)
    lines = [f"Resources: {len(evaluation.resources)} to create ({components} components)"]
    lines += [f"    {count:3d} {type_}" for type_, count in sorted(counts.items())]
    lines += ["Outputs:"] + [f"    {k}: {v}" for k, v in sorted(evaluation.outputs.items())]
    return lines
