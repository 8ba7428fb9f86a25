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
- **Policy variables** (``${aws:PrincipalAccount}``, ``${aws:PrincipalTag/<key>}``) are not
  substituted by moto: ``resolve_policy_variables`` fills them in from the assumed role's
  account and tags when moto collects its policies, as IAM does (an untagged role's
  ``${aws:PrincipalTag/env}`` stays unresolved and matches nothing: fail closed). So the
  bootstrap creates the roles with the very documents of docs/deploy-roles/.
- **Policy variables in ARNs** fail moto's document validation (it splits the ARN on ``:``,
  and ``${aws:PrincipalAccount}`` has one): ``accept_policy_variables_in_arns`` validates a
  copy with each variable replaced by a sample value, as AWS accepts them; the document is
  stored as written.
- **Permissions boundaries** are stored by moto but never consulted:
  ``enforce_permissions_boundaries`` also requires the assumed role's boundary (its managed
  policy, variables filled in) to allow the action on the resource.
- **Conditions** are not evaluated for identity policies (moto passes no request context;
  it evaluates only ``StringEquals`` on ``sts:ExternalId`` in trust policies). One key is
  evaluated here, because the permissions boundary rests on it: ``iam:PermissionsBoundary``
  on the IAM role actions (``ROLE_ACTIONS_WITH_BOUNDARY_KEY``): the boundary a CreateRole or
  PutRolePermissionsBoundary asks for, or the boundary the named role has
  (``evaluate_boundary_conditions``). Every other condition key is still unjudged, and
  **resource policies** (bucket, topic, queue, key) are not consulted. The policy pack and
  the IAM linter cover those statically.
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

import fnmatch
import functools
import json
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

from moto import settings as moto_settings
from moto.core import authorization
from moto.iam import access_control, policy_validation
from moto.iam.exceptions import NotFoundException

_ENFORCED_PORTS: set[int] = set()
_LOCK = threading.Lock()
_REQUEST = threading.local()
_INSTALLED = False


class _PerServerSettings:
    """moto's settings, but the no-auth budget is 0 while serving an enforced server; any
    other request has the in-process budget (unlimited unless a test sets it)."""

    def __init__(self) -> None:
        self._in_process_budget = float("inf")

    def __getattr__(self, name: str) -> Any:
        return getattr(moto_settings, name)

    @property
    def INITIAL_NO_AUTH_ACTION_COUNT(self) -> float:
        return 0 if getattr(_REQUEST, "enforced", False) else self._in_process_budget

    @INITIAL_NO_AUTH_ACTION_COUNT.setter
    def INITIAL_NO_AUTH_ACTION_COUNT(self, budget: float) -> None:
        """What moto's ``set_initial_no_auth_action_count`` sets (and restores) for in-process
        tests; an enforced server's requests stay at 0."""
        self._in_process_budget = budget


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
            enforce_permissions_boundaries(request.check_action_permitted)
        )
        statement = access_control.IAMPolicyStatement
        statement._check_element_matches = judge_by_action_where_moto_has_no_resource(  # type: ignore[method-assign,assignment]
            statement._check_element_matches
        )
        statement.is_action_permitted = evaluate_boundary_conditions(  # type: ignore[method-assign]
            statement.is_action_permitted
        )
        role_key = access_control.AssumedRoleAccessKey
        role_key.collect_policies = resolve_policy_variables(role_key.collect_policies)  # type: ignore[method-assign,assignment]
        validator = policy_validation.BaseIAMPolicyValidator
        validator.__init__ = accept_policy_variables_in_arns(validator.__init__)  # type: ignore[method-assign]
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


# -- policy variables, permissions boundaries, the iam:PermissionsBoundary condition key --------

BOUNDARY_KEY = "iam:PermissionsBoundary"
ROLE_ACTIONS_WITH_BOUNDARY_KEY = frozenset(
    {
        "iam:AttachRolePolicy",
        "iam:CreateRole",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PutRolePermissionsBoundary",
        "iam:PutRolePolicy",
    }
)
"""IAM actions whose request context carries ``iam:PermissionsBoundary`` (AWS's reference)."""
BOUNDARY_FROM_REQUEST = frozenset({"iam:CreateRole", "iam:PutRolePermissionsBoundary"})
"""...taken from the request; the others carry the boundary the role already has."""


def _role_of(access_key: Any) -> Any:
    """The IAM role behind assumed-role credentials (``None`` for users)."""
    name = getattr(access_key, "_owner_role_name", None)
    if name is None:
        return None
    try:
        return access_key.backend.get_role(name)
    except NotFoundException:
        return None


def principal_variables(access_key: Any) -> dict[str, str]:
    """``${aws:PrincipalAccount}`` and ``${aws:PrincipalTag/<key>}`` of an assumed role."""
    values = {"${aws:PrincipalAccount}": str(access_key.account_id)}
    role = _role_of(access_key)
    if role is not None:
        tags, _ = access_key.backend.list_role_tags(role.name, None)
        values |= {f"${{aws:PrincipalTag/{t['Key']}}}": t["Value"] for t in tags}
    return values


def _document(policy: Any) -> str:
    """An inline policy's text, or a managed policy's default version's."""
    if isinstance(policy, str):
        return policy
    versions = getattr(policy, "versions", None)
    if versions:
        return str(next(v.document for v in versions if v.is_default))
    return str(policy["policy_document"]) if isinstance(policy, Mapping) else str(policy)


def _rendered(document: str, values: Mapping[str, str]) -> str:
    for variable, value in values.items():
        document = document.replace(variable, value)
    return document


def resolve_policy_variables(original: Callable[[Any], list[Any]]) -> Callable[[Any], list[str]]:
    def collect(self: Any) -> list[str]:
        values = principal_variables(self)
        return [_rendered(_document(policy), values) for policy in original(self)]

    return collect


def _request_value(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value) if value else None


def boundary_context(request: Any) -> dict[str, str | None]:
    """The ``iam:PermissionsBoundary`` key of the request, for the role actions that have it."""
    if request._action not in ROLE_ACTIONS_WITH_BOUNDARY_KEY:
        return {}
    data = request._data or {}
    if request._action in BOUNDARY_FROM_REQUEST:
        return {BOUNDARY_KEY: _request_value(data, "PermissionsBoundary")}
    try:
        role = request.backend.get_role(_request_value(data, "RoleName") or "")
    except NotFoundException:
        return {BOUNDARY_KEY: None}
    return {BOUNDARY_KEY: role.permissions_boundary_arn or None}


def enforce_permissions_boundaries(original: Callable[[Any, str], None]) -> Callable[..., None]:
    """Identity policies allow it (moto) and the principal's boundary allows it too (here)."""

    def check(self: Any, resource: str) -> None:
        _REQUEST.context = boundary_context(self)
        try:
            original(self, resource)
        finally:
            _REQUEST.context = {}
        if self._action == "sts:GetCallerIdentity":  # AWS answers it whatever the policies
            return
        boundary = _boundary_document(self._access_key)
        if boundary is None:
            return
        result = access_control.IAMPolicy(boundary).is_action_permitted(self._action, resource)
        if result != access_control.PermissionResult.PERMITTED:
            self._raise_access_denied()

    return check


def _boundary_document(access_key: Any) -> str | None:
    role = _role_of(access_key)
    arn = getattr(role, "permissions_boundary_arn", None)
    if not arn:
        return None
    try:
        policy = access_key.backend.get_policy(arn)
    except NotFoundException:
        return json.dumps({"Version": "2012-10-17", "Statement": []})  # allows nothing
    return _rendered(_document(policy), principal_variables(access_key))


def condition_holds(operator: str, expected: Any, actual: str | None) -> bool:
    """One condition operator on one key, as IAM evaluates it (a missing key fails, except
    for the negated and ``...IfExists`` operators)."""
    base = operator.removesuffix("IfExists")
    negated = "Not" in base
    if actual is None:
        return negated or operator.endswith("IfExists")
    patterns = expected if isinstance(expected, list) else [expected]
    like = base.endswith("Like")
    matched = any(
        fnmatch.fnmatchcase(actual, str(p)) if like else actual == str(p) for p in patterns
    )
    return not matched if negated else matched


def evaluate_boundary_conditions(original: Callable[..., Any]) -> Callable[..., Any]:
    """An identity-policy statement whose ``iam:PermissionsBoundary`` condition fails does
    not apply (NEUTRAL); moto would treat the condition as met."""

    def permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        context = getattr(_REQUEST, "context", None) or {}
        if principal is None and incoming_condition_values is None and context:
            for operator, keys in (self._statement.get("Condition") or {}).items():
                for key, expected in keys.items():
                    if key in context and not condition_holds(operator, expected, context[key]):
                        return access_control.PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    return permitted


POLICY_VARIABLE = re.compile(r"\$\{[^}]*\}")
VARIABLE_SAMPLE = "000000000000"
"""Stands for any variable when moto validates a document (a colon-free account id shape)."""


def accept_policy_variables_in_arns(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def init(self: Any, policy_document: str) -> None:
        original(self, POLICY_VARIABLE.sub(VARIABLE_SAMPLE, policy_document))

    return init
