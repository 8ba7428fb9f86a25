"""Where addresses come from: the identity provider, read at send time, never stored.

Cognito has no resource policies, so the cross-account read goes through a role in the
identity account (``LOOKUP_ROLE_ARN``) that trusts only the sender function's role and may
only ``cognito-idp:AdminGetUser`` on the one pool. Its credentials are kept until shortly
before they expire; the address lives only in the invocation that sends the e-mail.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import boto3

REFRESH_BEFORE_SECONDS = 300
"""Assume the role again this long before its credentials expire."""


@dataclass(frozen=True)
class Address:
    """A user's verified e-mail address (``None`` from ``lookup``: nobody to write to)."""

    email: str


class Directory:
    """Reads users' verified e-mail addresses from the Cognito pool through the lookup role."""

    def __init__(self, role_arn: str, pool_id: str, region: str, sts: Any = None) -> None:
        self.role_arn = role_arn
        self.pool_id = pool_id
        self.region = region
        self._sts = sts or boto3.client("sts")
        self._client: Any = None
        self._expires = 0.0

    def lookup(self, user_id: str) -> Address | None:
        """The user's address if they exist and verified it; ``user_id`` is the JWT ``sub``."""
        cognito = self._cognito()
        try:
            user = cognito.admin_get_user(UserPoolId=self.pool_id, Username=user_id)
        except cognito.exceptions.UserNotFoundException:
            return None
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        if not user.get("Enabled", True) or attributes.get("email_verified") != "true":
            return None
        email = attributes.get("email")
        return Address(email) if email else None

    def _cognito(self) -> Any:
        if self._client is None or time.time() > self._expires - REFRESH_BEFORE_SECONDS:
            credentials = self._sts.assume_role(
                RoleArn=self.role_arn, RoleSessionName="notification-address-lookup"
            )["Credentials"]
            self._client = boto3.client(
                "cognito-idp",
                region_name=self.region,
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
            )
            self._expires = credentials["Expiration"].timestamp()
        return self._client
