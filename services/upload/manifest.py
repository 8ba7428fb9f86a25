"""The upload service, declared once: functions, sizing, access, routes, table."""

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

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
"""Largest original accepted (the presigned POST enforces it; 100 MB fits 60 MP JPEGs)."""
MAX_IMAGE_PIXELS = 100_000_000
"""Largest decoded image; anything larger is rejected as a likely decompression bomb."""
UPLOAD_URL_TTL_SECONDS = 900
"""How long a presigned upload stays usable."""
PROCESSOR_MEMORY_MB = 1024
"""Sized from the image pipeline's measured peak RSS (BENCHMARKS.md, "Memory sizing").

The worst accepted input at MAX_IMAGE_PIXELS is a 100 MP PNG: PNG has no reduced decoding, so
its 400 MB of pixels are held at once, a 561 MB process peak in the benchmark (100 MP JPEG:
163 MB, progressive JPEG: 400 MB, WebP decoded at preview size: 166 MB, palette PNG converted
band by band: 188 MB). The handler's own imports add ~45 MB: ~610 MB. 1024 MB leaves 1.7x for
fragmentation, the S3 body and the runtime; 768 MB would leave 1.25x. CPU comes with memory
(1769 MB = 1 vCPU): below that, CPU-bound work costs the same GB-seconds at any size, only
slower, while the S3 and Rekognition waits cost in proportion to the size, so the smallest
size that safely fits is the cheapest.
"""
PROCESSOR_TIMEOUT_SECONDS = 60
REVIEW_URL_TTL_SECONDS = 300
"""How long an admin's presigned link to a review copy (preview, thumbnail) stays usable."""

MANIFEST = ServiceManifest(
    name="upload",
    functions=(
        FunctionSpec(
            purpose="api",
            handler="services.upload.api.lambda_handler",
            environment=(
                "ORIGINALS_BUCKET",
                "RENDITIONS_BUCKET",
                "MAX_UPLOAD_BYTES",
                "UPLOAD_URL_TTL_SECONDS",
                "EVENTS_TOPIC_ARN",
            ),
            # The presigned POST is signed with this role: it may only create originals (and
            # delete a withdrawn upload's review copies and public renditions, which a POST
            # form cannot do).
            access=(
                TABLE_WRITE,
                "originals:put",
                "review:delete",
                "renditions:delete",
                PUBLISH_EVENTS,
            ),
        ),
        FunctionSpec(
            purpose="processor",
            handler="services.upload.processor.lambda_handler",
            trigger="SQS ingest queue fed by S3 `ObjectCreated` on the originals bucket",
            environment=(
                "ORIGINALS_BUCKET",
                "RENDITIONS_BUCKET",
                "LICENSED_BUCKET",
                "PUBLIC_CDN_DOMAIN",
                "EVENTS_TOPIC_ARN",
                "REKOGNITION_LABELS",
                "REKOGNITION_MODERATION",
                "MAX_IMAGE_PIXELS",
                "CIRCUIT_FAILURE_THRESHOLD",
                "CIRCUIT_WINDOW_SECONDS",
                "CIRCUIT_COOLDOWN_SECONDS",
            ),
            sizing=Sizing(memory_mb=PROCESSOR_MEMORY_MB, timeout_seconds=PROCESSOR_TIMEOUT_SECONDS),
            access=(
                TABLE_WRITE,
                "originals:get",
                "review:put",
                "review:delete",
                "renditions:put",
                "renditions:delete",
                "licensed:put",
                "rekognition",
                PUBLISH_EVENTS,
            ),
        ),
        FunctionSpec(
            purpose="admin",
            handler="services.upload.admin.lambda_handler",
            environment=(
                "ORIGINALS_BUCKET",
                "RENDITIONS_BUCKET",
                "PUBLIC_CDN_DOMAIN",
                "EVENTS_TOPIC_ARN",
                "ADMIN_GROUP",
            ),
            # Its own role: only the moderators' function may read review copies and copy
            # them to the public renditions bucket; the photographers' API cannot publish.
            access=(
                TABLE_WRITE,
                "review:get",
                "review:delete",
                "renditions:put",
                "renditions:delete",
                PUBLISH_EVENTS,
            ),
        ),
    ),
    routes=(
        Route("POST", "/uploads", "api"),
        Route("GET", "/uploads", "api"),
        Route("GET", "/uploads/{id}", "api"),
        Route("DELETE", "/uploads/{id}", "api"),
        Route("GET", "/admin/reviews", "admin"),
        Route("GET", "/admin/reviews/{id}", "admin"),
        Route("POST", "/admin/reviews/{id}/approve", "admin"),
        Route("POST", "/admin/reviews/{id}/reject", "admin"),
    ),
    # gsi1: uploads by owner; gsi2: the review queue (sparse: only IN_REVIEW uploads).
    table=Table(indexes=("gsi1", "gsi2")),
)
