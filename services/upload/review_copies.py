"""Deleting an upload's review copies once nothing can need them any more.

The review copies (``review/<id>/<rendition>.jpg`` in the private originals bucket) exist for
the moderators' previews and for the approval's copy to the public renditions bucket
(``uploads.review_copies_needed``). Whoever ends that need deletes them, after its state
change and event are done: an applied decision (``services.upload.review``), a withdrawal
(``services.upload.api``), a processor run whose review outcome lost the race.

A failed delete raises: the state change stands and the caller's retry (the admin's repeated
decision, the photographer's repeated DELETE, SQS's redelivery) deletes. Deleting an absent
key succeeds in S3, so repeating a delete is harmless. The bucket is versioned: a delete
leaves a noncurrent version, which the bucket's lifecycle purges (components/upload_service.py).

One ``DeleteObject`` per key, not one ``DeleteObjects``: the grant is ``s3:DeleteObject`` on
``review/*`` only, which AWS checks per key either way, but the local emulator (moto) judges a
``DeleteObjects`` request against the bucket's ARN and would refuse it.
"""

from __future__ import annotations

from typing import Any

from services.upload import uploads


def delete_review_copies(s3: Any, bucket: str, upload_id: str) -> None:
    """Delete the upload's review copies (absent ones included); raises on any S3 error."""
    for name in uploads.PUBLIC_RENDITIONS:
        s3.delete_object(Bucket=bucket, Key=uploads.review_copy_key(upload_id, name))
