"""The Pulumi SDK internals components/sdk_internals.py relies on are still there, as used.

These are not public APIs: an SDK upgrade may move or change them. Each test names the one
it checks, so an upgrade fails here, loudly and by name, not deep inside an evaluation.
"""

from __future__ import annotations

import contextvars
import inspect

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings
from pulumi.runtime import stack as pulumi_stack

from components import sdk_internals
from local.fake_cloud import FakeCloud
from local.program import evaluate


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_settings_hold_the_root_stack_outputs_and_rpcs_as_used() -> None:
    assert isinstance(settings.ROOT, contextvars.ContextVar)
    assert parameters(settings.get_monitor) == []
    assert isinstance(settings.SETTINGS.outputs, set)
    assert parameters(settings.SETTINGS.rpc_manager.clear) == []


def test_mock_monitor_takes_the_mocks_and_registers_resources_with_urns() -> None:
    assert parameters(pulumi_mocks.MockMonitor.__init__) == ["self", "mocks"]
    assert parameters(pulumi_mocks.MockMonitor.RegisterResource) == ["self", "request"]
    assert parameters(pulumi_mocks.MockMonitor.make_urn) == ["self", "parent", "type_", "name"]
    assert "monitor" in parameters(pulumi.runtime.set_mocks)
    assert sdk_internals.MockMonitor is pulumi_mocks.MockMonitor


def test_run_pulumi_func_runs_a_program_function() -> None:
    assert inspect.iscoroutinefunction(pulumi_stack.run_pulumi_func)
    assert parameters(pulumi_stack.run_pulumi_func) == ["func"]


def test_the_helpers_do_what_they_say() -> None:
    # GIVEN a program evaluated under mocks (it leaves its root stack and settings behind)
    evaluate("catalog-dev", FakeCloud())
    # THEN the runtime says it runs under mocks
    assert sdk_internals.running_under_mocks()
    # AND the previous run is forgotten on request, so the next set_mocks makes a new root
    assert pulumi.runtime.get_root_resource() is not None
    sdk_internals.forget_previous_run()
    assert pulumi.runtime.get_root_resource() is None
    assert not settings.SETTINGS.outputs
