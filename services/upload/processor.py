"""Image processor: S3 ``ObjectCreated`` notifications (via SQS) to published, rejected or
in-review uploads.

For each object under ``originals/<owner>/<uploadId>``: read the upload record, make the
renditions (``services.upload.pipeline``), optionally ask Rekognition for labels and
moderation (``services.upload.analysis``, behind a circuit breaker), store the renditions,
record PUBLISHED (or REJECTED with a reason) and publish ``image.published`` (or
``image.rejected``). An image moderation flags, or that Rekognition could not analyse, is
recorded IN_REVIEW instead (no event): its thumbnail and preview go to the private
``review/`` prefix of the originals bucket, not to the public renditions bucket, until an
admin approves it (``services.upload.review``). If that IN_REVIEW write loses the race (a
withdrawal, another run's outcome), the review copies just written are deleted unless the
winning state still needs them (``uploads.review_copies_needed``). If a PUBLISHED write loses
to a withdrawal, the public renditions just written are deleted (another run's PUBLISHED
outcome wrote the same keys and keeps them).

Exactly one event per outcome, across crashes and redeliveries:

* The record's status is the idempotency key. The move out of PENDING is one conditional
  write (``status = PENDING AND revision = <read>``), so of two runs on the same upload (a
  redelivered notification, a second object POSTed to the same key, a withdrawal racing the
  processor) exactly one wins; the others see a final status and skip. A withdrawn upload is
  therefore never resurrected, and re-processing a processed object is harmless.
* The same write puts the event in the record's outbox (``pendingEvent``); it is published
  right after and the outbox cleared (``store.publish_pending``). If the Lambda dies between
  the write and the publish, SQS redelivers the notification (it was not acknowledged); the
  retry finds the record PUBLISHED with the event still owed, publishes it and skips the work.

  Powertools idempotency keyed on upload id + ETag was the alternative; it cannot cover this
  crash window (the retry would see an in-progress or completed key and never publish), so
  the record itself carries the debt.

Failures: image problems (not an image, bigger than declared, bomb) are rejections recorded
on the upload. Rekognition's failures send the image to review (they never fail the record).
Other infrastructure errors (S3, DynamoDB, SNS) raise, so only that SQS record is retried
(partial batch response) and after the retries lands in the DLQ. An original that cannot
be read (deleted, already archived) is such a failure too: the upload stays PENDING and the
DLQ alarm calls a human, nothing is lost.
Messages that are not S3 notifications fail the same way; S3's ``s3:TestEvent`` and objects
that belong to no upload are logged and skipped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.contracts.publisher import EventPublisher
from services.upload import uploads
from services.upload.analysis import analyse
from services.upload.circuit import CircuitBreaker, Thresholds
from services.upload.pipeline import ImageRejected, Renditions, process_image
from services.upload.review_copies import delete_public_renditions, delete_review_copies
from services.upload.store import UploadStore, publish_pending

ORIGINALS_BUCKET = os.environ["ORIGINALS_BUCKET"]
RENDITIONS_BUCKET = os.environ["RENDITIONS_BUCKET"]
LICENSED_BUCKET = os.environ["LICENSED_BUCKET"]
PUBLIC_CDN_DOMAIN = os.environ["PUBLIC_CDN_DOMAIN"]
MAX_IMAGE_PIXELS = int(os.environ["MAX_IMAGE_PIXELS"])
REKOGNITION_LABELS = os.environ.get("REKOGNITION_LABELS", "false").lower() == "true"
REKOGNITION_MODERATION = os.environ.get("REKOGNITION_MODERATION", "false").lower() == "true"
CIRCUIT = Thresholds(
    failure_threshold=int(os.environ["CIRCUIT_FAILURE_THRESHOLD"]),
    window_seconds=int(os.environ["CIRCUIT_WINDOW_SECONDS"]),
    cooldown_seconds=int(os.environ["CIRCUIT_COOLDOWN_SECONDS"]),
)
CIRCUIT_METRIC = "RekognitionCircuitOpen"
"""1 per image analysed with the circuit open, 0 with it closed (the alarm's metric)."""

PUBLIC = uploads.PUBLIC_RENDITIONS
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
OUTCOME_EVENTS = {
    uploads.PUBLISHED: uploads.IMAGE_PUBLISHED,
    uploads.REJECTED: uploads.IMAGE_REJECTED,
    uploads.IN_REVIEW: None,
}
OUTCOME_METRICS = {
    uploads.PUBLISHED: "ImagesPublished",
    uploads.REJECTED: "ImagesRejected",
    uploads.IN_REVIEW: "ImagesInReview",
}

logger = Logger()
tracer = Tracer()
metrics = Metrics()
s3 = boto3.client("s3")
store = UploadStore(boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"]))
publisher = EventPublisher(os.environ["EVENTS_TOPIC_ARN"], source="upload")
batch = BatchProcessor(event_type=EventType.SQS)
breaker = CircuitBreaker(store.table, "rekognition", CIRCUIT)


class UploadRejected(Exception):
    """The object cannot be published for a reason the photographer should be told."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CreatedObject:
    bucket: str
    key: str


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=batch, context=context
    )


def record_handler(record: SQSRecord) -> None:
    """One SQS message: an S3 notification holding one or more created objects."""
    for created in created_objects(record.json_body):
        process_object(created)


def created_objects(body: Any) -> list[CreatedObject]:
    """The ObjectCreated records of an S3 notification; ``s3:TestEvent`` holds none.

    Keys arrive URL-encoded (``+`` for space). Anything that is not an S3 notification raises
    ``ValueError``: it cannot be an accepted upload, and the DLQ makes it visible.
    """
    if isinstance(body, Mapping) and body.get("Event") == "s3:TestEvent":
        return []
    if not isinstance(body, Mapping) or not isinstance(body.get("Records"), list):
        raise ValueError("SQS message is not an S3 event notification")
    return [
        CreatedObject(
            bucket=item["s3"]["bucket"]["name"], key=unquote_plus(item["s3"]["object"]["key"])
        )
        for item in body["Records"]
        if item.get("eventSource") == "aws:s3"
        and str(item.get("eventName", "")).startswith("ObjectCreated:")
    ]


@tracer.capture_method
def process_object(created: CreatedObject) -> str:
    """Process one original; returns the upload's status afterwards (or ``IGNORED``)."""
    logger.remove_keys(["upload_id"])
    logger.set_correlation_id(None)
    record = upload_for(created)
    if record is None:
        return "IGNORED"
    logger.set_correlation_id(record.get("correlationId"))
    logger.append_keys(upload_id=record["uploadId"])
    publish_pending(store, publisher, record)  # a previous run may have died before publishing
    if record["status"] != uploads.PENDING:
        logger.info("upload already processed; skipping", extra={"status": record["status"]})
        return str(record["status"])
    try:
        status, changes = render(record, created.key)
    except (ImageRejected, UploadRejected) as rejection:
        return reject(record, str(rejection.reason))
    return publish(record, changes) if status == uploads.PUBLISHED else hold(record, changes)


def upload_for(created: CreatedObject) -> dict[str, Any] | None:
    """The PENDING-or-later record the object belongs to; None (logged) for strays."""
    parsed = uploads.parse_original_key(created.key)
    if created.bucket != ORIGINALS_BUCKET or parsed is None:
        logger.warning(
            "not an original upload; ignoring", extra={"bucket": created.bucket, "key": created.key}
        )
        return None
    record = store.get(parsed.upload_id)
    if record is None or record["ownerId"] != parsed.owner_id:
        logger.warning("no upload record for this object; ignoring", extra={"key": created.key})
        return None
    return record


def render(record: Mapping[str, Any], key: str) -> tuple[str, dict[str, Any]]:
    """Make, check and store the renditions: PUBLISHED or IN_REVIEW, and the record changes."""
    data = read_original(key, int(record["sizeBytes"]))
    renditions = process_image(data, max_pixels=MAX_IMAGE_PIXELS)
    analysis = analyse(
        renditions.preview,
        detect_labels=REKOGNITION_LABELS,
        moderate=REKOGNITION_MODERATION,
        breaker=breaker,
    )
    if analysis.circuit_open is not None:
        metrics.add_metric(
            name=CIRCUIT_METRIC, unit=MetricUnit.Count, value=int(analysis.circuit_open)
        )
    public = analysis.review_reason is None
    keys = store_renditions(record["uploadId"], renditions, public=public)
    changes = {
        "width": renditions.width,
        "height": renditions.height,
        "colours": list(renditions.colours),
        "palette": list(renditions.palette),
        "labels": analysis.labels,
        "licensedKey": keys["licensed"],
    }
    if public:
        urls = {f"{name}Url": uploads.cdn_url(PUBLIC_CDN_DOMAIN, keys[name]) for name in PUBLIC}
        return uploads.PUBLISHED, changes | urls
    review = {"reviewReason": analysis.review_reason, "moderationFindings": analysis.findings}
    return uploads.IN_REVIEW, changes | review


def read_original(key: str, declared_size: int) -> bytes:
    """The original's bytes, refused unread when larger than the size the upload declared."""
    response = s3.get_object(Bucket=ORIGINALS_BUCKET, Key=key)
    if response["ContentLength"] > declared_size:
        response["Body"].close()
        raise UploadRejected(
            f"The file is larger than the {declared_size} bytes declared for this upload."
        )
    return response["Body"].read()


def store_renditions(upload_id: str, renditions: Renditions, public: bool) -> dict[str, str]:
    """Thumbnail and preview to the public renditions bucket, or (``public`` False) to the
    private review prefix of the originals bucket; the licensed copy to the licensed bucket."""
    extension = EXTENSIONS.get(renditions.licensed_content_type, "bin")
    place = uploads.public_rendition_key if public else uploads.review_copy_key
    keys = {name: place(upload_id, name) for name in PUBLIC}
    keys["licensed"] = f"licensed/{upload_id}.{extension}"
    bucket = RENDITIONS_BUCKET if public else ORIGINALS_BUCKET
    _put(bucket, keys["thumbnail"], renditions.thumbnail, "image/jpeg")
    _put(bucket, keys["preview"], renditions.preview, "image/jpeg")
    _put(
        LICENSED_BUCKET,
        keys["licensed"],
        renditions.licensed,
        renditions.licensed_content_type,
        ContentDisposition=f'attachment; filename="{upload_id}.{extension}"',
    )
    return keys


def publish(record: Mapping[str, Any], changes: Mapping[str, Any]) -> str:
    now = uploads.utc_now()
    return _finish(record, uploads.PUBLISHED, {**changes, "publishedAt": now}, now)


def hold(record: Mapping[str, Any], changes: Mapping[str, Any]) -> str:
    """IN_REVIEW: in the review queue (``gsi2``, oldest first), no event until a decision."""
    logger.info("upload held for review", extra={"reason": changes["reviewReason"]})
    now = uploads.utc_now()
    queue = {"inReviewAt": now, "gsi2pk": uploads.REVIEW_QUEUE, "gsi2sk": now}
    return _finish(record, uploads.IN_REVIEW, {**changes, **queue}, now)


def reject(record: Mapping[str, Any], reason: str) -> str:
    logger.info("upload rejected", extra={"reason": reason})
    now = uploads.utc_now()
    return _finish(record, uploads.REJECTED, {"reason": reason, "rejectedAt": now}, now)


def _finish(record: Mapping[str, Any], status: str, changes: Mapping[str, Any], now: str) -> str:
    updated = store.transition(
        record,
        status,
        changes,
        event_type=OUTCOME_EVENTS[status],
        correlation_id=record.get("correlationId") or record["uploadId"],
        now=now,
    )
    if updated is None:
        # Another run or a withdrawal got there first; its outcome stands and owes the event.
        current = store.get(record["uploadId"]) or {}
        logger.info("upload changed while processing", extra={"status": current.get("status")})
        if status == uploads.IN_REVIEW and not uploads.review_copies_needed(current):
            delete_review_copies(s3, ORIGINALS_BUCKET, record["uploadId"])  # ours, unwanted
        if status == uploads.PUBLISHED and current.get("status") == uploads.WITHDRAWN:
            # Ours, written after the withdrawal's delete may have run: withdrawn means private.
            delete_public_renditions(s3, RENDITIONS_BUCKET, record["uploadId"])
        return str(current.get("status", "GONE"))
    publish_pending(store, publisher, updated)
    metrics.add_metric(name=OUTCOME_METRICS[status], unit=MetricUnit.Count, value=1)
    return status


def _put(bucket: str, key: str, body: bytes, content_type: str, **extra: str) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ContentType=content_type,
        CacheControl=uploads.CACHE_CONTROL,
        **extra,
    )
