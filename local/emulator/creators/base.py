"""What every creator is: a function making one resource type in the emulator.

A creator gets the deployment (``Target``: clients acting as the stack's deploy role, and the
secret values the local run owns), the resource's Pulumi inputs, its provider's account and
region, and returns the id and outputs ``pulumi up`` would have recorded. The helpers turn
Pulumi's camelCase inputs into the AWS API's shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import pulumi

Outputs = dict[str, Any]
Inputs = dict[str, Any]
Args = pulumi.runtime.MockResourceArgs


class Target(Protocol):
    """The deployment a creator works for (``EmulatorMocks``)."""

    secret_values: Mapping[str, str]
    """Secret name -> value the local run puts in (out of band in prod)."""

    def client(self, service: str, account: str, region: str) -> Any:
        """A boto3 client of the emulator acting in ``account`` as the deploy role."""
        ...


Creator = Callable[[Target, Args, Inputs, str, str], tuple[str, Outputs]]
"""``(target, args, inputs, account, region) -> (id, outputs)``."""

SPECIAL_KEYS = {"id": "ID", "sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"}


def pascal(value: Any) -> Any:
    """Pulumi's camelCase inputs -> the AWS API's PascalCase shapes (numbers as ints)."""
    if isinstance(value, Mapping):
        return {
            SPECIAL_KEYS.get(key, key[:1].upper() + key[1:]): pascal(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [pascal(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def as_int(value: Any) -> int:
    """Pulumi's mocks pass numbers as floats; AWS wants integers."""
    return int(float(value))


def bool_text(value: Any) -> str:
    """Attributes AWS takes as text ("true"/"false")."""
    return "true" if value in (True, "true") else "false"


def tag_list(
    tags: Mapping[str, str] | None, key: str = "Key", value: str = "Value"
) -> list[dict[str, str]]:
    """A tag map as the list of pairs most AWS APIs take."""
    return [{key: k, value: v} for k, v in sorted((tags or {}).items())]
