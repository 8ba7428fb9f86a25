"""Local users: sign a user up (if new) and in against the local Cognito pool.

``LocalEnvironment.user`` (the demo, the tests, ``up``'s banner) and ``./dev token`` (any
terminal, while ``up`` runs) share this: sign-up, confirmation and USER_PASSWORD_AUTH through
the public app client, as a front end does.
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
    """Sign ``username`` up (if new) and in: ``{"sub", "id_token", "access_token", ...}``.

    Only the pool's public operations, as a front end calls them (no AWS credentials, so it
    works from any terminal with IAM enforced): SignUp, ConfirmSignUp (the local pool takes
    any code: the step an e-mailed code is in AWS), InitiateAuth. ``sub`` is empty for a
    user that existed; a wrong password for one is Cognito's ``NotAuthorizedException``.
    """
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    identity = cloud.identity
    if identity is None:
        raise RuntimeError("no identity provider in this environment")
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=cloud.endpoint,
        region_name=cloud.region,
        config=Config(signature_version=UNSIGNED),
    )
    try:
        sub = cognito.sign_up(
            ClientId=identity.client_id,
            Username=username,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
        )["UserSub"]
        cognito.confirm_sign_up(
            ClientId=identity.client_id, Username=username, ConfirmationCode="000000"
        )
    except cognito.exceptions.UsernameExistsException:
        sub = ""
    result = cognito.initiate_auth(
        ClientId=identity.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )["AuthenticationResult"]
    return {
        "sub": sub,
        "id_token": result["IdToken"],
        "access_token": result["AccessToken"],
        "refresh_token": result.get("RefreshToken", ""),
    }


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
