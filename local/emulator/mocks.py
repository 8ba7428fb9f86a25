"""``EmulatorMocks``: the Pulumi mocks that create each resource in the embedded cloud.

Every resource the emulator can hold is created for real (``creators/``) in the account of
its provider, as the stack's deploy role, and the emulator's identifiers become the
resource's outputs; what it cannot run is recorded (``recorded.py``). An unknown resource
type fails the deployment with its name: a silently skipped resource would only surface
later as a handler failing against something that does not exist.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pulumi

from local.emulator.cloud import ROLE_NAME, EmbeddedCloud
from local.emulator.creators import CREATORS
from local.emulator.creators.base import Outputs
from local.emulator.errors import UnknownResourceTypeError
from local.emulator.recorded import RECORDED_TYPES, recorded_outputs
from local.program import RecordingMocks


class EmulatorMocks(RecordingMocks):
    """Creates each resource in the embedded cloud, in the account of its provider."""

    def __init__(
        self,
        cloud: EmbeddedCloud,
        region: str | None = None,
        stack_outputs: Mapping[str, dict[str, Any]] | None = None,
        secret_values: Mapping[str, str] | None = None,
        role: str = ROLE_NAME,
    ) -> None:
        super().__init__()
        self.cloud = cloud
        self.role = role
        """The role every resource is created as (the stack's deploy role)."""
        self.region = region or cloud.region
        self.stack_outputs = dict(stack_outputs or {})
        self.secret_values: Mapping[str, str] = dict(secret_values or {})
        self.created: set[tuple[str, str]] = set()
        """(type, logical name) of the resources created in the emulator (others: recorded)."""
        self.errors: list[Exception] = []
        self._lock = threading.Lock()

    def client(self, service: str, account: str, region: str) -> Any:
        """A client of the emulator in ``account``, acting as the deploy role."""
        return self.cloud.client(service, account, region, role=self.role)

    def outputs_for(
        self, args: pulumi.runtime.MockResourceArgs, account: str | None
    ) -> tuple[str, Outputs]:
        try:
            return self._outputs_for(args, account)
        except Exception as error:
            # Pulumi's mock monitor may wrap or lose the exception; keep it to re-raise.
            with self._lock:
                self.errors.append(error)
            raise

    def _outputs_for(
        self, args: pulumi.runtime.MockResourceArgs, account: str | None
    ) -> tuple[str, Outputs]:
        typ = args.typ
        inputs = dict(args.inputs)
        if typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(inputs.get("name", args.name))
        if typ.startswith("pulumi:providers:"):
            return args.name, inputs
        if not args.custom:  # component resources hold nothing themselves
            return "", {}
        creator = CREATORS.get(typ)
        if creator is None and typ not in RECORDED_TYPES:
            raise UnknownResourceTypeError(
                f"the local deployer does not know resource type {typ} ({args.name}): "
                "add a creator to local/emulator/creators/ or record it in "
                "local/emulator/recorded.py"
            )
        if account is None:
            raise ValueError(f"{typ} {args.name} has no provider account")
        region = inputs.get("region") or self.region
        if creator is None:
            resource_id, extra = recorded_outputs(args, inputs, account, region)
        else:
            resource_id, extra = creator(self, args, inputs, account, region)
            with self._lock:
                self.created.add((typ, args.name))
        return resource_id, {**inputs, **extra}

    def _stack_reference(self, name: str) -> tuple[str, Outputs]:
        if name not in self.stack_outputs:
            deployed = ", ".join(sorted(self.stack_outputs)) or "none"
            raise KeyError(f"stack reference {name!r} is not deployed yet (deployed: {deployed})")
        return name, {"name": name, "outputs": self.stack_outputs[name]}
