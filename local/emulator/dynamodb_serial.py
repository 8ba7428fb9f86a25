"""WORKAROUND (moto 5.2.x): DynamoDB requests are served one at a time, as if atomic.

Why: moto's ``TransactWriteItems`` snapshots every table it touches (``copy.deepcopy``) and,
when a condition fails, puts the snapshot back whole. A write another request committed in
between (another consumer's transaction, a ``PutItem``) is silently undone: a lost update
DynamoDB never makes. The catalog counts popularity with conditioned transactions retried on
conflict, so under concurrent purchases of one image a count went missing (seen in the fault
burst test, ``tests/e2e/test_faults.py``: 1 purchase counted of 2).

How: one lock around moto's DynamoDB request handler, so each request (a transaction
included) runs alone; DynamoDB's own per-item linearisability is what this restores. Calls
are short; the local environment does not notice the serialisation.

How to remove: the canary in ``tests/local/test_dynamodb_serial.py`` fails the day moto stops
restoring whole tables; then delete this module and its install call in local/emulator/cloud.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.responses import DynamoHandler

_LOCK = threading.RLock()
_INSTALLED = False


def install() -> None:
    """Serialise moto's DynamoDB requests in this process (idempotent)."""
    global _INSTALLED
    with _LOCK:
        if not _INSTALLED:
            DynamoHandler.call_action = _serialised(DynamoHandler.call_action)  # type: ignore[method-assign]
            _INSTALLED = True


def _serialised(original: Callable[..., Any]) -> Callable[..., Any]:
    def call_action(self: Any) -> Any:
        with _LOCK:
            return original(self)

    return call_action
