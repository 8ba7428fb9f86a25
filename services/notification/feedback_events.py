"""SES event-publishing messages (bounce, complaint) as plain data; no address is kept.

SES publishes one JSON document per event to the configuration set's SNS destination:
``eventType`` (``Bounce``, ``Complaint``, ...), ``mail`` (``messageId``, ``timestamp``,
``tags``: name -> list of values) and the event's own object (``bounce.bounceType``,
``complaint.complaintFeedbackType``). The recipients' addresses in it are ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

RECORDED = ("Bounce", "Complaint")
"""Event types kept; the configuration set publishes only these (component), others ignored."""


class MalformedFeedback(ValueError):
    """Not an SES event, or one without the tags this service puts on every e-mail."""


@dataclass(frozen=True)
class Feedback:
    kind: str
    user_id: str
    event_id: str
    message_id: str
    time: str
    detail: str

    @property
    def suppresses(self) -> bool:
        """Complaints and permanent bounces stop further e-mail to the user."""
        return self.kind == "Complaint" or self.detail == "Permanent"


def parse_feedback(body: str) -> Feedback | None:
    """The feedback in an SES event message; ``None`` for event types not recorded."""
    try:
        event = json.loads(body)
        kind = event.get("eventType") or event.get("notificationType")
        if kind not in RECORDED:
            return None
        mail = event["mail"]
        tags: dict[str, Any] = mail.get("tags") or {}
        return Feedback(
            kind=kind,
            user_id=_tag(tags, "userId"),
            event_id=_tag(tags, "eventId"),
            message_id=str(mail["messageId"]),
            time=str(mail["timestamp"]),
            detail=_detail(kind, event),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise MalformedFeedback(f"not an SES feedback event: {error!r}") from error


def _tag(tags: dict[str, Any], name: str) -> str:
    values = tags.get(name)
    if not isinstance(values, list) or not values or not isinstance(values[0], str):
        raise KeyError(f"mail.tags.{name}")
    return values[0]


def _detail(kind: str, event: dict[str, Any]) -> str:
    if kind == "Bounce":
        return str(event["bounce"]["bounceType"])
    return str(event.get("complaint", {}).get("complaintFeedbackType", "complaint"))
