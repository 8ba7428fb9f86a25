"""Local users: sign a user up (if new) and in against the local Cognito pool.

``LocalEnvironment.user`` (the demo, the tests, ``up``'s banner) and ``./dev token`` (any
terminal, while ``up`` runs) share this: sign-up, confirmation and USER_PASSWORD_AUTH through
the public app client, as a front end does.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.emulator.cloud import EmbeddedCloud
    from local.endpoints import Endpoints

DEFAULT_USER = "local-user"
DEFAULT_PASSWORD = "Local-passw0rd!"
"""Meets the local pool's password policy (eight characters or more)."""
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class GroupGrant:
    """Put the user in ``group`` before signing in, with ``cognito`` (a cognito-idp client
    with the identity account's administrator credentials): what an operator does in AWS."""

    cognito: Any
    group: str


def admin_group(env: str = "local") -> str:
    """The environment's moderators group (``marketplace:adminGroup``, default ``admins``)."""
    import yaml

    from components.settings import Settings

    config = yaml.safe_load((REPO_ROOT / f"Pulumi.{env}.yaml").read_text()).get("config", {})
    default = str(Settings.model_fields["admin_group"].default)
    return str(config.get("marketplace:adminGroup", default))


def join_group(grant: GroupGrant, user_pool_id: str, username: str) -> None:
    """Create the group if the pool lacks it, and add the user (both idempotent)."""
    with suppress(grant.cognito.exceptions.GroupExistsException):
        grant.cognito.create_group(
            GroupName=grant.group,
            UserPoolId=user_pool_id,
            Description="Moderators: may review uploads (upload's /admin/reviews routes)",
        )
    grant.cognito.admin_add_user_to_group(
        UserPoolId=user_pool_id, Username=username, GroupName=grant.group
    )


def sign_in_user(
    cloud: EmbeddedCloud,
    username: str,
    password: str = DEFAULT_PASSWORD,
    group: GroupGrant | None = None,
) -> dict[str, str]:
    """Sign ``username`` up (if new) and in: ``{"sub", "id_token", "access_token", ...}``.

    Only the pool's public operations, as a front end calls them (no AWS credentials, so it
    works from any terminal with IAM enforced): SignUp, ConfirmSignUp (the local pool takes
    any code: the step an e-mailed code is in AWS), InitiateAuth. ``sub`` is empty for a
    user that existed; a wrong password for one is Cognito's ``NotAuthorizedException``.
    With ``group`` the user joins it first, so the tokens carry it in ``cognito:groups``.
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
    if group is not None:
        join_group(group, identity.user_pool_id, username)
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


def operator_grant(cloud: EmbeddedCloud, group: str) -> GroupGrant:
    """A grant made with the identity account's administrator, in the process that runs the
    emulator (the tests, the demo)."""
    from local.emulator.cloud import IDENTITY_ACCOUNT

    return GroupGrant(cloud.client("cognito-idp", IDENTITY_ACCOUNT), group)


def recorded_grant(endpoints: Endpoints, graph_path: Path, group: str) -> GroupGrant:
    """A grant from another terminal: the identity account's credentials that ``up`` recorded
    in its graph (throw-away, local only)."""
    import boto3

    from local.emulator.cloud import IDENTITY_ACCOUNT
    from local.graph import Graph

    credentials = Graph.load(graph_path).credentials_for(IDENTITY_ACCOUNT)
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=endpoints.aws_endpoint,
        region_name=endpoints.region,
        **credentials,
    )
    return GroupGrant(cognito, group)
