"""IAM enforced in the embedded cloud, and exactly where moto cannot judge it (a workaround).

moto checks identity policies when its ``INITIAL_NO_AUTH_ACTION_COUNT`` is exhausted: a
caller's credentials must belong to a real user or assumed role, and the request's action
must be allowed by that principal's policies. That switch is process-wide; this module turns
it on per embedded cloud instead (requests that reach an enforced server), so the handler
tests that run moto in-process (``mock_aws``) in the same pytest process stay unaffected.

What moto judges, and what it cannot (each has a canary in
``tests/local/test_iam_enforcement.py`` that fails when moto changes):

- **Actions**: judged for every service, for every request that reaches the server.
- **Resources**: judged for S3 (bucket and object ARNs), SQS (queue ARN) and IAM roles. For
  every other service moto passes ``"*"`` as the request's resource, which a statement
  scoped to ARNs never matches, so without help every scoped grant would be denied.
  ``judge_by_action_where_moto_has_no_resource`` makes a statement match when moto has no
  resource to compare: those services are judged by action only.
- **Policy variables** (``${aws:PrincipalAccount}``...) are not substituted by moto: the
  deploy roles are created with their documents rendered for the account, env and service,
  as IAM would evaluate them (``render_policy_variables``).
- **Conditions** are not evaluated for identity policies (moto passes no request context),
  and **resource policies** (bucket, topic, queue, key) are not consulted. The policy pack
  and the IAM linter cover those statically.
- **DynamoDB transactions**: IAM has no ``TransactWriteItems``/``TransactGetItems`` action;
  AWS authorizes each item as ``PutItem``, ``UpdateItem``, ``DeleteItem``,
  ``ConditionCheckItem`` or ``GetItem`` on its table. moto asks for the operation's name,
  which no correct policy grants: ``authorize_transactions_per_item`` asks for each item's.
- **Unsigned S3 requests AWS accepts**: presigned ones (query-string or POST-form
  signatures) and CORS preflights (``OPTIONS``, never signed) carry no Authorization header,
  which moto's check requires: ``let_unsigned_s3_requests_through`` lets them pass unjudged.
  A presigned URL's signer's ``s3:PutObject``/``GetObject`` grant is checked statically only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from moto import settings as moto_settings
from moto.core import authorization
from moto.iam import access_control

_ENFORCED_PORTS: set[int] = set()
_LOCK = threading.Lock()
_REQUEST = threading.local()
_INSTALLED = False


class _PerServerSettings:
    """moto's settings, but the no-auth budget is 0 while serving an enforced server."""

    def __getattr__(self, name: str) -> Any:
        return getattr(moto_settings, name)

    @property
    def INITIAL_NO_AUTH_ACTION_COUNT(self) -> float:
        return 0 if getattr(_REQUEST, "enforced", False) else float("inf")


def install() -> None:
    """Patch moto once per process (idempotent)."""
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        authorization.settings = _PerServerSettings()  # type: ignore[assignment]
        mixin = authorization.ActionAuthenticatorMixin
        mixin._authenticate_and_authorize_action = _per_server(  # type: ignore[method-assign]
            mixin._authenticate_and_authorize_action
        )
        mixin._authenticate_and_authorize_s3_action = let_unsigned_s3_requests_through(  # type: ignore[method-assign]
            mixin._authenticate_and_authorize_s3_action
        )
        request = access_control.IAMRequestBase
        request.check_action_permitted = authorize_transactions_per_item(  # type: ignore[method-assign]
            request.check_action_permitted
        )
        statement = access_control.IAMPolicyStatement
        statement._check_element_matches = judge_by_action_where_moto_has_no_resource(  # type: ignore[method-assign,assignment]
            statement._check_element_matches
        )
        _INSTALLED = True


def enforce(endpoint: str) -> None:
    """From now on, every request to the server at ``endpoint`` is authorized by IAM."""
    install()
    port = urlparse(endpoint).port
    if port is None:
        raise ValueError(f"endpoint {endpoint!r} has no port")
    with _LOCK:
        _ENFORCED_PORTS.add(port)


def release(endpoint: str) -> None:
    port = urlparse(endpoint).port
    with _LOCK:
        _ENFORCED_PORTS.discard(port or -1)


def is_enforced(endpoint: str) -> bool:
    return urlparse(endpoint).port in _ENFORCED_PORTS


def _request_port(handler: Any) -> int | None:
    host = (getattr(handler, "headers", None) or {}).get("Host", "")
    return urlparse(f"http://{host}").port if host else None


def _per_server(original: Callable[..., None]) -> Callable[..., None]:
    def authorize(self: Any, *args: Any, **kwargs: Any) -> None:
        _REQUEST.enforced = _request_port(self) in _ENFORCED_PORTS
        try:
            original(self, *args, **kwargs)
        finally:
            _REQUEST.enforced = False

    return authorize


def let_unsigned_s3_requests_through(original: Callable[..., None]) -> Callable[..., None]:
    """moto reads credentials from the Authorization header only; these requests have none."""

    def authorize(self: Any, *args: Any, **kwargs: Any) -> None:
        unsigned = "Authorization" not in self.headers
        if unsigned and (getattr(self, "method", "") == "OPTIONS" or _is_presigned(self)):
            return
        original(self, *args, **kwargs)

    return authorize


def _is_presigned(handler: Any) -> bool:
    query = urlparse(getattr(handler, "uri", "") or "").query
    form = {key.lower() for key in (getattr(handler, "form_data", None) or {})}
    return "X-Amz-Signature=" in query or "x-amz-signature" in form


TRANSACTION_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
TRANSACTIONS = ("dynamodb:TransactWriteItems", "dynamodb:TransactGetItems")


def authorize_transactions_per_item(original: Callable[[Any, str], None]) -> Callable[..., None]:
    def check(self: Any, resource: str) -> None:
        if self._action not in TRANSACTIONS:
            return original(self, resource)
        body = json.loads(self._body or b"{}")
        operation = self._action
        try:
            for item in body.get("TransactItems", []):
                for kind, action in TRANSACTION_ITEM_ACTIONS.items():
                    if kind in item:
                        self._action = action
                        original(self, resource)
        finally:
            self._action = operation
        return None

    return check


def judge_by_action_where_moto_has_no_resource(
    original: Callable[[Any, Any, str], bool],
) -> Callable[[Any, Any, str], bool]:
    """A statement's Resource matches when moto passes no resource ("*") for the request."""

    def matches(self: Any, element: Any, value: str) -> bool:
        if element == "Resource" and value == "*":
            return True
        return original(self, element, value)

    return matches


def render_policy_variables(document: str, account: str, env: str, service: str) -> str:
    """The document as IAM evaluates it for a role of ``account`` tagged ``env``/``service``."""
    from tools.deploy_role import ACCOUNT, ENV, SERVICE

    for variable, value in ((ACCOUNT, account), (ENV, env), (SERVICE, service)):
        document = document.replace(variable, value)
    return document
