"""The service's customer-managed KMS key: encrypts its topics and its secret."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.context import ServiceContext
from components.iam import stable_json

KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
KEY_USE_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")


@dataclass
class ServiceKeyArgs:
    context: ServiceContext
    """The service stack; the alias is ``alias/marketplace-<env>-<service>``."""


class ServiceKey(pulumi.ComponentResource):
    """KMS key with rotation; IAM in the own account decides use, CloudWatch may publish alarms."""

    def __init__(self, name: str, args: ServiceKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marketplace:security:ServiceKey", name, None, opts)
        context = args.context
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{context.name('key')}: topics and secrets of {context.service}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_policy(context.account),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{context.name('key')}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})


def key_policy(account: str) -> str:
    """Key policies attach to one key, so ``Resource: "*"`` there means "this key"."""
    root = f"arn:aws:iam::{account}:root"
    return stable_json(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersAndIamGrantsUse",
                    "Effect": "Allow",
                    "Principal": {"AWS": root},
                    "Action": sorted(KEY_ADMIN_ACTIONS + KEY_USE_ACTIONS),
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchAlarmsPublishToEncryptedTopics",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                },
            ],
        }
    )
