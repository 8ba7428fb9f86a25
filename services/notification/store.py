"""The notification table: preferences, the image read model, one delivery record per event.

Layout (``pk``/``sk``):

- ``USER#<sub>`` / ``PREFERENCES``: ``purchases``, ``uploads`` (booleans, default true),
  ``suppressed`` (set by a complaint or a permanent bounce). No address is ever stored.
- ``USER#<sub>`` / ``FEEDBACK#<time>#<SES message id>``: a bounce or complaint (type, kind).
- ``IMAGE#<id>`` / ``IMAGE``: title, price and revision of a published image.
- ``MAIL#<event id>`` / ``MAIL``: the delivery record (``Delivery``), the exactly-once guard.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from services.notification.messages import TOPICS, ImageInfo

RECORD_DAYS = 90
"""Delivery records outlive every redelivery path (queue 4 days, DLQ 14, then a redrive)."""


class Status(StrEnum):
    INTENDED = "INTENDED"
    """Claimed: an attempt holds the lease and is about to send (or died while sending)."""
    SENT = "SENT"
    SKIPPED = "SKIPPED"
    """Not sent on purpose: opted out, suppressed, no such user or no verified address."""
    REJECTED = "REJECTED"
    """SES refused the message for good (e.g. the address is on its suppression list)."""
    UNCERTAIN = "UNCERTAIN"
    """An attempt's lease ran out before it recorded the send: maybe sent, never resent."""


FINAL = frozenset({Status.SENT, Status.SKIPPED, Status.REJECTED, Status.UNCERTAIN})


class Claim(StrEnum):
    DONE = "done"
    """The event's e-mail was already dealt with (or abandoned as uncertain): do nothing."""
    BUSY = "busy"
    """Another attempt holds a live lease: retry later."""
    UNCERTAIN = "uncertain"
    """An earlier attempt's lease ran out unrecorded: marked UNCERTAIN now, never resent."""


@dataclass(frozen=True)
class Lease:
    """This attempt's claim on an event: its token and when it expires (epoch seconds)."""

    token: str
    until: int


def _is_conditional_failure(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def _mail_key(event_id: str) -> dict[str, str]:
    return {"pk": f"MAIL#{event_id}", "sk": "MAIL"}


def _delivery(event_id: str, status: Status, recipient: str, now: int) -> dict[str, Any]:
    """A delivery record's common attributes (kept ``RECORD_DAYS``, then expired by TTL)."""
    return _mail_key(event_id) | {
        "status": status.value,
        "recipient": recipient,
        "expiration": now + RECORD_DAYS * 86400,
    }


def _user_key(user_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": "PREFERENCES"}


class NotificationStore:
    """The service's table (a boto3 ``Table``), through the operations the handlers need."""

    def __init__(self, table: Any) -> None:
        self.table = table

    # -- preferences ----------------------------------------------------------------------

    def preferences(self, user_id: str) -> dict[str, bool]:
        """Topic -> wanted, plus ``suppressed``; a user who never chose gets every e-mail."""
        item = self.table.get_item(Key=_user_key(user_id), ConsistentRead=True).get("Item", {})
        chosen = {topic: bool(item.get(topic, True)) for topic in TOPICS}
        return {**chosen, "suppressed": bool(item.get("suppressed", False))}

    def set_preferences(self, user_id: str, wanted: dict[str, bool], now: str) -> None:
        """Record the user's choices (a subset of ``TOPICS``); ``suppressed`` is not theirs."""
        names = {f"#{t}": t for t in wanted}
        self.table.update_item(
            Key=_user_key(user_id),
            UpdateExpression="SET updatedAt = :now" + "".join(f", #{t} = :{t}" for t in wanted),
            ExpressionAttributeValues={f":{t}": v for t, v in wanted.items()} | {":now": now},
            **({"ExpressionAttributeNames": names} if names else {}),
        )

    def suppress(self, user_id: str, reason: str, now: str) -> None:
        """Stop e-mailing the user (their mailbox bounced for good or they complained)."""
        self.table.update_item(
            Key=_user_key(user_id),
            UpdateExpression="SET suppressed = :yes, suppressedBecause = :why, updatedAt = :now",
            ExpressionAttributeValues={":yes": True, ":why": reason, ":now": now},
        )

    def record_feedback(self, user_id: str, when: str, message_id: str, fields: dict) -> bool:
        """Keep one bounce or complaint (once per SES message and kind); False if known."""
        key = {"pk": f"USER#{user_id}", "sk": f"FEEDBACK#{when}#{message_id}#{fields['type']}"}
        return self._put_new({**key, **fields})

    # -- image read model -----------------------------------------------------------------

    def image(self, image_id: str) -> ImageInfo | None:
        item = self.table.get_item(Key={"pk": f"IMAGE#{image_id}", "sk": "IMAGE"}).get("Item")
        if item is None:
            return None
        return ImageInfo(str(item["title"]), int(item["priceCents"]), str(item["currency"]))

    def put_image(self, data: dict[str, Any]) -> bool:
        """Keep the newest revision of a published image; False when an older one arrives."""
        item = {"pk": f"IMAGE#{data['imageId']}", "sk": "IMAGE"} | {
            name: data[name] for name in ("title", "priceCents", "currency", "revision")
        }
        return self._put_new(item, "OR revision < :revision", {":revision": data["revision"]})

    # -- deliveries (exactly once per event id) -------------------------------------------

    def delivery(self, event_id: str) -> dict[str, Any] | None:
        return self.table.get_item(Key=_mail_key(event_id), ConsistentRead=True).get("Item")

    def claim(self, event_id: str, recipient: str, now: int, lease_seconds: int) -> Lease | Claim:
        """Record the intent to send (conditional put); the lease, or why not to send."""
        lease = Lease(token=secrets.token_hex(8), until=now + lease_seconds)
        item = _delivery(event_id, Status.INTENDED, recipient, now) | {
            "token": lease.token,
            "leaseUntil": lease.until,
        }
        return lease if self._put_new(item) else self._claimed_before(event_id, now)

    def _claimed_before(self, event_id: str, now: int) -> Claim:
        item = self.delivery(event_id)
        if item is None:  # released meanwhile: the redelivery will claim it
            return Claim.BUSY
        if item["status"] in FINAL:
            return Claim.DONE
        if int(item["leaseUntil"]) > now:
            return Claim.BUSY
        # The attempt that claimed it died after its intent: it may have sent. Never resend.
        self._finish(event_id, str(item["token"]), Status.UNCERTAIN, {"abandonedAt": now})
        return Claim.UNCERTAIN

    def release(self, event_id: str, lease: Lease) -> None:
        """Forget our intent: the send certainly failed, so a retry may send."""
        try:
            self.table.delete_item(
                Key=_mail_key(event_id),
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={":token": lease.token},
            )
        except ClientError as error:
            if not _is_conditional_failure(error):
                raise

    def mark(self, event_id: str, lease: Lease, status: Status, details: dict) -> None:
        """Record how our claimed attempt ended (SENT with the SES message id, or REJECTED)."""
        self._finish(event_id, lease.token, status, details)

    def skip(self, event_id: str, recipient: str, reason: str, now: int) -> bool:
        """Record a deliberate non-send (only if nothing is recorded yet); False if known."""
        return self._put_new(
            _delivery(event_id, Status.SKIPPED, recipient, now) | {"reason": reason}
        )

    def _put_new(self, item: dict[str, Any], also: str = "", values: dict | None = None) -> bool:
        """Put ``item`` unless its key exists (or ``also`` holds); False when it was refused."""
        try:
            self.table.put_item(
                Item=item,
                ConditionExpression=f"attribute_not_exists(pk) {also}".strip(),
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except ClientError as error:
            if _is_conditional_failure(error):
                return False
            raise
        return True

    def _finish(self, event_id: str, token: str, status: Status, details: dict) -> None:
        names = {f"#{k}": k for k in details} | {"#status": "status", "#token": "token"}
        values = {f":{k}": v for k, v in details.items()}
        sets = "".join(f", #{k} = :{k}" for k in details)
        self.table.update_item(
            Key=_mail_key(event_id),
            UpdateExpression=f"SET #status = :status{sets}",
            ConditionExpression="#token = :token AND #status = :intended",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values
            | {":status": status.value, ":token": token, ":intended": Status.INTENDED.value},
        )
