"""What browsers on the configured web origins may do: call the APIs, POST originals to S3.

CORS is only for the origins in ``marketplace:webOrigins`` (none by default: no CORS at all,
so no browser on another site can read a response). The policy pack's ``cors-configured-
origins-only`` rule checks the same thing on every preview.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pulumi_aws as aws

from services.common.headers import CORRELATION_HEADER

API_REQUEST_HEADERS = ("authorization", "content-type", "idempotency-key", CORRELATION_HEADER)
"""Headers a web client sends the APIs: the JWT, JSON bodies, purchase idempotency, and the
correlation id that follows a request through every service's logs."""
API_RESPONSE_HEADERS = (CORRELATION_HEADER,)
"""Response headers a script on the page may read (the APIs echo the correlation id)."""
MAX_AGE_SECONDS = 600
"""How long a browser may reuse a preflight answer: 10 minutes, so an origin removed from the
settings stops working soon after the next deploy (Chrome caps it at 2 hours anyway)."""
UPLOAD_METHODS = ("POST",)
"""The originals bucket only takes presigned POSTs from browsers."""
UPLOAD_RESPONSE_HEADERS = ("etag", "location")
"""What the page may read from S3's answer to the POST."""


def api_cors(
    origins: Sequence[str], methods: Iterable[str]
) -> aws.apigatewayv2.ApiCorsConfigurationArgs | None:
    """The HTTP API's CORS for ``origins`` and the methods of its routes; ``None`` without
    origins (API Gateway then answers no preflight and adds no CORS header)."""
    if not origins:
        return None
    return aws.apigatewayv2.ApiCorsConfigurationArgs(
        allow_origins=list(origins),
        allow_methods=sorted(set(methods)),
        allow_headers=list(API_REQUEST_HEADERS),
        expose_headers=list(API_RESPONSE_HEADERS),
        max_age=MAX_AGE_SECONDS,
    )


def upload_cors_rules(
    origins: Sequence[str],
) -> list[aws.s3.BucketCorsConfigurationCorsRuleArgs]:
    """The bucket's CORS rules for browsers POSTing originals (a multipart form, so only
    ``content-type`` is ever requested); empty without origins."""
    if not origins:
        return []
    return [
        aws.s3.BucketCorsConfigurationCorsRuleArgs(
            id="web-upload",
            allowed_origins=list(origins),
            allowed_methods=list(UPLOAD_METHODS),
            allowed_headers=["content-type"],
            expose_headers=list(UPLOAD_RESPONSE_HEADERS),
            max_age_seconds=MAX_AGE_SECONDS,
        )
    ]
