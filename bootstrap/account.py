"""``AccountBootstrap``: what one service account needs before its stack's first deploy.

The deploy and preview roles with the policies ``tools/deploy_role.py`` generates (the same
functions write ``docs/deploy-roles/*.json``, so the two cannot drift), trusted by GitHub's
OIDC provider for this repository only; the permissions boundary every role the service
stack creates must carry; optionally a bucket and KMS key for a self-managed Pulumi backend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from bootstrap.trust import GITHUB_OIDC_URL, role_trust
from components.bucket import PrivateBucket, PrivateBucketArgs
from components.context import ServiceContext
from components.keys import key_policy
from components.settings import Settings
from tools.deploy_role import policy_document
from tools.permissions_boundary import boundary_document

STATE_PURPOSE = "pulumi-state"
MANAGED_POLICIES = {"deploy": ("deploy-shifting",)}
"""Policies a role gets as managed ones (tools/deploy_role.py): the deploy role's inline
policies are at IAM's 10,240-character limit per role, managed ones hold 6,144 each."""


@dataclass
class AccountBootstrapArgs:
    settings: Settings
    """The environment's settings (``Pulumi.<env>.yaml``)."""
    service: str
    """The service whose account this bootstraps (``marketplace:accounts.<service>``)."""


class AccountBootstrap(pulumi.ComponentResource):
    """OIDC provider + boundary + deploy and preview roles (+ state bucket and key)."""

    def __init__(
        self, name: str, args: AccountBootstrapArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:bootstrap:AccountBootstrap", name, None, opts)
        self._name = name
        self._settings = args.settings
        self._service = args.service
        self._account = args.settings.account_of(args.service)
        self.oidc_provider = self._create_oidc_provider()
        self.boundary = self._create_boundary()
        self.deploy_role = self._create_role("deploy", args.settings.deploy_role_name)
        self.preview_role = self._create_role("preview", args.settings.preview_role_name)
        self.state = self._create_state_backend() if args.settings.state_backend else None
        self.outputs: dict[str, pulumi.Input[str]] = {
            "deployRoleArn": self.deploy_role.arn,
            "previewRoleArn": self.preview_role.arn,
            "permissionsBoundaryArn": self.boundary.arn,
            "oidcProviderArn": self.oidc_provider.arn,
        }
        if self.state is not None:
            bucket, key_alias = self.state
            self.outputs["stateBackendUrl"] = bucket.id.apply(lambda b: f"s3://{b}")
            self.outputs["secretsProvider"] = key_alias.name.apply(lambda a: f"awskms://{a}")
        self.register_outputs(self.outputs)

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _create_oidc_provider(self) -> aws.iam.OpenIdConnectProvider:
        # AWS no longer checks thumbprints for GitHub's provider (its CA is trusted).
        return aws.iam.OpenIdConnectProvider(
            f"{self._name}-github",
            url=GITHUB_OIDC_URL,
            client_id_lists=[self._settings.github.audience],
            opts=self._child(),
        )

    def _create_boundary(self) -> aws.iam.Policy:
        return aws.iam.Policy(
            f"{self._name}-boundary",
            name=self._settings.permissions_boundary_name,
            description="Ceiling of every role a marketplace stack creates (bootstrap/)",
            policy=json.dumps(boundary_document()),
            opts=self._child(),
        )

    def _create_role(self, access: str, role_name: str) -> aws.iam.Role:
        """A role GitHub's jobs assume, with its generated inline policy (over 6,144 chars,
        the managed-policy limit: docs/deploy-roles/README.md)."""
        settings = self._settings
        trust = self.oidc_provider.arn.apply(
            lambda provider: json.dumps(role_trust(settings, self._service, access, provider))
        )
        role = aws.iam.Role(
            f"{self._name}-{access}-role",
            name=role_name,
            assume_role_policy=trust,
            # The generated policy scopes everything by these two tags (${aws:PrincipalTag/..}).
            tags={"env": settings.env, "service": self._service},
            opts=self._child(),
        )
        aws.iam.RolePolicy(
            f"{self._name}-{access}-policy",
            name=role_name,
            role=role.name,
            policy=json.dumps(policy_document(access, role_name)),
            opts=self._child(),
        )
        for managed in MANAGED_POLICIES.get(access, ()):
            self._attach_managed(role, managed)
        return role

    def _attach_managed(self, role: aws.iam.Role, access: str) -> None:
        role_name = str(self._settings.deploy_role_name)
        policy = aws.iam.Policy(
            f"{self._name}-{access}-policy",
            name=f"{role_name}-{access.removeprefix('deploy-')}",
            policy=json.dumps(policy_document(access, role_name)),
            opts=self._child(),
        )
        aws.iam.RolePolicyAttachment(
            f"{self._name}-{access}-attachment",
            role=role.name,
            policy_arn=policy.arn,
            opts=self._child(),
        )

    def _create_state_backend(self) -> tuple[aws.s3.Bucket, aws.kms.Alias]:
        """A private, versioned bucket for state, a KMS key for the stacks' secrets."""
        context = ServiceContext(self._settings, self._service)
        bucket = PrivateBucket(
            f"{self._name}-state",
            PrivateBucketArgs(context=context, purpose=STATE_PURPOSE, versioned=True),
            opts=self._child(),
        )
        key = aws.kms.Key(
            f"{self._name}-secrets-key",
            description=f"{context.name(STATE_PURPOSE)}: Pulumi secrets of the account's stacks",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(self._account),
            opts=self._child(),
        )
        alias = aws.kms.Alias(
            f"{self._name}-secrets-key-alias",
            name=f"alias/{context.name(STATE_PURPOSE)}",
            target_key_id=key.key_id,
            opts=self._child(),
        )
        return bucket.bucket, alias
