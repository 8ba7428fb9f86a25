"""Fixed ports for ``up --port-base``: a stable layout, and a taken port refused by name."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from local.runtime.environment import LocalEnvironment
from local.runtime.ports import PortPlan
from local.runtime.serving import LOOPBACK, BackgroundServer, PortInUse


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind((LOOPBACK, 0))
        other.listen()
        yield other.getsockname()[1]


def test_port_plan_without_base_takes_free_ports() -> None:
    # GIVEN no --port-base
    plan = PortPlan(None, ["upload"])
    # THEN every server binds port 0 (a free one), even a service the plan never heard of
    assert (plan.port("emulator"), plan.port("cdn"), plan.api("upload"), plan.api("x")) == (0,) * 4
    assert not plan.fixed and plan.describe() == ""


def test_port_plan_layout_is_fixed_and_alphabetical() -> None:
    # GIVEN a base and the services in catalogue order
    plan = PortPlan(4000, ["upload", "catalog", "purchase"])
    # THEN emulator, CDN, web, then the APIs by name: the same URLs on every restart
    ports = {slot: plan.port(slot) for slot in plan.slots}
    assert ports == {
        "emulator": 4000,
        "cdn": 4001,
        "web": 4002,
        "api:catalog": 4003,
        "api:purchase": 4004,
        "api:upload": 4005,
    }
    with pytest.raises(KeyError, match="api:billing"):
        plan.api("billing")


@pytest.mark.parametrize("base", [80, 65533])
def test_port_plan_refuses_a_block_outside_the_user_ports(base: int) -> None:
    with pytest.raises(ValueError, match=f"--port-base {base}: the block {base}-"):
        PortPlan(base, ["catalog", "purchase", "upload"])


def test_taken_port_is_refused_naming_port_and_role(held_port: int) -> None:
    # GIVEN a plan whose emulator port another program holds
    plan = PortPlan(held_port, [])
    # WHEN the plan is checked
    # THEN the refusal names the port and what it was for
    with pytest.raises(PortInUse, match=f"port {held_port} on 127.0.0.1 \\(for the emulator"):
        plan.check_free()


def test_server_binding_a_taken_port_says_which(held_port: int) -> None:
    # GIVEN a port held since the plan was checked (a race)
    # WHEN a server binds it
    # THEN the error names the port, not an errno
    with pytest.raises(PortInUse, match=f"port {held_port} .*for the CDN"):
        BackgroundServer(BaseHTTPRequestHandler, LOOPBACK, held_port, role="the CDN")


def test_environment_refuses_taken_port_before_deploying(held_port: int, tmp_path: Path) -> None:
    # GIVEN fixed ports whose first one is taken, and a state folder with a previous run's log
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "runtime.log").write_text("previous run")
    environment = LocalEnvironment(
        state_dir=tmp_path, progress=lambda line: None, ports=PortPlan(held_port, ["upload"])
    )
    # WHEN it starts
    with pytest.raises(PortInUse, match=str(held_port)):
        environment.start()
    # THEN nothing was started or touched
    assert environment.cloud is None and environment.runtime is None
    assert (logs / "runtime.log").read_text() == "previous run"
