"""Every use of the Pulumi SDK's non-public runtime, in one place (no public API does these).

- ``MockMonitor``: ``pulumi.runtime.set_mocks(monitor=...)`` takes one, and subclassing it is
  the only way to see a resource's URN and parent, which ``Mocks.new_resource`` is not given.
- ``run_program``: the SDK's entry point runs a program with ``run_pulumi_func`` (wait for
  every RPC, then shut down); the public ``run_in_stack`` also makes a second root stack.
- ``forget_previous_run``: ``set_mocks`` makes a root stack only when there is none and keeps
  the outputs a failed run left pending (which the next run would wait for), so each
  evaluation forgets them first, as ``pulumi.runtime.test`` does.
- ``running_under_mocks``: no public API says whether the monitor is a mock.

``tests/infra/test_sdk_internals.py`` checks each of these names and signatures, so an SDK
upgrade that moves one fails there, by name, instead of deep inside an evaluation.
``components/`` holds this module (not ``local/``): the program's own components use it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pulumi.runtime import settings as _settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func

__all__ = ["MockMonitor", "forget_previous_run", "run_program", "running_under_mocks"]


def running_under_mocks() -> bool:
    """Whether the program runs under ``pulumi.runtime.set_mocks`` (unit tests, local env)."""
    return isinstance(_settings.get_monitor(), MockMonitor)


def forget_previous_run() -> None:
    """Forget the previous run's root stack, pending outputs and RPCs (call before set_mocks)."""
    _settings.ROOT.set(None)
    _settings.SETTINGS.outputs.clear()
    _settings.SETTINGS.rpc_manager.clear()


async def run_program(program: Callable[[], Awaitable[None] | None]) -> None:
    """Run ``program`` as the SDK's entry point does: then wait for its RPCs and shutdown."""
    await run_pulumi_func(program)
