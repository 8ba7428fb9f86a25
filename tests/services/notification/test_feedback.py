"""Feedback: SES bounces and complaints recorded by user id, suppressing when they should."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from services.notification.feedback_events import parse_feedback
from tests.services.factories import LambdaContext, sqs_event
from tests.services.notification.conftest import NotificationEnv, event
from tests.services.notification.test_sender import send, wire


def ses_event(kind: str, user: str, message_id: str = "msg-1", **detail: Any) -> dict[str, Any]:
    """An SES event-publishing message as the configuration set's SNS destination sends it."""
    body: dict[str, Any] = {
        "eventType": kind,
        "mail": {
            "timestamp": "2026-11-30T07:00:00.000Z",
            "messageId": message_id,
            "destination": ["someone@example.com"],
            "tags": {"userId": [user], "eventId": ["evt-1"], "ses:configuration-set": ["x"]},
        },
    }
    if kind == "Bounce":
        body["bounce"] = {"bounceType": detail.get("bounce_type", "Permanent")}
    if kind == "Complaint":
        body["complaint"] = {"complaintFeedbackType": "abuse"}
    return body


def feed(env: NotificationEnv, *bodies: Any) -> dict[str, Any]:
    return env.feedback.lambda_handler(sqs_event(*bodies), LambdaContext())


def test_feedback_permanent_bounce_suppresses_the_users_emails(
    notification: NotificationEnv,
) -> None:
    # GIVEN a buyer whose mailbox bounced for good
    buyer = notification.add_user()
    assert feed(notification, ses_event("Bounce", buyer))["batchItemFailures"] == []
    # THEN their preferences show it, and their next purchase sends nothing
    assert notification.store.preferences(buyer)["suppressed"] is True
    send(notification, wire(event("purchase.completed", buyerId=buyer)))
    assert notification.sent() == []


def test_feedback_transient_bounce_is_recorded_without_suppressing(
    notification: NotificationEnv,
) -> None:
    buyer = notification.add_user()
    feed(notification, ses_event("Bounce", buyer, bounce_type="Transient"))
    assert notification.store.preferences(buyer)["suppressed"] is False
    items = notification.table.scan()["Items"]
    [record] = [i for i in items if i["sk"].startswith("FEEDBACK#")]
    kept = (record["pk"], record["type"], record["detail"])
    assert kept == (f"USER#{buyer}", "Bounce", "Transient")
    # AND no address is stored anywhere
    assert "@" not in json.dumps(items, default=str)


def test_feedback_complaint_suppresses_and_a_repeat_changes_nothing(
    notification: NotificationEnv,
) -> None:
    user = notification.add_user()
    body = ses_event("Complaint", user)
    assert feed(notification, body, body)["batchItemFailures"] == []
    assert notification.store.preferences(user)["suppressed"] is True
    records = [i for i in notification.table.scan()["Items"] if i["sk"].startswith("FEEDBACK#")]
    assert len(records) == 1


def test_feedback_ignores_event_types_it_does_not_record() -> None:
    assert parse_feedback(json.dumps({"eventType": "Delivery", "mail": {}})) is None


def test_feedback_without_the_user_tag_fails_the_record(notification: NotificationEnv) -> None:
    body = ses_event("Bounce", "u")
    del body["mail"]["tags"]["userId"]
    with pytest.raises(BatchProcessingError, match="userId"):
        feed(notification, body)
