"""Build building blocks alone under the project's mocks, as pulumi-awsx tests its components.

``build(builder)`` evaluates ``program.py`` (next to this file) for a stack; the program calls
``builder`` with the stack's ``ServiceContext`` and options carrying an AWS provider for the
service's account. What the builder creates, and nothing else, comes back as an ``Evaluation``
of recorded resources (inputs, mocked outputs, parents), the same record the whole-program
tests use.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.context import ServiceContext
from components.function import Function, FunctionArgs
from components.iam import Statement
from components.naming import parse_stack_name
from components.settings import NAMESPACE, config_getter, load_settings
from local.fake_cloud import FakeCloud
from local.program import Evaluation, Resource, evaluate

PROGRAM = Path(__file__).with_name("program.py")
ALARMS = "arn:aws:sns:eu-west-1:111111111111:alarms"
"""An alarm topic ARN for blocks that need one (not checked by the mocks)."""

Builder = Callable[[ServiceContext, pulumi.ResourceOptions], object]
_builder: Builder | None = None


def build(builder: Builder, stack: str = "upload-dev") -> Evaluation:
    """Evaluate ``builder`` alone in ``stack``; raises whatever the builder raises."""
    global _builder
    _builder = builder
    try:
        return evaluate(stack, FakeCloud(), program=PROGRAM)
    finally:
        _builder = None


def run_builder() -> None:
    """The program's body: the builder, in the stack's context, with the stack's provider."""
    if _builder is None:
        raise RuntimeError("tests/components/program.py runs only under harness.build")
    stack = parse_stack_name(pulumi.get_stack())
    settings = load_settings(stack.env, config_getter(pulumi.Config(NAMESPACE)))
    context = ServiceContext(settings=settings, service=stack.service)
    provider = aws.Provider(
        "provider", region=settings.region, allowed_account_ids=[context.account]
    )
    _builder(context, pulumi.ResourceOptions(provider=provider))


def function(
    context: ServiceContext,
    opts: pulumi.ResourceOptions,
    purpose: str = "worker",
    statements: list[Statement] | None = None,
    timeout_seconds: int = 10,
) -> Function:
    """A minimal function (empty code) for blocks that need a consumer."""
    return Function(
        purpose,
        FunctionArgs(
            context=context,
            purpose=purpose,
            handler="handler.main",
            code=pulumi.AssetArchive({"handler.py": pulumi.StringAsset("")}),
            alarm_topic_arn=ALARMS,
            statements=statements or [],
            timeout_seconds=timeout_seconds,
        ),
        opts=opts,
    )


def only(evaluation: Evaluation, type_token: str) -> Resource:
    """The one resource of ``type_token`` (fails naming how many there were)."""
    found = evaluation.of_type(type_token)
    assert len(found) == 1, f"{len(found)} resources of {type_token}"
    return found[0]
