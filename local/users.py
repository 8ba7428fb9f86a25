"""Local users: sign a user up (if new) and in against the local Cognito pool.

``LocalEnvironment.user`` (the demo, the tests, ``up``'s banner) and ``./dev token`` (any
terminal, while ``up`` runs) share this: the environment acts as the pool's administrator
and confirms the user at once - the step an e-mail code would take in AWS - then signs in
with USER_PASSWORD_AUTH through the public app client, as a front end does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local.emulator.cloud import EmbeddedCloud
    from local.endpoints import Endpoints

DEFAULT_USER = "local-user"
DEFAULT_PASSWORD = "Local-passw0rd!"
"""Meets the local pool's password policy (eight characters or more)."""


def sign_in_user(
    cloud: EmbeddedCloud, username: str, password: str = DEFAULT_PASSWORD
) -> dict[str, str]:
    """Create (if new) and sign in ``username``: ``{"sub", "id_token", "access_token", ...}``.

    ``sub`` is empty for a user that existed; a wrong password for one is Cognito's
    ``NotAuthorizedException``.
    """
    try:
        sub = cloud.create_user(username, password)
    except Exception as error:
        if "UsernameExists" not in type(error).__name__ + str(error):
            raise
        sub = ""
    return {"sub": sub, **cloud.sign_in(username, password)}


def attach(endpoints: Endpoints) -> EmbeddedCloud:
    """A client of the emulator a running ``up`` serves (never started here, so never stopped:
    its state belongs to that process)."""
    from local.emulator.cloud import EmbeddedCloud, Identity

    cloud = EmbeddedCloud(region=endpoints.region)
    cloud.endpoint = endpoints.aws_endpoint
    cloud.identity = Identity(
        user_pool_id=endpoints.user_pool_id,
        client_id=endpoints.client_id,
        issuer=endpoints.issuer,
        jwks_url=endpoints.jwks_url,
        audiences=(endpoints.client_id,),
    )
    return cloud
