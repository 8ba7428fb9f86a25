"""Who may assume the deploy and preview roles: GitHub's OIDC tokens of this repository, and
the role itself (the program's provider assumes the stack's role again)."""

from __future__ import annotations

from typing import Any

from components.settings import Settings

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_URL = f"https://{GITHUB_OIDC_HOST}"
GITHUB_STATEMENT = "GitHubJobsOfThisRepository"
ACCEPTED_FINDINGS = {
    (GITHUB_STATEMENT, "UNKNOWN_FEDERATION_SOURCE"): "parliament knows SAML providers and four "
    "web identity hosts, not IAM OIDC provider ARNs (arn:aws:iam::<account>:oidc-provider/..)",
}
"""IAM linter findings (Sid, issue) on the trust policies that are the linter's gap, and why."""


def deploy_subject(repository: str, env: str) -> str:
    """Only jobs of the GitHub environment named like ``env`` (prod: after its approval)."""
    return f"repo:{repository}:environment:{env}"


def preview_subject(repository: str) -> str:
    """Only pull-request jobs of this repository (the preview role only reads)."""
    return f"repo:{repository}:pull_request"


def trust_policy(
    provider_arn: str, subject: str, audience: str, account: str, role_name: str
) -> dict[str, Any]:
    """GitHub jobs whose token names ``subject`` and ``audience``; and the role itself.

    The role names itself through its account plus an ``aws:PrincipalArn`` condition: a
    principal naming the role's own ARN is refused by CreateRole (the role does not exist
    yet), and IAM requires self-assumption to be granted explicitly in the trust policy.
    """
    role_arn = f"arn:aws:iam::{account}:role/{role_name}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": GITHUB_STATEMENT,
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": audience,
                        f"{GITHUB_OIDC_HOST}:sub": subject,
                    }
                },
            },
            {
                "Sid": "ItselfForTheProgramsProvider",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"ArnEquals": {"aws:PrincipalArn": role_arn}},
            },
        ],
    }


def provider_arn(account: str) -> str:
    """The ARN IAM gives GitHub's OIDC provider in ``account``."""
    return f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC_HOST}"


def role_trust(settings: Settings, service: str, access: str, provider: str) -> dict[str, Any]:
    """The trust policy of the ``deploy`` or ``preview`` role of ``service``'s account."""
    github = settings.github
    if access == "deploy":
        role, subject = settings.deploy_role_name, deploy_subject(github.repository, settings.env)
    elif access == "preview":
        role, subject = settings.preview_role_name, preview_subject(github.repository)
    else:
        raise ValueError(f"access must be deploy or preview, got {access!r}")
    return trust_policy(provider, subject, github.audience, settings.account_of(service), role)
