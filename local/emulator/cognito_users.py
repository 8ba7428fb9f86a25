"""WORKAROUND (moto 5.2.x): Cognito finds users by their ``sub``, and confirming verifies email.

Why: the notification service reads a user's address with ``AdminGetUser(Username=<sub>)``:
events carry the JWT ``sub``, and Cognito accepts the ``sub`` wherever a username is asked
for. moto looks users up by username (or alias) only, so the lookup of any user who signed up
with a username fails with UserNotFound. And Cognito marks the address ``email_verified`` when
a sign-up is confirmed with the code it mailed (``AutoVerifiedAttributes: [email]``); moto's
``ConfirmSignUp`` leaves it unset, so no local user would have an address worth mailing.

How: moto's pool lookup falls back to the user whose ``sub`` is the name asked for, and its
``confirm_sign_up`` sets ``email_verified`` when the pool auto-verifies email.

How to remove: the canaries in ``tests/local/test_cognito_users.py`` fail the day moto does
either itself; then delete this module and its install call in local/emulator/cloud.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUserPool

_LOCK = threading.Lock()
_INSTALLED = False
_ORIGINAL_GET_USER = CognitoIdpUserPool._get_user
_ORIGINAL_CONFIRM = CognitoIdpBackend.confirm_sign_up
"""moto's own behaviour, kept for the canaries."""


def install() -> None:
    """Patch moto's Cognito in this process (idempotent)."""
    global _INSTALLED
    with _LOCK:
        if not _INSTALLED:
            CognitoIdpUserPool._get_user = _or_by_sub(CognitoIdpUserPool._get_user)  # type: ignore[method-assign]
            CognitoIdpBackend.confirm_sign_up = _verifying(CognitoIdpBackend.confirm_sign_up)  # type: ignore[method-assign]
            _INSTALLED = True


def _or_by_sub(original: Callable[..., Any]) -> Callable[..., Any]:
    def _get_user(self: CognitoIdpUserPool, username: str) -> Any:
        user = original(self, username)
        if user is None:
            user = next((u for u in self.users.values() if u.id == username), None)
        return user

    return _get_user


def _verifying(original: Callable[..., Any]) -> Callable[..., Any]:
    def confirm_sign_up(self: CognitoIdpBackend, client_id: str, username: str) -> str:
        result = original(self, client_id, username)
        for pool in self.user_pools.values():
            if client_id in pool.clients:
                user = pool._get_user(username)
                auto = pool.extended_config.get("AutoVerifiedAttributes") or []
                if user is not None and "email" in auto and "email" in user.attribute_lookup:
                    user.update_attributes([{"Name": "email_verified", "Value": "true"}])
        return str(result)

    return confirm_sign_up
