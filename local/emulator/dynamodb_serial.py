"""WORKAROUND (moto 5.2.x): an account's DynamoDB requests are served one at a time.

Why: moto's ``TransactWriteItems`` snapshots every table it touches (``copy.deepcopy``) and,
when a condition fails, puts the snapshot back whole. A write another request committed in
between (another consumer's transaction, a ``PutItem``) is silently undone: a lost update
DynamoDB never makes. The catalog counts popularity with conditioned transactions retried on
conflict, so under concurrent purchases of one image a count went missing (seen in the fault
burst test, ``tests/e2e/test_faults.py``: 1 purchase counted of 2).

How: a lock per account around moto's DynamoDB request handler, so each request (a
transaction included) runs alone among its account's; DynamoDB's own per-item
linearisability is what this restores. A transaction never spans accounts (each account is
its own moto backend), so accounts need not wait for each other: one lock for all of them let
the catalog indexer's entry writes (a published image is ~160 conditional writes) starve every
other service's table, and API calls timed out.

How to remove: the canary in ``tests/local/test_dynamodb_serial.py`` fails the day moto stops
restoring whole tables; then delete this module and its install call in local/emulator/cloud.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.responses import DynamoHandler

_GUARD = threading.Lock()
_LOCKS: dict[str, threading.RLock] = {}
_INSTALLED = False


def lock_for(account: str) -> threading.RLock:
    """The one lock of ``account``'s DynamoDB requests."""
    with _GUARD:
        return _LOCKS.setdefault(account, threading.RLock())


def install() -> None:
    """Serialise moto's DynamoDB requests per account in this process (idempotent)."""
    global _INSTALLED
    with _GUARD:
        if not _INSTALLED:
            DynamoHandler.call_action = _serialised(DynamoHandler.call_action)  # type: ignore[method-assign]
            _INSTALLED = True


def _serialised(original: Callable[..., Any]) -> Callable[..., Any]:
    def call_action(self: Any) -> Any:
        with lock_for(str(getattr(self, "current_account", ""))):
            return original(self)

    return call_action
