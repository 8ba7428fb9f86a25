"""The upload record and its life cycle, as plain data (no AWS).

An upload is one item ``pk = UPLOAD#<id>, sk = UPLOAD`` (``gsi1``: by owner, newest first)::

    PENDING --processor--> PUBLISHED | REJECTED | IN_REVIEW   (first processed object wins)
    IN_REVIEW --admin--> PUBLISHED (approve) | REJECTED (reject, with a reason)
    PENDING | IN_REVIEW | PUBLISHED | REJECTED --owner--> WITHDRAWN   (terminal)

IN_REVIEW: moderation flagged the image, or Rekognition could not be asked (circuit open or
call failed: ``reviewReason`` says which). Its renditions exist but are not public: the
thumbnail and preview are kept under ``review/<id>/`` in the private originals bucket, which
no CDN serves (admins see them through short-lived presigned links); approval copies them to
the public renditions bucket. While in review the item carries ``gsi2pk = REVIEW`` (the
review queue, oldest first); every later transition removes it. The review copies are deleted
once nothing can need them (``review_copies_needed``): after an approval made the public
copies and published, after a rejection or a withdrawal (``services.upload.review_copies``).

Every transition adds 1 to ``revision`` (the ``data.revision`` consumers order events by) and
records the event it owes in ``pendingEvent`` (a one-slot outbox, see ``store.publish_pending``).
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.common import cursor as cursors
from services.contracts.dispatch import producer_table

PENDING = "PENDING"
IN_REVIEW = "IN_REVIEW"
PUBLISHED = "PUBLISHED"
REJECTED = "REJECTED"
WITHDRAWN = "WITHDRAWN"
STATUSES = (PENDING, IN_REVIEW, PUBLISHED, REJECTED, WITHDRAWN)
APPROVED = "APPROVED"
"""A decision's outcome (with ``REJECTED``)."""
REVIEW_QUEUE = "REVIEW"
"""``gsi2pk`` of every upload waiting in review."""
REVIEW_PREFIX = "review"
"""Where review copies live in the originals bucket (no CDN serves that bucket)."""
PUBLIC_RENDITIONS = ("thumbnail", "preview")
"""The renditions the public CDN serves once an upload is published."""
CACHE_CONTROL = "public, max-age=31536000, immutable"
"""Rendition keys are per upload and never rewritten once published (first object wins)."""

IMAGE_PUBLISHED = "image.published"
IMAGE_REJECTED = "image.rejected"
IMAGE_WITHDRAWN = "image.withdrawn"

ORIGINALS_PREFIX = "originals"
SORT_KEY = "UPLOAD"
_UPLOAD_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_KEY_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")

VIEW_FIELDS = (
    "uploadId", "status", "revision", "title", "tags", "priceCents", "currency", "contentType",
    "sizeBytes", "createdAt", "updatedAt", "width", "height", "colours", "palette", "labels",
    "thumbnailUrl", "previewUrl", "publishedAt", "reason", "rejectedAt", "withdrawnAt",
    "reviewReason", "inReviewAt", "decision",
)  # fmt: skip
"""What the owner sees of a record (keys, outbox and correlation id are internal)."""
OWNER_HIDDEN_DECISION_FIELDS = ("decidedBy",)
"""The owner sees what was decided, when and why, not which moderator decided."""


@dataclass(frozen=True)
class OriginalKey:
    """Who uploaded (JWT subject) and for which upload, as read back from an S3 key."""

    owner_id: str
    upload_id: str


def utc_now() -> str:
    """ISO 8601 UTC with microseconds: sorts as text, so it can be an index sort key."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_upload_id() -> str:
    return str(uuid.uuid4())


def is_upload_id(value: str) -> bool:
    """Ids are uuid4 strings; anything else cannot name an upload (and is never a key)."""
    return bool(_UPLOAD_ID.match(value))


def upload_pk(upload_id: str) -> str:
    return f"UPLOAD#{upload_id}"


def owner_pk(owner_id: str) -> str:
    return f"OWNER#{owner_id}"


def owner_segment(owner_id: str) -> str:
    """The owner's S3 key segment: unpadded base64url of the subject.

    A JWT ``sub`` may hold ``/``, ``|``, spaces or non-ASCII (``auth0|123``); base64url keeps the
    segment in ``[A-Za-z0-9_-]``, which S3 notifications do not escape and which cannot break
    out of the owner's prefix, and it decodes back to the subject.
    """
    return base64.urlsafe_b64encode(owner_id.encode()).decode().rstrip("=")


def original_key(owner_id: str, upload_id: str) -> str:
    return f"{ORIGINALS_PREFIX}/{owner_segment(owner_id)}/{upload_id}"


def parse_original_key(key: str) -> OriginalKey | None:
    """``originals/<owner segment>/<uploadId>`` back to its parts; None for any other key."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != ORIGINALS_PREFIX or not _KEY_SEGMENT.match(parts[1]):
        return None
    if not is_upload_id(parts[2]):
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        owner_id = base64.urlsafe_b64decode(padded).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return OriginalKey(owner_id=owner_id, upload_id=parts[2])


def new_upload(
    upload_id: str,
    owner_id: str,
    request: Mapping[str, Any],
    *,
    correlation_id: str,
    now: str,
    forget_at: int,
) -> dict[str, Any]:
    """The PENDING item for a validated ``POST /uploads`` body.

    ``forget_at`` (epoch seconds, the table's TTL attribute) lets DynamoDB delete the record
    if its file never arrives: nothing was accepted, so there is nothing to publish or
    reject. Every status change removes it (``UploadStore.transition``).
    """
    return {
        "pk": upload_pk(upload_id),
        "sk": SORT_KEY,
        "gsi1pk": owner_pk(owner_id),
        "gsi1sk": now,
        "uploadId": upload_id,
        "ownerId": owner_id,
        "status": PENDING,
        "revision": 0,
        "title": request["title"],
        "tags": list(request["tags"]),
        "priceCents": request["priceCents"],
        "currency": request["currency"],
        "contentType": request["contentType"],
        "sizeBytes": request["sizeBytes"],
        "objectKey": original_key(owner_id, upload_id),
        "correlationId": correlation_id,
        "createdAt": now,
        "updatedAt": now,
        "expiration": forget_at,
    }


def upload_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The owner's view of a record: the public fields it has."""
    view = {name: record[name] for name in VIEW_FIELDS if name in record}
    if "decision" in view:
        hidden = OWNER_HIDDEN_DECISION_FIELDS
        view["decision"] = {k: v for k, v in view["decision"].items() if k not in hidden}
    return view


def cdn_url(domain: str, key: str) -> str:
    """``https://<domain>/<key>``; a domain given with a scheme (local) is kept."""
    base = domain if "://" in domain else f"https://{domain}"
    return f"{base.rstrip('/')}/{key}"


def review_copy_key(upload_id: str, rendition: str) -> str:
    """``review/<id>/<rendition>.jpg`` in the originals bucket: a rendition not yet public."""
    return f"{REVIEW_PREFIX}/{upload_id}/{rendition}.jpg"


def owes_public_copies(record: Mapping[str, Any]) -> bool:
    """An approval whose public copies may not be made yet: it still owes ``image.published``
    (the copies are made before the event is published, see ``services.upload.review``)."""
    decision = record.get("decision") or {}
    return decision.get("outcome") == APPROVED and record.get("pendingEvent") == IMAGE_PUBLISHED


def review_copies_needed(record: Mapping[str, Any]) -> bool:
    """Whether anything may still read the review copies: the moderators while the upload
    waits in review, an approval until its public copies are made. Otherwise they go."""
    return record.get("status") == IN_REVIEW or owes_public_copies(record)


def public_rendition_key(upload_id: str, rendition: str) -> str:
    """Where a public rendition lives in the renditions bucket (``previews/<id>.jpg``)."""
    return f"{rendition}s/{upload_id}.jpg"


def event_data(record: Mapping[str, Any], event_type: str) -> dict[str, Any]:
    """The ``data`` of the event a record owes, built from the record alone (so it can be
    rebuilt after a crash)."""
    build = EVENT_DATA.get(event_type)
    if build is None:
        raise ValueError(f"upload records owe no {event_type!r} events")
    common = {
        "imageId": record["uploadId"],
        "revision": record["revision"],
        "photographerId": record["ownerId"],
    }
    return common | build(record)


def _published_data(record: Mapping[str, Any]) -> dict[str, Any]:
    published = (
        "title", "tags", "priceCents", "currency", "width", "height", "colours", "palette",
        "labels", "thumbnailUrl", "previewUrl", "licensedKey", "publishedAt",
    )  # fmt: skip
    return {name: record[name] for name in published if name in record}


def _rejected_data(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"reason": record["reason"]}


def _withdrawn_data(record: Mapping[str, Any]) -> dict[str, Any]:
    return {"withdrawnAt": record["withdrawnAt"]}


EVENT_DATA: Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = producer_table(
    "upload",
    {
        IMAGE_PUBLISHED: _published_data,
        IMAGE_REJECTED: _rejected_data,
        IMAGE_WITHDRAWN: _withdrawn_data,
    },
)
"""Event type -> what of the record its ``data`` carries besides the common fields."""


def encode_cursor(last_key: Mapping[str, Any]) -> str:
    """DynamoDB's ``LastEvaluatedKey`` as an opaque cursor, valid only in its owner's listing."""
    return _encode_key(last_key, scope=str(last_key["gsi1pk"]))


def encode_review_cursor(last_key: Mapping[str, Any]) -> str:
    """The review queue's ``LastEvaluatedKey`` as an opaque cursor, valid only in that queue."""
    return _encode_key(last_key, scope=REVIEW_QUEUE)


def _encode_key(last_key: Mapping[str, Any], scope: str) -> str:
    key = {name: str(value) for name, value in last_key.items()}
    return cursors.encode({"k": key}, scope=scope)


def decode_review_cursor(cursor: str) -> dict[str, str]:
    """The start key of a review-queue cursor; ``InvalidCursor`` (a ValueError) otherwise."""
    position = cursors.decode(cursor, scope=REVIEW_QUEUE)
    fixed = {"gsi2pk": REVIEW_QUEUE, "sk": SORT_KEY}
    return cursors.start_key(position, {"pk", "sk", "gsi2pk", "gsi2sk"}, fixed)


def decode_cursor(cursor: str, owner_id: str) -> dict[str, str]:
    """The start key a cursor stands for; ``InvalidCursor`` (a ValueError) unless it is one of
    this owner's pages, so a forged cursor is a 400, not a DynamoDB error.
    """
    partition = owner_pk(owner_id)
    fixed = {"gsi1pk": partition, "sk": SORT_KEY}
    position = cursors.decode(cursor, scope=partition)
    return cursors.start_key(position, {"pk", "sk", "gsi1pk", "gsi1sk"}, fixed)
