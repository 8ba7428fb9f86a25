"""Deleting an upload's review copies, or its public renditions, once nothing may have them.

The review copies (``review/<id>/<rendition>.jpg`` in the private originals bucket) exist for
the moderators' previews and for the approval's copy to the public renditions bucket
(``uploads.review_copies_needed``). Whoever ends that need deletes them, after its state
change and event are done: an applied decision (``services.upload.review``), a withdrawal
(``services.upload.api``), a processor run whose review outcome lost the race.

The public renditions (``thumbnails/<id>.jpg``, ``previews/<id>.jpg`` in the renditions bucket,
served by the public CDN) go when the photographer withdraws the image: by the withdrawal
itself, and by an approval or a processor run that wrote them while a withdrawal raced it
(both re-read the record after writing). The licensed copy stays: buyers keep what they bought.

A failed delete raises: the state change stands and the caller's retry (the admin's repeated
decision, the photographer's repeated DELETE, SQS's redelivery) deletes. Deleting an absent
key succeeds in S3, so repeating a delete is harmless. The originals bucket is versioned: a
delete leaves a noncurrent version, which the bucket's lifecycle purges
(components/upload_service.py).

One ``DeleteObject`` per key, not one ``DeleteObjects``: the grants are ``s3:DeleteObject`` on
the prefixes only, which AWS checks per key either way, but the local emulator (moto) judges a
``DeleteObjects`` request against the bucket's ARN and would refuse it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.upload import uploads


def delete_review_copies(s3: Any, bucket: str, upload_id: str) -> None:
    """Delete the upload's review copies (absent ones included); raises on any S3 error."""
    _delete_each(s3, bucket, upload_id, uploads.review_copy_key)


def delete_public_renditions(s3: Any, bucket: str, upload_id: str) -> None:
    """Delete the upload's public thumbnail and preview (absent ones included); raises on any
    S3 error."""
    _delete_each(s3, bucket, upload_id, uploads.public_rendition_key)


def _delete_each(s3: Any, bucket: str, upload_id: str, key: Callable[[str, str], str]) -> None:
    for name in uploads.PUBLIC_RENDITIONS:
        s3.delete_object(Bucket=bucket, Key=key(upload_id, name))
