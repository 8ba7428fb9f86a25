"""Moderation decisions on uploads in review: approve (publish) or reject, exactly one outcome.

A decision is one conditional transition out of IN_REVIEW (``store.transition``: status and
revision as read), so of two admins deciding at once exactly one write wins. The loser, and
anyone repeating a decision, re-reads the upload and gets:

* the same outcome already recorded: that decision (idempotent; the first reason stands), after
  paying whatever the winner still owes (public copies, the event);
* another outcome, or an upload that left review otherwise (withdrawn): ``Conflict`` naming
  what happened, who decided and when.

Approval makes the renditions public *after* the winning transition: the review copies are
copied to the public renditions bucket, then ``image.published`` is published (outbox). A
rejected or losing approval therefore never puts anything where the public CDN serves it. If
the function dies between the transition and the copy, the upload is PUBLISHED with its event
still owed; repeating the approval (the admin's retry) makes the copies and publishes.

Once a decision is applied (approve: public copies made and ``image.published`` sent; reject:
recorded and ``image.rejected`` sent) its review copies are deleted
(``services.upload.review_copies``). Every settle deletes, so a repeat cleans up after a delete
that failed, and a repeat never needs the review copies: the event is cleared only after the
public copies exist, so a repeat copies only while they may be missing. A repeat that read the
record just before the winner settled may find the review copies already gone: its copy fails,
it re-reads, and the cleared event shows the public copies were made.

A withdrawal may land between the approval's transition and its copy: the withdrawal deletes
the public renditions, and the copy would then put them back. So the approval re-reads the
record after copying and deletes the public copies if the upload is WITHDRAWN
(``_unpublish_if_withdrawn``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from services.common.http import Conflict, NotFound
from services.contracts.publisher import EventPublisher
from services.upload import uploads
from services.upload.store import UploadStore, publish_pending

OUTCOMES = {uploads.PUBLISHED: uploads.APPROVED, uploads.REJECTED: uploads.REJECTED}
"""Status a decision moves the upload to -> the decision's recorded outcome."""
EVENTS = {uploads.PUBLISHED: uploads.IMAGE_PUBLISHED, uploads.REJECTED: uploads.IMAGE_REJECTED}
Copier = Callable[[str, str], None]
"""Copies the review copy at the first key (originals bucket) to the second (renditions)."""
Deleter = Callable[[str], None]
"""Deletes the review copies (or public copies) of the upload with this id (absent ones are
fine)."""


@dataclass(frozen=True)
class Decider:
    """What a decision touches: the table, the events topic, the public and review copies."""

    store: UploadStore
    publisher: EventPublisher
    copy_to_public: Copier
    public_cdn_domain: str
    delete_review_copies: Deleter
    delete_public_copies: Deleter


def reviewed_upload(store: UploadStore, upload_id: str) -> dict[str, Any]:
    """An upload that is or was in review; anything else is 404."""
    record = store.get(upload_id)
    if record is None or "inReviewAt" not in record:
        raise NotFound(f"upload {upload_id!r} is not in the review queue")
    return record


def approve(decider: Decider, upload_id: str, admin_id: str, note: str | None) -> dict[str, Any]:
    """IN_REVIEW -> PUBLISHED, public renditions and ``image.published``; see the module doc."""

    def changes(now: str) -> dict[str, Any]:
        urls = {
            f"{name}Url": uploads.cdn_url(
                decider.public_cdn_domain, uploads.public_rendition_key(upload_id, name)
            )
            for name in uploads.PUBLIC_RENDITIONS
        }
        return urls | {
            "publishedAt": now,
            "decision": _decision(uploads.APPROVED, admin_id, now, note),
        }

    return _decide(decider, upload_id, uploads.PUBLISHED, changes)


def reject(decider: Decider, upload_id: str, admin_id: str, reason: str) -> dict[str, Any]:
    """IN_REVIEW -> REJECTED with ``reason`` and ``image.rejected``; see the module doc."""

    def changes(now: str) -> dict[str, Any]:
        return {
            "reason": reason,
            "rejectedAt": now,
            "decision": _decision(uploads.REJECTED, admin_id, now, reason),
        }

    return _decide(decider, upload_id, uploads.REJECTED, changes)


def _decide(
    decider: Decider,
    upload_id: str,
    status: str,
    changes: Callable[[str], dict[str, Any]],
    attempts: int = 3,
) -> dict[str, Any]:
    outcome = OUTCOMES[status]
    for _ in range(attempts):
        record = reviewed_upload(decider.store, upload_id)
        if record["status"] == uploads.IN_REVIEW:
            now = uploads.utc_now()
            won = decider.store.transition(
                record,
                status,
                changes(now),
                event_type=EVENTS[status],
                correlation_id=record.get("correlationId") or record["uploadId"],
                now=now,
            )
            if won is None:
                continue  # someone else decided (or the owner withdrew) meanwhile: read again
            record = won
        return _settle(decider, record, outcome)
    raise Conflict(f"upload {upload_id!r} is changing; try again")


def _decision(outcome: str, admin_id: str, now: str, reason: str | None) -> dict[str, Any]:
    decision = {"outcome": outcome, "decidedBy": admin_id, "decidedAt": now}
    return decision | ({"reason": reason} if reason else {})


def _settle(decider: Decider, record: dict[str, Any], outcome: str) -> dict[str, Any]:
    """The recorded decision if it is ``outcome`` (paying what it owes, then deleting the
    review copies), else ``Conflict``."""
    decision = record.get("decision") or {}
    if decision.get("outcome") != outcome:
        raise Conflict(_why_not(record))
    if uploads.owes_public_copies(record):
        record = _copy_to_public(decider, record)
    publish_pending(decider.store, decider.publisher, record)
    decider.delete_review_copies(record["uploadId"])
    return record


def _copy_to_public(decider: Decider, record: dict[str, Any]) -> dict[str, Any]:
    """Make the public copies; the record to settle on (re-read if a racing settle won)."""
    upload_id = record["uploadId"]
    try:
        for name in uploads.PUBLIC_RENDITIONS:
            decider.copy_to_public(
                uploads.review_copy_key(upload_id, name),
                uploads.public_rendition_key(upload_id, name),
            )
    except ClientError:
        current = decider.store.get(upload_id)
        if current is None or uploads.owes_public_copies(current):
            raise  # nobody made the public copies: a real failure
        _unpublish_if_withdrawn(decider, current)  # a copy made before the failure
        return current  # a racing settle made them (or a withdrawal made them moot)
    _unpublish_if_withdrawn(decider, decider.store.get(upload_id))
    return record


def _unpublish_if_withdrawn(decider: Decider, current: Mapping[str, Any] | None) -> None:
    """Delete the public copies just made if the upload was withdrawn meanwhile.

    ``current`` is read after the copy. Either the withdrawal's write came before that read,
    and this delete runs after the copy; or it came after, and the withdrawal's own delete
    (which follows its write) runs after the copy too. Either way a delete follows the copy,
    so a withdrawn image keeps no public copies.
    """
    if current is not None and current["status"] == uploads.WITHDRAWN:
        decider.delete_public_copies(current["uploadId"])


def _why_not(record: Mapping[str, Any]) -> str:
    decision = record.get("decision")
    upload_id = record["uploadId"]
    if decision:
        return (
            f"upload {upload_id!r} was already {decision['outcome'].lower()} by "
            f"{decision['decidedBy']} at {decision['decidedAt']}"
        )
    return f"upload {upload_id!r} is no longer in review (status {record['status']})"
