"""The web service: the single-page app and the one domain in front of every API.

A private bucket holds the app's files (``services/web/site.py`` names them and sets their
content types and cache headers); one CloudFront distribution serves it through origin
access control and mounts every service's HTTP API at ``/api/<service>/`` and upload's public
renditions at their own paths (``services/web/routing.py``), so the browser talks to one
origin: no CORS, and the CSP can say ``'self'``. The APIs' and the renditions' domains are
deploy-time values from the other stacks (``__main__.py``); nothing crosses at run time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from components.bucket import PrivateBucket, PrivateBucketArgs
from components.context import ServiceContext
from components.iam import Statement
from components.naming import bucket_name
from components.observability import monitoring_link
from components.settings import Settings, key
from services.contracts.colours import COLOUR_NAMES
from services.contracts.manifest import ServiceManifest, load_manifest
from services.web import routing
from services.web.manifest import MANIFEST
from services.web.site import SiteFile, build_site, config_file

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
"""AWS managed cache policy "CachingDisabled": the authenticated APIs."""
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
"""AWS managed cache policy "CachingOptimized": the site's files and the renditions."""
ORIGIN_CACHE_CONTROL = "4cc15a8a-d715-48a4-82b8-cc0b614638fe"
"""AWS managed cache policy "UseOriginCacheControlHeaders-QueryStrings": the public catalog
caches exactly as long as its ``Cache-Control`` says, keyed on the query string."""
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
"""AWS managed origin request policy "AllViewerExceptHostHeader": forwards every viewer header
(``Authorization``, ``Idempotency-Key``) and the query string, but not ``Host`` (API Gateway
answers only to its own host name)."""
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
SITE_ORIGIN = "site"
RENDITIONS_ORIGIN = "renditions"


@dataclass
class WebServiceArgs:
    settings: Settings
    """The environment's settings (account, identity, web origins). Required."""
    api_domains: Mapping[str, pulumi.Input[str]]
    """Service -> host name of its HTTP API, for every service with routes. Required."""
    renditions_domain: pulumi.Input[str]
    """Host name of upload's public renditions CDN. Required."""


class WebService(pulumi.ComponentResource):
    """Site bucket + OAC + CloudFront Functions + security headers + one distribution."""

    MANIFEST: ClassVar[ServiceManifest] = MANIFEST

    def __init__(self, name: str, args: WebServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marketplace:services:WebService", name, None, opts)
        self._name = name
        self.context = ServiceContext(settings=args.settings, service=MANIFEST.name)
        missing = sorted(set(routing.api_services()) - set(args.api_domains))
        if missing:
            raise ValueError(f"{name}: no API domain for {', '.join(missing)}")
        sign_in_url = args.settings.identity.sign_in_url
        if sign_in_url is None:
            raise ValueError(
                f"{key('identity')}.signInUrl is required by the web stack "
                "(the hosted UI base URL of the issuer, where the app signs in)"
            )
        self.site = PrivateBucket(
            f"{name}-site",
            PrivateBucketArgs(self.context, "site", served_by_cdn=True),
            opts=self._child(),
        )
        self.access_control = self._create_access_control()
        self.api_function, self.spa_function = self._create_functions()
        self.headers = self._create_headers_policy(sign_in_url)
        self.distribution = self._create_distribution(args)
        self.bucket_policy = self._create_bucket_policy()
        self.objects = self._upload(
            [*build_site(), config_file(self.app_config(sign_in_url))],
        )
        self.dashboard = self._create_dashboard()
        self.monitoring_link = monitoring_link(self._name, self.context, self._child())
        self.outputs: dict[str, pulumi.Input[object]] = {
            "url": pulumi.Output.concat("https://", self.distribution.domain_name),
            "distributionId": self.distribution.id,
            "siteBucket": self.site.id,
        }
        self.register_outputs(self.outputs)

    def _child(self, **kwargs: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)  # type: ignore[arg-type]

    def app_config(self, sign_in_url: str) -> dict[str, object]:
        """What the app reads from ``/config.json``: the public client and where it signs in."""
        identity = self.context.settings.identity
        return {
            "env": self.context.env,
            "issuer": identity.issuer,
            "clientId": identity.audiences[0],
            "signInUrl": sign_in_url,
            "apis": {service: routing.api_mount(service) for service in routing.api_services()},
            "colours": list(COLOUR_NAMES),
        }

    def _create_access_control(self) -> aws.cloudfront.OriginAccessControl:
        return aws.cloudfront.OriginAccessControl(
            f"{self._name}-oac",
            name=self.context.name("site"),
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=self._child(),
        )

    def _create_functions(self) -> tuple[aws.cloudfront.Function, aws.cloudfront.Function]:
        """Viewer-request functions: strip ``/api/<service>``; app routes read ``index.html``.

        A function, not the distribution's custom error responses, makes the SPA fallback:
        those would also turn the APIs' JSON 403/404 answers into ``index.html``.
        """
        return tuple(  # type: ignore[return-value]
            aws.cloudfront.Function(
                f"{self._name}-{purpose}",
                name=self.context.name(purpose),
                runtime="cloudfront-js-2.0",
                comment=comment,
                code=code,
                publish=True,
                opts=self._child(),
            )
            for purpose, code, comment in (
                ("api-prefix", routing.API_PREFIX_FUNCTION, "strip /api/<service>"),
                ("spa-routes", routing.SPA_FUNCTION, "app routes read index.html"),
            )
        )

    def _create_headers_policy(self, sign_in_url: str) -> aws.cloudfront.ResponseHeadersPolicy:
        settings = self.context.settings
        originals = bucket_name(settings, "upload", "originals")
        uploads = (
            f"https://{originals}.s3.amazonaws.com",
            f"https://{originals}.s3.{settings.region}.amazonaws.com",
        )
        csp = routing.content_security_policy(
            connect=(*uploads, sign_in_url), form_action=(sign_in_url,), images=uploads
        )
        headers = aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs
        return aws.cloudfront.ResponseHeadersPolicy(
            f"{self._name}-security-headers",
            name=self.context.name("security-headers"),
            security_headers_config=headers(
                content_security_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
                    content_security_policy=csp, override=True
                ),
                strict_transport_security=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
                    access_control_max_age_sec=63072000,
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                frame_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
                    frame_option="DENY", override=True
                ),
                referrer_policy=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
                    referrer_policy="strict-origin-when-cross-origin", override=True
                ),
                content_type_options=aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
                    override=True
                ),
            ),
            opts=self._child(),
        )

    def _create_distribution(self, args: WebServiceArgs) -> aws.cloudfront.Distribution:
        origins = [
            aws.cloudfront.DistributionOriginArgs(
                origin_id=SITE_ORIGIN,
                domain_name=self.site.bucket.bucket_regional_domain_name,
                origin_access_control_id=self.access_control.id,
            ),
            _https_origin(RENDITIONS_ORIGIN, args.renditions_domain),
            *(
                _https_origin(f"api-{service}", args.api_domains[service])
                for service in routing.api_services()
            ),
        ]
        behaviours = [
            *(self._api_behaviour(service) for service in routing.api_services()),
            *(
                self._behaviour(f"/{prefix}/*", RENDITIONS_ORIGIN, CACHING_OPTIMIZED)
                for prefix in routing.RENDITION_PREFIXES
            ),
        ]
        return aws.cloudfront.Distribution(
            f"{self._name}-distribution",
            enabled=True,
            comment=self.context.name("site"),
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class="PriceClass_100",
            default_root_object="index.html",
            origins=origins,
            default_cache_behavior=aws.cloudfront.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=SITE_ORIGIN,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD"],
                cached_methods=["GET", "HEAD"],
                cache_policy_id=CACHING_OPTIMIZED,
                response_headers_policy_id=self.headers.id,
                compress=True,
                function_associations=[
                    aws.cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs(
                        event_type="viewer-request", function_arn=self.spa_function.arn
                    )
                ],
            ),
            ordered_cache_behaviors=behaviours,
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
                    restriction_type="none"
                )
            ),
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                cloudfront_default_certificate=True
            ),
            opts=self._child(),
        )

    def _api_behaviour(self, service: str) -> aws.cloudfront.DistributionOrderedCacheBehaviorArgs:
        """Public read-only APIs cache as their ``Cache-Control`` says; the others never."""
        public = all(not route.authenticated for route in load_manifest(service).routes)
        return self._behaviour(
            f"{routing.api_mount(service)}/*",
            f"api-{service}",
            ORIGIN_CACHE_CONTROL if public else CACHING_DISABLED,
            methods=ALL_METHODS,
            origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST,
            function=self.api_function,
        )

    def _behaviour(
        self,
        pattern: str,
        origin: str,
        cache_policy_id: str,
        methods: list[str] | None = None,
        origin_request_policy_id: str | None = None,
        function: aws.cloudfront.Function | None = None,
    ) -> aws.cloudfront.DistributionOrderedCacheBehaviorArgs:
        return aws.cloudfront.DistributionOrderedCacheBehaviorArgs(
            path_pattern=pattern,
            target_origin_id=origin,
            viewer_protocol_policy="https-only",
            allowed_methods=methods or ["GET", "HEAD"],
            cached_methods=["GET", "HEAD"],
            cache_policy_id=cache_policy_id,
            origin_request_policy_id=origin_request_policy_id,
            response_headers_policy_id=self.headers.id,
            compress=True,
            function_associations=[
                aws.cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgs(
                    event_type="viewer-request", function_arn=function.arn
                )
            ]
            if function
            else None,
        )

    def _create_bucket_policy(self) -> aws.s3.BucketPolicy:
        """Only this distribution reads the site bucket (origin access control), over TLS."""
        return self.site.attach_policy(
            [
                Statement(
                    actions=("s3:GetObject",),
                    resources=(self.site.objects_arn(),),
                    principals={"Service": "cloudfront.amazonaws.com"},
                    conditions={"StringEquals": {"AWS:SourceArn": self.distribution.arn}},
                )
            ]
        )

    def _upload(self, files: list[SiteFile]) -> list[aws.s3.BucketObjectv2]:
        """The app's files, each with its content type and cache header (site.py)."""
        return [
            aws.s3.BucketObjectv2(
                f"{self._name}-file-{file.key}",
                bucket=self.site.id,
                key=file.key,
                content=file.body.decode("utf-8"),
                content_type=file.content_type,
                cache_control=file.cache_control,
                opts=self._child(depends_on=[self.site.encryption]),
            )
            for file in files
        ]

    def _create_dashboard(self) -> aws.cloudwatch.Dashboard:
        """CloudFront's own metrics (us-east-1, ``Region=Global``): traffic and error rates."""
        widgets = [
            ("Requests", "Sum"),
            ("4xxErrorRate", "Average"),
            ("5xxErrorRate", "Average"),
            ("BytesDownloaded", "Sum"),
        ]
        body = self.distribution.id.apply(
            lambda distribution_id: json.dumps(
                {
                    "widgets": [
                        {
                            "type": "metric",
                            "x": (index % 2) * 12,
                            "y": (index // 2) * 6,
                            "width": 12,
                            "height": 6,
                            "properties": {
                                "title": metric,
                                "region": "us-east-1",
                                "stat": stat,
                                "period": 300,
                                "metrics": [
                                    [
                                        "AWS/CloudFront",
                                        metric,
                                        "DistributionId",
                                        distribution_id,
                                        "Region",
                                        "Global",
                                    ]
                                ],
                            },
                        }
                        for index, (metric, stat) in enumerate(widgets)
                    ]
                },
                sort_keys=True,
            )
        )
        return aws.cloudwatch.Dashboard(
            f"{self._name}-dashboard",
            dashboard_name=self.context.name("dashboard"),
            dashboard_body=body,
            opts=self._child(),
        )


def _https_origin(
    origin_id: str, domain: pulumi.Input[str]
) -> aws.cloudfront.DistributionOriginArgs:
    return aws.cloudfront.DistributionOriginArgs(
        origin_id=origin_id,
        domain_name=domain,
        custom_origin_config=aws.cloudfront.DistributionOriginCustomOriginConfigArgs(
            http_port=80,
            https_port=443,
            origin_protocol_policy="https-only",
            origin_ssl_protocols=["TLSv1.2"],
        ),
    )
