"""Deleting an upload's review copies once nothing can need them any more.

The review copies (``review/<id>/<rendition>.jpg`` in the private originals bucket) exist for
the moderators' previews and for the approval's copy to the public renditions bucket
(``uploads.review_copies_needed``). Whoever ends that need deletes them, after its state
change and event are done: an applied decision (``services.upload.review``), a withdrawal
(``services.upload.api``), a processor run whose review outcome lost the race.

A failed delete raises: the state change stands and the caller's retry (the admin's repeated
decision, the photographer's repeated DELETE, SQS's redelivery) deletes. Deleting an absent
key succeeds in S3, so repeating a delete is harmless.
"""

from __future__ import annotations

from typing import Any

from services.upload import uploads


class ReviewCopiesNotDeleted(RuntimeError):
    """S3 refused to delete some review copies (``DeleteObjects`` reports, it does not raise)."""


def delete_review_copies(s3: Any, bucket: str, upload_id: str) -> None:
    """Delete the upload's review copies in one request; raises if any key was not deleted."""
    keys = [uploads.review_copy_key(upload_id, name) for name in uploads.PUBLIC_RENDITIONS]
    response = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
    )
    errors = response.get("Errors") or []
    if errors:
        failed = ", ".join(f"{e.get('Key')} ({e.get('Code')})" for e in errors)
        raise ReviewCopiesNotDeleted(f"review copies of {upload_id} not deleted: {failed}")
