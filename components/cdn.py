"""CloudFront in front of a private bucket via origin access control (OAC).

Public renditions are served to anyone; licensed copies only with a URL signed by a key in
the distribution's key group. Either way the bucket stays private: its policy admits only
this distribution (``AWS:SourceArn``), and only over TLS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.bucket import PrivateBucket
from components.context import ServiceContext
from components.iam import Statement

CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
"""AWS managed cache policy "CachingOptimized"."""


@dataclass
class CdnArgs:
    context: ServiceContext
    """The owning service stack."""
    purpose: str
    """``public`` or ``delivery``; names the OAC and key group."""
    bucket: PrivateBucket
    """The private origin bucket (created with ``served_by_cdn=True``)."""
    signing_public_keys: dict[str, str] = field(default_factory=dict)
    """Key name -> PEM. When non-empty, the distribution serves only signed URLs. Default: open."""


class Cdn(pulumi.ComponentResource):
    """OAC + distribution (HTTPS only, GET/HEAD) + key group when signed + the bucket policy."""

    def __init__(self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marketplace:cdn:Cdn", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = args.context
        self.public_keys = {
            key_name: aws.cloudfront.PublicKey(
                f"{name}-key-{key_name}",
                name=context.name(f"{args.purpose}-{key_name}"),
                encoded_key=pem,
                comment=f"{context.name(args.purpose)} signing key {key_name}",
                opts=child,
            )
            for key_name, pem in sorted(args.signing_public_keys.items())
        }
        self.key_group = None
        if self.public_keys:
            self.key_group = aws.cloudfront.KeyGroup(
                f"{name}-key-group",
                name=context.name(f"{args.purpose}-signers"),
                items=[key.id for key in self.public_keys.values()],
                opts=child,
            )
        self.access_control = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=context.name(args.purpose),
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            enabled=True,
            comment=context.name(args.purpose),
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class="PriceClass_100",
            origins=[
                aws.cloudfront.DistributionOriginArgs(
                    origin_id="bucket",
                    domain_name=args.bucket.bucket.bucket_regional_domain_name,
                    origin_access_control_id=self.access_control.id,
                )
            ],
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id="bucket",
                viewer_protocol_policy="https-only",
                allowed_methods=["GET", "HEAD"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                compress=True,
                trusted_key_groups=[self.key_group.id] if self.key_group else None,
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none"
                )
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                cloudfront_default_certificate=True
            ),
            opts=child,
        )
        self.bucket_policy = args.bucket.attach_policy(
            [
                Statement(
                    actions=("s3:GetObject",),
                    resources=(args.bucket.objects_arn(),),
                    principals={"Service": "cloudfront.amazonaws.com"},
                    conditions={"StringEquals": {"AWS:SourceArn": self.distribution.arn}},
                )
            ]
        )
        self.domain_name = self.distribution.domain_name
        self.key_pair_ids = {k: key.id for k, key in self.public_keys.items()}
        self.register_outputs({"domainName": self.domain_name})
