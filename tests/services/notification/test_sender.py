"""Sender: one e-mail per event id, to the right user, honouring opt-outs, never twice."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError

from services.notification import delivery
from services.notification.delivery import InProgress, Sender, deliver
from services.notification.store import Status
from tests.services.factories import LambdaContext, sqs_event
from tests.services.notification.conftest import SENDER, WEB_ORIGIN, NotificationEnv, event

LEASE = 30


def send(env: NotificationEnv, *bodies: Any) -> dict[str, Any]:
    """Run the sender on one SQS batch (envelopes as their wire dicts)."""
    return env.sender.lambda_handler(sqs_event(*bodies), LambdaContext())


def wire(envelope: Any) -> dict[str, Any]:
    return envelope.to_dict()


def test_sender_mails_the_buyer_a_receipt_naming_the_image_and_price(
    notification: NotificationEnv,
) -> None:
    # GIVEN a buyer and an image the read model knows from its image.published
    buyer = notification.add_user()
    published = event("image.published", imageId="img-1", title="Harbour at dawn")
    completed = event("purchase.completed", imageId="img-1", buyerId=buyer, priceCents=1250)
    # WHEN both events arrive
    assert send(notification, wire(published), wire(completed))["batchItemFailures"] == []
    # THEN the buyer got one receipt from the configured sender, title, price and page link
    [receipt] = [m for m in notification.sent() if "purchase" in m.subject.lower()]
    assert receipt.source == SENDER
    assert receipt.destinations["ToAddresses"] == [f"{buyer[:8]}@example.com"]
    assert receipt.subject == "Your purchase of Harbour at dawn is complete"
    assert "12.50 EUR" in receipt.body
    purchase_id = completed.data["purchaseId"]
    assert f"{WEB_ORIGIN}/purchases/{purchase_id}" in receipt.body
    record = notification.store.delivery(completed.id)
    assert record is not None and record["status"] == Status.SENT and record["messageId"]


def test_sender_mails_once_when_the_event_is_delivered_three_times(
    notification: NotificationEnv,
) -> None:
    # GIVEN one purchase.completed event
    completed = event("purchase.completed", buyerId=notification.add_user())
    # WHEN SQS delivers it three times (one batch, then twice more)
    outcomes = [send(notification, wire(completed), wire(completed))]
    outcomes.append(send(notification, wire(completed)))
    # THEN no record failed and exactly one e-mail left
    assert all(o["batchItemFailures"] == [] for o in outcomes)
    assert len(notification.sent()) == 1


def test_sender_mails_the_photographer_the_rejection_reason(
    notification: NotificationEnv,
) -> None:
    photographer = notification.add_user()
    rejected = event(
        "image.rejected",
        imageId="up-9",
        photographerId=photographer,
        reason="The file is not an image <script>",
    )
    assert send(notification, wire(rejected))["batchItemFailures"] == []
    [mail] = notification.sent()
    assert mail.subject == "Your upload up-9 was not published"
    # moto keeps the HTML part: the photographer-facing reason, escaped
    assert "Reason: The file is not an image &lt;script&gt;" in mail.body
    assert "<script>" not in mail.body
    assert f"{WEB_ORIGIN}/uploads/up-9" in mail.body


def test_sender_sends_nothing_to_a_user_who_opted_out(notification: NotificationEnv) -> None:
    # GIVEN a photographer who opted out of upload e-mails (not of purchase e-mails)
    user = notification.add_user()
    notification.store.set_preferences(user, {"uploads": False}, "2026-11-30T00:00:00Z")
    # WHEN their upload is rejected, and they buy something
    rejected = event("image.rejected", photographerId=user)
    completed = event("purchase.completed", buyerId=user)
    assert send(notification, wire(rejected), wire(completed))["batchItemFailures"] == []
    # THEN only the purchase e-mail left; the rejection is recorded as skipped, with why
    assert [m.subject for m in notification.sent()] == [
        "Your purchase of image " + completed.data["imageId"] + " is complete"
    ]
    record = notification.store.delivery(rejected.id)
    assert record is not None and record["status"] == Status.SKIPPED
    assert record["reason"] == "opted out of uploads e-mails"


@pytest.mark.parametrize("verified", [False, None])
def test_sender_skips_users_without_a_verified_address(
    notification: NotificationEnv, verified: bool | None
) -> None:
    user = notification.add_user(verified=False) if verified is False else "no-such-user"
    completed = event("purchase.completed", buyerId=user)
    assert send(notification, wire(completed))["batchItemFailures"] == []
    assert notification.sent() == []
    record = notification.store.delivery(completed.id)
    assert record is not None and record["reason"] == "no verified address"


def sender_with(notification: NotificationEnv, clock: float) -> Sender:
    current = notification.sender.sender
    return Sender(current.store, current.lookup, current.mailer, WEB_ORIGIN, lambda: clock)


def test_sender_never_resends_when_the_send_succeeded_but_its_record_failed(
    notification: NotificationEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an attempt whose SES send succeeds but whose SENT mark fails (the process dies)
    completed = event("purchase.completed", buyerId=notification.add_user())
    first = sender_with(notification, 1_000.0)

    def fail(*_args: Any) -> None:
        raise ConnectionError("the table is unreachable")

    with monkeypatch.context() as patch, pytest.raises(ConnectionError):
        patch.setattr(first.store, "mark", fail)
        deliver(first, completed, LEASE)
    assert len(notification.sent()) == 1
    # WHEN SQS redelivers while the attempt's lease is still running
    # THEN the record fails (retried later), nothing is sent
    with pytest.raises(InProgress):
        deliver(sender_with(notification, 1_010.0), completed, LEASE)
    # AND after the lease ran out it is marked UNCERTAIN, still not resent
    assert deliver(sender_with(notification, 1_100.0), completed, LEASE) == "uncertain"
    assert len(notification.sent()) == 1
    record = notification.store.delivery(completed.id)
    assert record is not None and record["status"] == Status.UNCERTAIN
    # AND any later delivery is a duplicate
    assert deliver(sender_with(notification, 2_000.0), completed, LEASE) == "duplicate"


def test_sender_releases_its_claim_when_ses_fails_so_the_retry_sends(
    notification: NotificationEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN SES throttling the first attempt
    completed = event("purchase.completed", buyerId=notification.add_user())
    mailer = notification.sender.sender.mailer
    real = mailer.ses.send_email

    def throttled(**_kwargs: Any) -> None:
        raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendEmail")

    monkeypatch.setattr(mailer.ses, "send_email", throttled)
    with pytest.raises(BatchProcessingError):  # the whole (one-record) batch failed
        send(notification, wire(completed))
    # THEN nothing was sent, and no claim is left behind
    assert notification.store.delivery(completed.id) is None
    # WHEN SQS retries with SES back
    monkeypatch.setattr(mailer.ses, "send_email", real)
    assert send(notification, wire(completed))["batchItemFailures"] == []
    # THEN exactly one e-mail
    assert len(notification.sent()) == 1


def test_sender_records_a_permanent_ses_refusal_without_retrying(
    notification: NotificationEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a sender address SES does not accept (moto: not a verified identity)
    monkeypatch.setattr(notification.sender.sender.mailer, "sender", "someone@unverified.test")
    completed = event("purchase.completed", buyerId=notification.add_user())
    # WHEN delivered twice / THEN no failure (a retry cannot help), recorded once, nothing sent
    assert send(notification, wire(completed))["batchItemFailures"] == []
    assert send(notification, wire(completed))["batchItemFailures"] == []
    record = notification.store.delivery(completed.id)
    assert record is not None and record["status"] == Status.REJECTED
    assert "not verified" in record["reason"]
    assert notification.sent() == []


def test_sender_fails_a_malformed_record_alone(notification: NotificationEnv) -> None:
    completed = event("purchase.completed", buyerId=notification.add_user())
    response = send(notification, "not json", wire(completed))
    assert len(response["batchItemFailures"]) == 1
    assert len(notification.sent()) == 1


def test_sender_tags_each_mail_with_user_and_event_ids_only(
    notification: NotificationEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the SES call observed (moto does not keep tags)
    calls: list[dict[str, Any]] = []
    mailer = notification.sender.sender.mailer
    real = mailer.ses.send_email
    monkeypatch.setattr(mailer.ses, "send_email", lambda **kw: calls.append(kw) or real(**kw))
    buyer = notification.add_user()
    completed = event("purchase.completed", buyerId=buyer)
    send(notification, wire(completed))
    # THEN the configuration set and the tags feedback maps back to a user by, and no address
    [call] = calls
    assert call["ConfigurationSetName"] == mailer.configuration_set
    assert {t["Name"]: t["Value"] for t in call["Tags"]} == {
        "userId": buyer,
        "eventId": completed.id,
        "eventType": "purchase_completed",
    }
    assert "@" not in json.dumps(call["Tags"])


def test_lease_is_the_invocations_remaining_time_plus_a_margin() -> None:
    assert delivery.lease_for(LambdaContext()) == 35
