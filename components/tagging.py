"""Tags (service, env, team) on every taggable resource, through one stack transformation."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from services.contracts.catalogue import SERVICES


def required_tags(service: str, env: str) -> dict[str, str]:
    """The tags every resource of a service stack carries (policy pack checks these keys)."""
    return {
        "service": service,
        "env": env,
        "team": SERVICES[service].team,
        "managed-by": "pulumi",
        "project": "marketplace",
    }


def register_tagging(tags: Mapping[str, str]) -> None:
    """Merge ``tags`` into every resource that has a ``tags`` input (explicit tags win)."""

    def add_tags(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if "tags" not in args.props or args.type_.startswith("pulumi:providers:"):
            return None
        explicit = args.props.get("tags") or {}
        merged: pulumi.Input[dict[str, str]]
        if isinstance(explicit, dict):
            merged = {**tags, **explicit}
        else:  # an Output: merge once it is known
            merged = pulumi.Output.from_input(explicit).apply(lambda own: {**tags, **(own or {})})
        return pulumi.ResourceTransformationResult({**args.props, "tags": merged}, args.opts)

    pulumi.runtime.register_stack_transformation(add_tags)
