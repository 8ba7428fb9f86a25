"""The notification service's lookup role in the identity account, as its owner creates it.

Cognito has no resource policies, so the notification sender reads addresses by assuming a
role in the account of the user pool. In AWS the identity account's owner creates that role
once, from the notification stack's outputs (``lookupRoleArn``, ``lookupRoleTrusts``,
``userPoolArn``; services/notification/README.md); locally the deployer does it after the
notification stack is deployed, as the identity account's administrator. moto evaluates no
trust policy: only the role's own policy (AdminGetUser, judged by action) is enforced here.
"""

from __future__ import annotations

import contextlib
from typing import Any

from components.notification_service import lookup_role_documents
from local.emulator.cloud import IDENTITY_ACCOUNT, EmbeddedCloud


def provision_lookup_role(cloud: EmbeddedCloud, stack_outputs: dict[str, Any]) -> str | None:
    """Create (or update) the lookup role from the notification stack's outputs; its ARN."""
    if not stack_outputs:
        return None
    role_arn = str(stack_outputs["lookupRoleArn"])
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    if account != IDENTITY_ACCOUNT:
        raise ValueError(
            f"marketplace:notification.identityAccount is {account}, but the local Cognito "
            f"pool lives in {IDENTITY_ACCOUNT} (local/emulator/cloud.py IDENTITY_ACCOUNT)"
        )
    trust, policy = lookup_role_documents(
        str(stack_outputs["lookupRoleTrusts"]), str(stack_outputs["userPoolArn"])
    )
    iam = cloud.client("iam", IDENTITY_ACCOUNT)
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust)
    iam.put_role_policy(RoleName=name, PolicyName="address-lookup", PolicyDocument=policy)
    return role_arn
