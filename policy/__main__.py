"""The marketplace policy pack: the organisation's rules, all mandatory, on every preview and up.

    pulumi preview -s upload-dev --config-file Pulumi.dev.yaml --policy-pack policy

The rules are plain functions in ``policy/rules.py`` (tested offline against the six stacks
under mocks); this module adapts them to ``pulumi_policy``. The engine runs this file with
the stack's name and configuration in its environment (``PULUMI_STACK``, ``PULUMI_CONFIG``),
which is how the pack knows the stack's own account and the producer topics it may use.

``PolicyPack(...)`` starts the analyzer's gRPC server and never returns, so it is only
built when the engine runs this file; ``build_policies()`` is importable and tested.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    # The engine puts only policy/ on sys.path; the rules reuse the program's settings,
    # naming and event catalogue, so "own account" means what the program means by it.
    sys.path.insert(0, str(REPO_ROOT))

import pulumi  # noqa: E402
from pulumi_policy import (  # noqa: E402
    EnforcementLevel,
    Policy,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    proxy,
)

from components.settings import NAMESPACE, config_getter  # noqa: E402
from policy.rules import (  # noqa: E402
    RULES,
    UNKNOWN,
    ResourceContext,
    ResourceRule,
    StackContext,
    StackResource,
    StackRule,
    stack_context,
)

PACK_NAME = "marketplace"
UNKNOWN_SENTINELS = frozenset(
    {
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_ARCHIVE_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
    }
)

ContextSource = Callable[[], StackContext]


def plain(value: Any) -> Any:
    """Props as plain dicts and lists, unknown values (preview) replaced by ``UNKNOWN``.

    ``pulumi_policy`` wraps props in proxies that raise on unknown values, which would
    skip a whole rule; rules instead skip only the check whose value is unknown.
    """
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        return {key: _item(value, key) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return [_item(value, index) for index in range(len(value))]
    return value


def _item(container: Any, key: Any) -> Any:
    try:
        return plain(container[key])
    except proxy.UnknownValueError:
        return UNKNOWN


@functools.cache
def _context_of(stack: str) -> StackContext:
    config = pulumi.Config(NAMESPACE)
    return stack_context(stack, config_getter(config))


def engine_stack_context() -> StackContext:
    """The checked stack's context, from the name and config the engine passes the pack."""
    return _context_of(pulumi.get_stack())


def stack_resource(resource: PolicyResource) -> StackResource:
    return StackResource(
        type=resource.resource_type,
        name=resource.name,
        props=plain(resource.props),
        urn=resource.urn,
        property_dependencies={
            prop: tuple(d.urn for d in deps)
            for prop, deps in (resource.property_dependencies or {}).items()
        },
    )


def resource_policy(rule: ResourceRule, context: ContextSource) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = ResourceContext(
            name=args.name,
            urn=args.urn,
            stack=context(),
            provider=plain(args.provider.props) if args.provider is not None else None,
        )
        for message in rule.check(args.resource_type, plain(args.props), resource):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def stack_policy(rule: StackRule, context: ContextSource) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [stack_resource(r) for r in args.resources]
        for violation in rule.check(resources, context()):
            report_violation(violation.message, violation.urn or None)

    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def build_policies(context: ContextSource = engine_stack_context) -> list[Policy]:
    """One mandatory pulumi_policy policy per rule of ``policy.rules.RULES``."""
    return [
        stack_policy(rule, context)
        if isinstance(rule, StackRule)
        else resource_policy(rule, context)
        for rule in RULES
    ]


if __name__ == "__main__":
    PolicyPack(
        name=PACK_NAME,
        description="The marketplace organisation's rules (policy/rules.py), all mandatory.",
        policies=build_policies(),
        enforcement_level=EnforcementLevel.MANDATORY,
    )
