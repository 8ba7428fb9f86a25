"""The catalog service, declared once: functions, sizing, access, routes, table."""

from __future__ import annotations

from services.contracts.manifest import (
    TABLE_READ,
    TABLE_WRITE,
    FunctionSpec,
    Route,
    ServiceManifest,
    Sizing,
    Table,
    Throttling,
)

MANIFEST = ServiceManifest(
    name="catalog",
    functions=(
        FunctionSpec(
            purpose="api",
            handler="services.catalog.api.lambda_handler",
            access=(TABLE_READ,),
        ),
        FunctionSpec(
            purpose="indexer",
            handler="services.catalog.indexer.lambda_handler",
            trigger="SQS queues subscribed to upload and purchase topics",
            sizing=Sizing(timeout_seconds=30),
            access=(TABLE_WRITE,),
        ),
    ),
    routes=(
        Route("GET", "/images", "api", authenticated=False),
        Route("GET", "/images/{id}", "api", authenticated=False),
        Route("GET", "/images/{id}/similar", "api", authenticated=False),
        Route("GET", "/tags", "api", authenticated=False),
    ),
    # Anonymous and cacheable: a higher steady rate than the write APIs.
    throttling=Throttling(burst=500, rate=250.0),
    # Search entries by popularity, recency, relevance (services/catalog/README.md).
    table=Table(indexes=("gsi1", "gsi2", "gsi3")),
)
