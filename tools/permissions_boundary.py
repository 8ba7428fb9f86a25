"""The permissions boundary every role a service stack creates must carry.

A function role's own policy is least privilege (components/iam.py, the policy pack); the
boundary is the ceiling the deploy role cannot lift: the deploy policy lets it create roles
and put policies on them only when they carry this boundary (``iam:PermissionsBoundary``
condition, tools/deploy_role.py), and it may not change or remove the boundary. So even a
reviewed-but-wrong grant, or a deploy role used by someone it should not be, yields roles
that can only use the services functions use, on resources of their own account (and the
service's own roles elsewhere, whose trust policies decide): never IAM, STS beyond that,
Organizations, another account's data.

Like the deploy policy, one document serves every account: ``${aws:PrincipalAccount}`` and
``${aws:PrincipalTag/service}`` are the function role's own account and ``service`` tag (the
provider's default tags put it on every role). Service-level wildcards (``dynamodb:*``) are
deliberate here: a boundary grants nothing by itself, it bounds; the grants stay enumerated.
``tests/tools/test_permissions_boundary.py`` checks that every action every role of every
stack is granted falls inside it.
"""

from __future__ import annotations

from typing import Any

from components.iam import RESOURCELESS_ACTIONS
from tools.deploy_role import ACCOUNT, SERVICE

ROLE_SERVICES = (
    "cloudwatch",
    "dynamodb",
    "kms",
    "lambda",
    "logs",
    "secretsmanager",
    "ses",
    "sns",
    "sqs",
)
"""AWS services whose account-scoped resources a stack's roles may use (their ARNs carry the
account): the functions' services, and CodeDeploy's (it moves aliases, reads alarms)."""
BUCKET_PREFIX = "marketplace-"
"""S3 ARNs carry no account: the project's buckets end in their account id (components.naming)."""


def boundary_document() -> dict[str, Any]:
    """The boundary policy (a managed policy named ``marketplace:permissionsBoundaryName``)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FunctionServicesInOwnAccount",
                "Effect": "Allow",
                "Action": [f"{service}:*" for service in ROLE_SERVICES],
                "Resource": f"arn:aws:*:*:{ACCOUNT}:*",
            },
            {
                "Sid": "OwnAccountBuckets",
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": [
                    f"arn:aws:s3:::{BUCKET_PREFIX}*-{ACCOUNT}",
                    f"arn:aws:s3:::{BUCKET_PREFIX}*-{ACCOUNT}/*",
                ],
            },
            {
                "Sid": "ActionsWithoutResources",
                "Effect": "Allow",
                "Action": sorted(RESOURCELESS_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "AssumeOwnServiceRolesElsewhere",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": f"arn:aws:iam::*:role/marketplace-{SERVICE}-*",
            },
        ],
    }


RESOURCE_STAR_BECAUSE = {
    "ActionsWithoutResources": "these actions have no resource-level permission "
    "(components.iam.RESOURCELESS_ACTIONS).",
}
"""Boundary statements whose ``*`` resource is deliberate, and why."""
ACCEPTED_FINDINGS = {
    ("FunctionServicesInOwnAccount", "RESOURCE_MISMATCH"): "one account-scoped ARN pattern "
    "bounds every service at once; a boundary never grants by itself.",
    ("OwnAccountBuckets", "RESOURCE_MISMATCH"): "bucket and object ARNs together bound "
    "every S3 action.",
}
"""IAM linter findings (Sid, issue) that are the nature of a boundary, and why."""
