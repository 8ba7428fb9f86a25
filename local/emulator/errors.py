"""The local deployer's own error."""

from __future__ import annotations


class UnknownResourceTypeError(NotImplementedError):
    """The program declared a resource type the local deployer neither creates nor records."""
