"""The Cognito workaround (local/emulator/cognito_users.py): why it exists, and that it holds."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto.cognitoidp.exceptions import UserNotFoundError
from moto.cognitoidp.models import cognitoidp_backends

from local.emulator import cognito_users

CANARY_ACCOUNT = "999900000043"
"""An account no environment uses: moto's in-process backend directly (not ``mock_aws``, whose
exit wipes moto's process-wide state, other tests' clouds included)."""


@pytest.fixture
def signed_up() -> Iterator[tuple[Any, Any, Any]]:
    """A pool that auto-verifies email, its client, and a user signed up (not confirmed)."""
    backend = cognitoidp_backends[CANARY_ACCOUNT]["eu-west-1"]
    pool = backend.create_user_pool(
        f"canary-{uuid.uuid4().hex[:6]}", {"AutoVerifiedAttributes": ["email"]}
    )
    client = backend.create_user_pool_client(pool.id, False, {"ClientName": "web"})
    user, _ = backend.sign_up(
        client.id, "carol", "Passw0rd!x", [{"Name": "email", "Value": "carol@example.com"}]
    )
    yield backend, client, user
    backend.delete_user_pool(pool.id)


def test_moto_still_finds_users_by_username_only(signed_up: tuple[Any, Any, Any]) -> None:
    backend, _client, user = signed_up
    pool_id = next(p for p in backend.user_pools.values() if user.username in p.users).id
    original = cognito_users._ORIGINAL_GET_USER
    # THEN moto's own lookup misses the sub; when this fails, Cognito's sub lookup is native
    assert original(backend.user_pools[pool_id], user.id) is None
    assert user.id != user.username


def test_moto_still_leaves_email_unverified_on_confirmation(
    signed_up: tuple[Any, Any, Any],
) -> None:
    backend, client, user = signed_up
    cognito_users._ORIGINAL_CONFIRM(backend, client.id, "carol")
    assert "email_verified" not in user.attribute_lookup


def test_workaround_finds_the_user_by_sub_and_verifies_on_confirmation(
    signed_up: tuple[Any, Any, Any],
) -> None:
    backend, client, user = signed_up
    pool_id = next(p for p in backend.user_pools.values() if user.username in p.users).id
    cognito_users.install()
    backend.confirm_sign_up(client.id, "carol")
    found = backend.admin_get_user(pool_id, user.id)
    assert found is user and user.attribute_lookup["email_verified"] == "true"
    with pytest.raises(UserNotFoundError):
        backend.admin_get_user(pool_id, str(uuid.uuid4()))
