"""Moderators' API: the review queue, one item, approve or reject (``/admin/reviews``).

Admins are the members of the identity provider's group ``ADMIN_GROUP`` (the token's
``cognito:groups`` claim); everyone else gets 403 on every route here, before anything is
read. Decisions are ``services.upload.review``'s: idempotent, one outcome under races, each
recorded on the upload (``decision``: outcome, who, when, why).

A separate function from the photographers' API so that only this role may read the private
review copies and copy them to the public renditions bucket. A decision deletes the review
copies once applied (``services.upload.review``).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from functools import cache
from http import HTTPStatus
from typing import Annotated, Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from services.common.http import BadRequest, DomainError, caller_id
from services.contracts.publisher import EventPublisher
from services.upload import review, review_copies, uploads
from services.upload.conventions import CORRELATION_PATH, http_app
from services.upload.manifest import REVIEW_URL_TTL_SECONDS
from services.upload.models import ApproveReview, RejectReview, ReviewItem, ReviewPage
from services.upload.store import UploadStore

ORIGINALS_BUCKET = os.environ["ORIGINALS_BUCKET"]
RENDITIONS_BUCKET = os.environ["RENDITIONS_BUCKET"]
PUBLIC_CDN_DOMAIN = os.environ["PUBLIC_CDN_DOMAIN"]
ADMIN_GROUP = os.environ["ADMIN_GROUP"]
GROUPS_CLAIM = "cognito:groups"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
store = UploadStore(boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"]))
publisher = EventPublisher(os.environ["EVENTS_TOPIC_ARN"], source="upload")

app = http_app(
    "Upload admin API",
    "Moderators review uploads waiting IN_REVIEW and approve or reject them. Every route "
    f"requires membership of the identity provider's admin group (claim {GROUPS_CLAIM}).",
)


class Forbidden(DomainError):
    """Signed in, but not an admin."""

    status = HTTPStatus.FORBIDDEN


@cache
def s3() -> Any:
    """SigV4: the presigned links are SigV4 (the regional endpoint refuses SigV2)."""
    return boto3.client("s3", config=Config(signature_version="s3v4"))


def copy_to_public(review_key: str, public_key: str) -> None:
    s3().copy_object(
        Bucket=RENDITIONS_BUCKET,
        Key=public_key,
        CopySource={"Bucket": ORIGINALS_BUCKET, "Key": review_key},
        ContentType="image/jpeg",
        CacheControl=uploads.CACHE_CONTROL,
        MetadataDirective="REPLACE",
    )


def delete_review_copies(upload_id: str) -> None:
    review_copies.delete_review_copies(s3(), ORIGINALS_BUCKET, upload_id)


def delete_public_copies(upload_id: str) -> None:
    review_copies.delete_public_renditions(s3(), RENDITIONS_BUCKET, upload_id)


decider = review.Decider(
    store, publisher, copy_to_public, PUBLIC_CDN_DOMAIN, delete_review_copies, delete_public_copies
)


@app.get("/admin/reviews", summary="The review queue, oldest first")
def list_reviews(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2048)] = None,
) -> ReviewPage:
    current_admin()
    try:
        start_key = uploads.decode_review_cursor(cursor) if cursor else None
    except ValueError as error:
        raise BadRequest(f"cursor: {error}") from None
    items, last_key = store.list_review_queue(limit, start_key)
    return ReviewPage(
        items=[review_item(item) for item in items],
        nextCursor=uploads.encode_review_cursor(last_key) if last_key else None,
    )


@app.get("/admin/reviews/<id>", summary="One upload in (or decided from) review")
def get_review(id: str) -> ReviewItem:
    current_admin()
    return review_item(review.reviewed_upload(store, id))


@app.post("/admin/reviews/<id>/approve", summary="Approve: publish the upload")
def approve_review(id: str, request: ApproveReview) -> ReviewItem:
    admin_id = current_admin()
    record = review.approve(decider, id, admin_id, request.note)
    _decided("approved", record)
    return review_item(record)


@app.post("/admin/reviews/<id>/reject", summary="Reject the upload with a reason")
def reject_review(id: str, request: RejectReview) -> ReviewItem:
    admin_id = current_admin()
    record = review.reject(decider, id, admin_id, request.reason)
    _decided("rejected", record)
    return review_item(record)


@logger.inject_lambda_context(correlation_id_path=CORRELATION_PATH)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


def current_admin() -> str:
    """The caller's id if the caller is in ``ADMIN_GROUP``; 401 unsigned, 403 otherwise."""
    admin_id = caller_id(app)
    authorizer = app.current_event.request_context.authorizer
    claims = (authorizer.jwt_claim if authorizer else None) or {}
    if ADMIN_GROUP not in groups(claims.get(GROUPS_CLAIM)):
        raise Forbidden(f"only members of the {ADMIN_GROUP!r} group may review uploads")
    return admin_id


def groups(claim: Any) -> set[str]:
    """The groups claim as API Gateway hands it over (``"[a b]"``) or as a JSON list."""
    if isinstance(claim, list):
        return {str(group) for group in claim}
    if isinstance(claim, str):
        return set(claim.strip().removeprefix("[").removesuffix("]").split())
    return set()


def review_item(record: dict[str, Any]) -> ReviewItem:
    """The admin's view: presigned links to the review copies while it waits in review; once
    decided (its review copies deleted) the record's own URLs: public CDN if approved, else none."""
    fields = {name: record[name] for name in ReviewItem.model_fields if name in record}
    return ReviewItem(
        **fields
        | {
            "photographerId": record["ownerId"],
            "labels": record.get("labels", []),
            "moderationFindings": record.get("moderationFindings", []),
        }
        | (review_links(record["uploadId"]) if record["status"] == uploads.IN_REVIEW else {})
    )


def review_links(upload_id: str) -> dict[str, str]:
    """Presigned links to the private review copies and when they expire."""
    expires = datetime.now(UTC) + timedelta(seconds=REVIEW_URL_TTL_SECONDS)
    links = {
        f"{name}Url": s3().generate_presigned_url(
            "get_object",
            Params={"Bucket": ORIGINALS_BUCKET, "Key": uploads.review_copy_key(upload_id, name)},
            ExpiresIn=REVIEW_URL_TTL_SECONDS,
        )
        for name in uploads.PUBLIC_RENDITIONS
    }
    return links | {"linksExpireAt": expires.isoformat(timespec="seconds").replace("+00:00", "Z")}


def _decided(outcome: str, record: dict[str, Any]) -> None:
    metrics.add_metric(name=f"Reviews{outcome.title()}", unit=MetricUnit.Count, value=1)
    logger.info(f"review {outcome}", extra={"upload_id": record["uploadId"]})
