"""Bootstrap stack names: ``bootstrap-<service>-<env>``, one stack per service account."""

from __future__ import annotations

from pathlib import Path

from components.naming import StackName, StackNameError, parse_stack_name

PREFIX = "bootstrap-"
BOOTSTRAP_PROGRAM = Path(__file__).resolve().parent / "__main__.py"
"""The program's entry point (the local deployer and the tests evaluate it under mocks)."""


def parse_bootstrap_stack(stack: str) -> StackName:
    """``bootstrap-upload-dev`` -> (upload, dev); anything else fails naming the form."""
    if not stack.startswith(PREFIX):
        raise StackNameError(
            f"bootstrap stack {stack!r} is not named bootstrap-<service>-<env> "
            "(e.g. bootstrap-upload-dev)"
        )
    return parse_stack_name(stack.removeprefix(PREFIX))


def bootstrap_stack_name(service: str, env: str) -> str:
    return f"{PREFIX}{service}-{env}"
