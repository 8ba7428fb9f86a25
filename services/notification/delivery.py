"""One event to at most one e-mail, exactly once per event id. Plain logic, injected clients.

The steps, each guarded so a repeated delivery of the same event resumes safely:

1. **Plan**: the template and recipient for the event (``messages.plan``); ``image.published``
   also updates the image read model that purchase e-mails take titles from.
2. **Already dealt with?** A final delivery record (sent, skipped, rejected, uncertain) ends it.
3. **Wanted?** Opted out of the topic, suppressed by feedback, unknown user or no verified
   address: recorded as SKIPPED (only if nothing is recorded yet), nothing sent.
4. **Claim**: a conditional put records the intent with a lease (the invocation's remaining
   time). Another live claim: the record fails and SQS retries it later.
5. **Send** through SES; a certain failure releases the claim (the retry sends), a permanent
   refusal is recorded as REJECTED.
6. **Mark** SENT with SES's message id.

Residual window: the process dies after SES accepted the message and before step 6 (or the
mark keeps failing). The claim's lease then runs out and the next delivery finds an expired
INTENDED record: it may have been sent, so it is marked UNCERTAIN and never resent. An e-mail
is lost only if the process died between the claim and SES accepting it (the same window, in
the other direction): at most once there, by choice; services/notification/README.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.contracts.envelope import Envelope
from services.notification.directory import Address
from services.notification.mailer import Mailer, Rejected
from services.notification.messages import plan
from services.notification.store import Claim, Lease, NotificationStore, Status
from services.notification.templates import render


class InProgress(Exception):
    """Another attempt holds the event's claim: fail this record, SQS redelivers it later."""


@dataclass
class Sender:
    """What delivering needs: the table, the directory, SES, and the web app's origin."""

    store: NotificationStore
    lookup: Callable[[str], Address | None]
    mailer: Mailer
    web_origin: str
    clock: Callable[[], float] = time.time


def deliver(sender: Sender, envelope: Envelope, lease_seconds: int) -> str:
    """Deal with one event; the outcome is a word for logs and metrics."""
    store = sender.store
    if envelope.type == "image.published":
        store.put_image(envelope.data)
    mail = plan(envelope.type, envelope.data, store.image)
    existing = store.delivery(envelope.id)
    if existing is not None and existing["status"] != Status.INTENDED:
        return "duplicate"
    now = int(sender.clock())
    reason = _unwanted(store, mail.recipient, mail.topic)
    address = None if reason else sender.lookup(mail.recipient)
    if reason or address is None:
        reason = reason or "no verified address"
        return "skipped" if store.skip(envelope.id, mail.recipient, reason, now) else "duplicate"
    claim = store.claim(envelope.id, mail.recipient, now, lease_seconds)
    if claim is Claim.BUSY:
        raise InProgress(f"event {envelope.id} is being sent by another attempt")
    if not isinstance(claim, Lease):
        return "uncertain" if claim is Claim.UNCERTAIN else "duplicate"
    rendered = render(mail.template, mail.fields, mail.link(sender.web_origin))
    tags = {"userId": mail.recipient, "eventId": envelope.id, "eventType": _tag(envelope.type)}
    try:
        message_id = sender.mailer.send(address.email, rendered, tags)
    except Rejected as error:
        store.mark(envelope.id, claim, Status.REJECTED, {"reason": str(error)})
        return "rejected"
    except Exception:
        store.release(envelope.id, claim)
        raise
    store.mark(envelope.id, claim, Status.SENT, {"messageId": message_id, "sentAt": now})
    return "sent"


def _unwanted(store: NotificationStore, user_id: str, topic: str) -> str | None:
    """Why the user gets no e-mail on ``topic``, or ``None``."""
    preferences = store.preferences(user_id)
    if preferences["suppressed"]:
        return "suppressed after a bounce or complaint"
    if not preferences[topic]:
        return f"opted out of {topic} e-mails"
    return None


def _tag(value: str) -> str:
    """SES tag values allow letters, digits, ``_`` and ``-`` only."""
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in value)


def lease_for(context: Any, margin_seconds: int = 5) -> int:
    """The claim's lease: what is left of this invocation, plus a margin."""
    return int(context.get_remaining_time_in_millis() / 1000) + margin_seconds
