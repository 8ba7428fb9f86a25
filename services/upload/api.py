"""Photographers' API: request an upload URL, list, read and withdraw one's own uploads.

Every route needs the JWT subject (``caller_id``); other users' uploads are 404, never 403.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from services.common.http import (
    BadRequest,
    Conflict,
    NotFound,
    caller_id,
    correlation_id,
)
from services.contracts.publisher import EventPublisher
from services.upload import uploads
from services.upload.conventions import CORRELATION_PATH, http_app
from services.upload.models import CreatedUpload, CreateUpload, PresignedPost, Upload, UploadPage
from services.upload.review_copies import delete_public_renditions, delete_review_copies
from services.upload.store import UploadStore, publish_pending

ORIGINALS_BUCKET = os.environ["ORIGINALS_BUCKET"]
RENDITIONS_BUCKET = os.environ["RENDITIONS_BUCKET"]
MAX_UPLOAD_BYTES = int(os.environ["MAX_UPLOAD_BYTES"])
UPLOAD_URL_TTL_SECONDS = int(os.environ["UPLOAD_URL_TTL_SECONDS"])
ABANDONED_UPLOAD_GRACE_SECONDS = 7 * 24 * 3600
"""A PENDING upload whose file never arrived is forgotten (TTL) a week after its URL expired."""
MAX_SUBJECT_LENGTH = 128
"""Event schemas cap ``photographerId`` at 128 characters."""

logger = Logger()
tracer = Tracer()
metrics = Metrics()
store = UploadStore(boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"]))
publisher = EventPublisher(os.environ["EVENTS_TOPIC_ARN"], source="upload")

app = http_app(
    "Upload API", "Photographers request upload URLs for originals and manage their uploads."
)


@cache
def s3() -> Any:
    """Made on first use: only POST /uploads and withdrawals need it (the other routes' cold
    starts skip it).

    SigV4 and the regional endpoint: POST policies signed with SigV2 are refused in newer regions.
    """
    return boto3.client("s3", config=Config(signature_version="s3v4"))


@app.post("/uploads", status_code=201, summary="Request a presigned upload for an original")
def create_upload(request: CreateUpload) -> CreatedUpload:
    owner_id = current_owner()
    if request.sizeBytes > MAX_UPLOAD_BYTES:
        raise BadRequest(f"sizeBytes: must be at most {MAX_UPLOAD_BYTES} bytes")
    upload_id, now = uploads.new_upload_id(), uploads.utc_now()
    item = uploads.new_upload(
        upload_id,
        owner_id,
        request.model_dump(),
        correlation_id=correlation_id(app),
        now=now,
        forget_at=int(time.time()) + UPLOAD_URL_TTL_SECONDS + ABANDONED_UPLOAD_GRACE_SECONDS,
    )
    store.create(item)
    metrics.add_metric(name="UploadsRequested", unit=MetricUnit.Count, value=1)
    logger.info("upload requested", extra={"upload_id": upload_id, "size_bytes": request.sizeBytes})
    return CreatedUpload(
        uploadId=upload_id,
        upload=PresignedPost(
            **presigned_post(item["objectKey"], request.contentType, request.sizeBytes)
        ),
        expiresAt=_in_seconds(UPLOAD_URL_TTL_SECONDS),
    )


@app.get("/uploads", summary="List my uploads, newest first")
def list_uploads(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> UploadPage:
    owner_id = current_owner()
    try:
        start_key = uploads.decode_cursor(cursor, owner_id) if cursor else None
    except ValueError as error:
        raise BadRequest(f"cursor: {error}") from None
    items, last_key = store.list_by_owner(owner_id, limit, start_key)
    return UploadPage(
        items=[Upload(**uploads.upload_view(item)) for item in items],
        nextCursor=uploads.encode_cursor(last_key) if last_key else None,
    )


@app.get("/uploads/<id>", summary="One of my uploads")
def get_upload(id: str) -> Upload:
    return Upload(**uploads.upload_view(owned_upload(id, current_owner())))


@app.delete("/uploads/<id>", summary="Withdraw one of my uploads from sale")
def withdraw_upload(id: str) -> Upload:
    record = withdraw(store, publisher, id, current_owner(), correlation_id(app))
    return Upload(**uploads.upload_view(record))


@logger.inject_lambda_context(correlation_id_path=CORRELATION_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def current_owner() -> str:
    owner_id = caller_id(app)
    if len(owner_id) > MAX_SUBJECT_LENGTH:
        raise BadRequest(f"token: the subject is longer than {MAX_SUBJECT_LENGTH} characters")
    return owner_id


def owned_upload(upload_id: str, owner_id: str) -> dict[str, Any]:
    """The caller's upload; someone else's is as absent as a missing one."""
    record = store.get(upload_id)
    if record is None or record["ownerId"] != owner_id:
        raise NotFound(f"upload {upload_id!r} not found")
    return record


def presigned_post(key: str, content_type: str, size_bytes: int) -> dict[str, Any]:
    """A POST policy for exactly this key, this content type and at most the declared size."""
    return s3().generate_presigned_post(
        Bucket=ORIGINALS_BUCKET,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size_bytes]],
        ExpiresIn=UPLOAD_URL_TTL_SECONDS,
    )


def withdraw(
    store: UploadStore,
    publisher: EventPublisher,
    upload_id: str,
    owner_id: str,
    correlation: str,
    attempts: int = 3,
) -> dict[str, Any]:
    """Withdraw the owner's upload from any status; ``image.withdrawn`` is published once.

    A PENDING upload may be withdrawn too (the photographer changed their mind before the
    processor ran): the processor's conditional write then fails and nothing is published for
    it. Every withdrawal publishes ``image.withdrawn``, even of an upload nobody saw
    published: one rule for consumers, who ignore withdrawals of images they do not hold.
    Withdrawing again is harmless: it only pays the event a crashed attempt may still owe.
    After the event, its public renditions are deleted (whatever the status: an approval or
    a processor run may be writing them right now, and deleting absent keys is harmless; those
    re-read the record after writing and delete too), and an upload that was ever in review
    loses its review copies. A repeat deletes again: a crashed or failed delete is retried by
    the photographer's retry. The licensed copy stays: buyers keep what they bought.
    """
    for _ in range(attempts):
        record = store.get(upload_id)
        if record is None or record["ownerId"] != owner_id:
            raise NotFound(f"upload {upload_id!r} not found")
        if record["status"] != uploads.WITHDRAWN:
            now = uploads.utc_now()
            record = store.transition(
                record,
                uploads.WITHDRAWN,
                {"withdrawnAt": now},
                event_type=uploads.IMAGE_WITHDRAWN,
                correlation_id=correlation,
                now=now,
            )
            if record is None:
                continue  # the processor moved it meanwhile: read again and retry
            metrics.add_metric(name="UploadsWithdrawn", unit=MetricUnit.Count, value=1)
        publish_pending(store, publisher, record)
        delete_public_renditions(s3(), RENDITIONS_BUCKET, upload_id)
        if "inReviewAt" in record:
            delete_review_copies(s3(), ORIGINALS_BUCKET, upload_id)
        return record
    raise Conflict(f"upload {upload_id!r} is changing; try again")


def _in_seconds(seconds: int) -> str:
    expires = datetime.now(UTC) + timedelta(seconds=seconds)
    return expires.isoformat(timespec="seconds").replace("+00:00", "Z")
