"""A release that fails every invocation: the new version a traffic-shift test deploys.

It stands for a bad deploy (a broken import path, a missing permission, a bug on the hot
path): whatever the cause, Lambda counts each failed invocation in ``Errors``, the metric
the function's error alarm watches during a shift.
"""

from __future__ import annotations

from typing import Any


class BrokenRelease(RuntimeError):
    """What every invocation of this release raises."""


def lambda_handler(event: Any, context: Any) -> Any:
    raise BrokenRelease("this release fails every request")
