"""WORKAROUND (moto 5.2.x): S3 event notifications of presigned POST uploads get lost.

Why: moto sends a bucket's notifications "from" the account of the *request*. A presigned
POST signed with SigV4 (how the upload API signs the photographers' uploads) carries its
credentials in the ``x-amz-credential`` form field, which moto does not read (it reads a
SigV2 POST's ``AWSAccessKeyId``); it attributes the request to its default account, looks
the notification's queue up there, does not find it and drops the ``ObjectCreated:Post``
event. S3 itself sends notifications from the
bucket owner's account, so the upload service's processor would never hear of an upload.

How: ``install()`` wraps ``moto.s3.notifications.send_event`` (the one function every S3
notification goes through) so it always uses the bucket owner's account. The emulator runs
in this process (``ThreadedMotoServer``), so the wrapper applies to it. Same-account PUTs
were right before and stay unchanged; nothing is delivered twice.

How to remove: ``tests/e2e/test_emulator_workarounds.py::
test_moto_still_drops_presigned_post_notifications`` fails the day moto sends them from the
bucket owner's account. Then delete this module and its ``install()`` call (environment.py).
"""

from __future__ import annotations

from typing import Any

from moto.s3 import notifications

_original_send_event = notifications.send_event


def _send_from_bucket_owner(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
    owner = getattr(bucket, "account_id", None) or account_id
    _original_send_event(owner, event_name, bucket, key)


def install() -> None:
    """Idempotent: S3 notifications are sent from the bucket owner's account from now on."""
    notifications.send_event = _send_from_bucket_owner


def uninstall() -> None:
    notifications.send_event = _original_send_event


def installed() -> bool:
    return notifications.send_event is _send_from_bucket_owner
