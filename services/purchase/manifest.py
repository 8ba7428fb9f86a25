"""The purchase service, declared once: functions, sizing, access, routes, table."""

from __future__ import annotations

from services.contracts.manifest import (
    PUBLISH_EVENTS,
    TABLE_WRITE,
    FunctionSpec,
    Route,
    ServiceManifest,
    Sizing,
    Table,
)

DOWNLOAD_URL_TTL_SECONDS = 300
"""Signed download links expire within minutes: long enough to start a download."""

MANIFEST = ServiceManifest(
    name="purchase",
    functions=(
        FunctionSpec(
            purpose="api",
            handler="services.purchase.api.lambda_handler",
            environment=(
                "SIGNING_KEY_SECRET_ARN",
                "SIGNING_KEY_PAIR_ID",
                "DELIVERY_CDN_DOMAIN",
                "DOWNLOAD_URL_TTL_SECONDS",
            ),
            access=(TABLE_WRITE, "signing-key:read"),
        ),
        FunctionSpec(
            purpose="offers",
            handler="services.purchase.offers.lambda_handler",
            trigger="SQS queue subscribed to upload's image events",
            access=(TABLE_WRITE,),
        ),
        FunctionSpec(
            purpose="completion",
            handler="services.purchase.completion.lambda_handler",
            trigger="DynamoDB stream of the purchase table (INSERT of `PURCHASE#` items)",
            environment=("EVENTS_TOPIC_ARN",),
            sizing=Sizing(timeout_seconds=30),
            access=(TABLE_WRITE, PUBLISH_EVENTS),
        ),
    ),
    routes=(
        Route("POST", "/purchases", "api"),
        Route("GET", "/purchases", "api"),
        Route("GET", "/purchases/{id}", "api"),
        Route("GET", "/purchases/{id}/download", "api"),
    ),
    table=Table(indexes=("gsi1",), stream=True),
)
