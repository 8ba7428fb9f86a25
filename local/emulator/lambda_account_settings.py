"""WORKAROUND (moto 5.2.x): Lambda's GetAccountSettings, which moto does not implement.

Why: ``./dev preflight`` reads an account's concurrency quota with ``lambda:GetAccountSettings``
(``AccountLimit.ConcurrentExecutions`` and ``UnreservedConcurrentExecutions``); moto 5.2.x
answers ``404`` for ``GET /2016-08-19/account-settings``. moto does model the quota: when
``MOTO_LAMBDA_CONCURRENCY_QUOTA`` is set it refuses a ``PutFunctionConcurrency`` that would
leave fewer than 100 executions unreserved. This module answers GetAccountSettings from that
same variable (AWS's usual default, 1000, when unset) and the reserved concurrency of the
account's functions, so a test can give an account a new account's quota of 10.

How: ``install()`` adds the route to moto's Lambda URL table and a ``get_account_settings``
action to its response class. moto builds each server's Lambda app from that table on the
server's first Lambda request, so ``install()`` must run before that. The action goes through
moto's normal dispatch, IAM authorization included.

How to remove: ``tests/tools/test_preflight.py::test_moto_still_lacks_get_account_settings``
fails the day moto answers on its own; then delete this module and the ``install()`` calls.
"""

from __future__ import annotations

import json
import os

from moto.awslambda import urls
from moto.awslambda.responses import LambdaResponse

ROUTE = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
QUOTA_VARIABLE = "MOTO_LAMBDA_CONCURRENCY_QUOTA"
"""moto's own knob for the account's concurrent-executions quota."""
DEFAULT_QUOTA = 1000
CODE_SIZE_LIMITS = {
    "TotalCodeSize": 80_530_636_800,
    "CodeSizeUnzipped": 262_144_000,
    "CodeSizeZipped": 52_428_800,
}
"""Lambda's documented code-size limits, returned alongside the concurrency figures."""

_NATIVE = ROUTE in urls.url_paths or hasattr(LambdaResponse, "get_account_settings")
"""Whether moto itself answers GetAccountSettings (decided before anything is installed)."""


def moto_implements_it() -> bool:
    """True once moto has its own GetAccountSettings (then this module must go)."""
    return _NATIVE


def install() -> None:
    """Teach moto's Lambda GetAccountSettings (idempotent; before the first Lambda request)."""
    if _NATIVE:
        raise RuntimeError(
            "moto now implements Lambda GetAccountSettings: delete "
            "local/emulator/lambda_account_settings.py and its install() calls"
        )
    LambdaResponse.get_account_settings = _get_account_settings  # type: ignore[attr-defined]
    urls.url_paths[ROUTE] = LambdaResponse.dispatch


def _get_account_settings(self: LambdaResponse) -> str:
    quota = int(os.environ.get(QUOTA_VARIABLE, DEFAULT_QUOTA))
    functions = list(self.backend.list_functions())
    reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
    return json.dumps(
        {
            "AccountLimit": {
                **CODE_SIZE_LIMITS,
                "ConcurrentExecutions": quota,
                "UnreservedConcurrentExecutions": quota - reserved,
            },
            "AccountUsage": {
                "TotalCodeSize": sum(int(f.code_size or 0) for f in functions),
                "FunctionCount": len(functions),
            },
        }
    )
