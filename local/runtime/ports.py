"""Which port each local server listens on: free ones, or a fixed block (``up --port-base``).

Without a base every server takes a free port, so any number of environments (the suite's,
a developer's ``up``) run side by side. With a base the layout is fixed, so bookmarks and
front-end configs survive restarts: the emulator (Cognito included) on ``base``, the CDN on
``base + 1``, the web app on ``base + 2`` (reserved), then one API per service of the event
catalogue in alphabetical order. A taken port is refused up front with its number and role,
before the deployment spends its seconds.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterable

from local.runtime.serving import LOOPBACK, PortInUse

FIXED_SLOTS = ("emulator", "cdn", "web")
"""The first ports of the block, in order; the services' APIs follow."""
RESERVED: tuple[str, ...] = ()
"""Slots nothing listens on yet (kept so the APIs' ports do not move when something does)."""
ROLES = {"emulator": "the emulator (AWS APIs, Cognito)", "cdn": "the CDN", "web": "the web app"}
LOWEST_BASE = 1024
"""Below: privileged ports, which need root."""
HIGHEST_PORT = 65535


class PortPlan:
    """Port per role: 0 (a free one) for every role without a base, else the fixed layout."""

    def __init__(self, base: int | None = None, services: Iterable[str] = ()) -> None:
        self.base = base
        self.slots: tuple[str, ...] = FIXED_SLOTS + tuple(f"api:{s}" for s in sorted(services))
        if base is not None:
            last = base + len(self.slots) - 1
            if base < LOWEST_BASE or last > HIGHEST_PORT:
                raise ValueError(
                    f"--port-base {base}: the block {base}-{last} must lie within "
                    f"{LOWEST_BASE}-{HIGHEST_PORT}"
                )

    @classmethod
    def for_catalogue(cls, base: int | None = None) -> PortPlan:
        """The plan for every service of the event catalogue (the stacks ``up`` deploys)."""
        from services.contracts.catalogue import SERVICES

        return cls(base, SERVICES)

    @property
    def fixed(self) -> bool:
        return self.base is not None

    def port(self, slot: str) -> int:
        """``slot`` (``"emulator"``, ``"cdn"``, ``"web"``, ``"api:<service>"``)'s port; 0: free."""
        if self.base is None:
            return 0
        if slot not in self.slots:
            raise KeyError(f"no port slot {slot!r} (have: {', '.join(self.slots)})")
        return self.base + self.slots.index(slot)

    def api(self, service: str) -> int:
        return self.port(f"api:{service}")

    def check_free(self, host: str = LOOPBACK) -> None:
        """``PortInUse`` naming the first fixed port (of a served slot) something holds."""
        if self.base is None:
            return
        for slot in self.slots:
            if slot not in RESERVED:
                ensure_free(host, self.port(slot), role(slot))

    def describe(self) -> str:
        """``emulator 4000, cdn 4001, ...`` for the banner; empty without a base."""
        if self.base is None:
            return ""
        return ", ".join(f"{slot.replace('api:', '')} {self.port(slot)}" for slot in self.slots)


def role(slot: str) -> str:
    """What listens on ``slot``'s port, in words (for messages)."""
    return ROLES.get(slot) or f"the {slot.removeprefix('api:')} API"


def ensure_free(host: str, port: int, role: str) -> None:
    """Bind and release ``host:port`` as the servers will (SO_REUSEADDR); ``PortInUse`` if held."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(host, port, role) from error
            raise
