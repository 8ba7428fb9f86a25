"""Private, encrypted, TLS-only S3 buckets, and the policy document every bucket gets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.context import ServiceContext
from components.cors import upload_cors_rules
from components.iam import Statement, deny_insecure_transport, policy_document


@dataclass
class PrivateBucketArgs:
    context: ServiceContext
    """The owning stack; the bucket is ``marketplace-<env>-<service>-<purpose>-<account>``."""
    purpose: str
    """What the bucket holds (``originals``, ``renditions``, ``licensed``)."""
    lifecycle_rules: list[aws.s3.BucketLifecycleConfigurationRuleArgs] = field(default_factory=list)
    """Lifecycle rules. Default: only aborting incomplete multipart uploads after 7 days."""
    versioned: bool = False
    """Keep object versions. Default off."""
    served_by_cdn: bool = False
    """When set, the CDN component writes the bucket policy (TLS-only + read by that CDN)."""
    browser_upload_origins: Sequence[str] = ()
    """Web origins whose pages may POST objects (presigned POST) with CORS. Default: none,
    and no CORS configuration at all."""


class PrivateBucket(pulumi.ComponentResource):
    """Bucket + SSE + public access block + owner-enforced objects + lifecycle + TLS-only policy
    (+ CORS for browser uploads when origins are given)."""

    def __init__(
        self, name: str, args: PrivateBucketArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:storage:PrivateBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._name = name
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.context.bucket(args.purpose),
            force_destroy=not args.context.deletion_protection,
            opts=child,
        )
        self.arn = self.bucket.arn
        self.id = self.bucket.id
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        self.lifecycle = aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[_abort_incomplete_uploads(), *args.lifecycle_rules],
            opts=child,
        )
        if args.versioned:
            aws.s3.BucketVersioning(
                f"{name}-versioning",
                bucket=self.bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                    status="Enabled"
                ),
                opts=child,
            )
        self.cors = self._create_cors(args.browser_upload_origins)
        self.policy = None if args.served_by_cdn else self.attach_policy([])
        self.register_outputs({"name": self.bucket.id, "arn": self.arn})

    def _create_cors(self, origins: Sequence[str]) -> aws.s3.BucketCorsConfiguration | None:
        rules = upload_cors_rules(origins)
        if not rules:
            return None
        return aws.s3.BucketCorsConfiguration(
            f"{self._name}-cors",
            bucket=self.bucket.id,
            cors_rules=rules,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def attach_policy(self, statements: list[Statement]) -> aws.s3.BucketPolicy:
        """The bucket's one policy: TLS-only, plus ``statements``."""
        objects = self.arn.apply(lambda arn: f"{arn}/*")
        document = policy_document(
            [deny_insecure_transport((self.arn, objects), ("s3:*",)), *statements]
        )
        self.policy = aws.s3.BucketPolicy(
            f"{self._name}-policy",
            bucket=self.bucket.id,
            policy=document,
            # S3 rejects a policy while the public access block is being changed.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
        return self.policy

    def objects_arn(self, prefix: str = "") -> pulumi.Output[str]:
        return self.arn.apply(lambda arn: f"{arn}/{prefix}*")


def _abort_incomplete_uploads() -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="abort-incomplete-multipart-uploads",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=7
        ),
    )
