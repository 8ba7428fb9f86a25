"""E-mails in the local environment: moto's SES keeps what the notification service sends.

Real path end to end: upload and purchase publish, SNS fans out to notification's queues, the
sender looks each address up in the local Cognito pool through the identity account's lookup
role and sends through SES as its own role. The tests read moto's sent messages
(``ses_backends[<notification account>][<region>].sent_messages``; the emulator runs in this
process) and the notification table's delivery records.
"""

from __future__ import annotations

import html
import json
import uuid
from typing import Any

import pytest
from moto.ses.models import ses_backends

from components import aws_types
from local.demo import samples
from local.demo.client import Marketplace, User, wait_for
from local.runtime.environment import LocalEnvironment
from services.contracts.envelope import new_envelope, stable_event_id

pytestmark = pytest.mark.e2e

SERVICE = "notification"


def sent_to(env: LocalEnvironment, user: User) -> list[Any]:
    """Every e-mail SES accepted for ``user``'s address (local users are <name>@example.com)."""
    assert env.graph is not None
    backend = ses_backends[env.graph.accounts[SERVICE]][env.graph.region]
    return [
        m
        for m in backend.sent_messages
        if m.destinations["ToAddresses"] == [f"{user.name}@example.com"]
    ]


def delivery(env: LocalEnvironment, event_id: str) -> dict[str, Any] | None:
    """The notification table's delivery record of ``event_id`` (read as the platform)."""
    assert env.graph is not None and env.cloud is not None
    table = _resource(env, aws_types.TABLE)["outputs"]["name"]
    dynamodb = env.cloud.client("dynamodb", env.graph.accounts[SERVICE])
    item = dynamodb.get_item(
        TableName=table, Key={"pk": {"S": f"MAIL#{event_id}"}, "sk": {"S": "MAIL"}}
    ).get("Item")
    return {k: next(iter(v.values())) for k, v in item.items()} if item else None


def _resource(env: LocalEnvironment, type_token: str, name: str = "") -> dict[str, Any]:
    assert env.graph is not None
    [resource] = [
        r
        for r in env.graph.stacks[f"{SERVICE}-local"]
        if r["type"] == type_token and str(r["inputs"].get("name", "")).endswith(name)
    ]
    return resource


def wait_delivered(env: LocalEnvironment, event_id: str) -> dict[str, Any]:
    return wait_for(
        f"notification of event {event_id}",
        lambda: delivery(env, event_id),
        lambda record: record is not None and record["status"] != "INTENDED",
    )


def redeliver(env: LocalEnvironment, envelope: dict[str, Any]) -> None:
    """What an SNS/SQS redelivery hands the sender: the same envelope on its purchase queue."""
    assert env.graph is not None and env.cloud is not None
    queue = _resource(env, aws_types.QUEUE, "notification-purchase-events")["outputs"]["url"]
    sqs = env.cloud.client("sqs", env.graph.accounts[SERVICE])
    sqs.send_message(
        QueueUrl=queue,
        MessageBody=json.dumps(envelope),
        MessageAttributes={"type": {"DataType": "String", "StringValue": envelope["type"]}},
    )


def queue_drained(env: LocalEnvironment) -> bool:
    assert env.graph is not None and env.cloud is not None
    queue = _resource(env, aws_types.QUEUE, "notification-purchase-events")["outputs"]["url"]
    sqs = env.cloud.client("sqs", env.graph.accounts[SERVICE])
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return all(int(value) == 0 for value in attributes.values())


def user(market: Marketplace, role: str) -> User:
    return market.sign_in(f"{role}-{uuid.uuid4().hex[:6]}")


def published_image(market: Marketplace, photographer: User, title: str) -> str:
    upload_id = market.upload(photographer, samples.png(), title, ["harbour"], price_cents=1250)
    record = market.wait_until_processed(photographer, upload_id)
    assert record["status"] == "PUBLISHED", record
    return upload_id


def completed_purchase(market: Marketplace, buyer: User, image_id: str) -> dict[str, Any]:
    purchase = market.buy(buyer, image_id, key=str(uuid.uuid4()))
    return wait_for(
        "the purchase to complete",
        lambda: market.my_purchase(buyer, purchase["purchaseId"]).json(),
        lambda body: body.get("status") == "COMPLETED",
    )


def test_notification_one_email_per_completed_purchase_even_delivered_three_times(
    market: Marketplace, local_env: LocalEnvironment
) -> None:
    # GIVEN a published image and a buyer who bought it
    photographer, buyer = user(market, "nora"), user(market, "nick")
    image_id = published_image(market, photographer, "Harbour at dawn")
    purchase = completed_purchase(market, buyer, image_id)
    event_id = stable_event_id(purchase["purchaseId"], "purchase.completed")
    assert wait_delivered(local_env, event_id)["status"] == "SENT"
    # WHEN the same event is delivered twice more (what an SNS or SQS redelivery does)
    envelope = new_envelope(
        "purchase.completed",
        "purchase",
        {
            "purchaseId": purchase["purchaseId"],
            "imageId": image_id,
            "buyerId": buyer.sub,
            "priceCents": purchase["priceCents"],
            "currency": purchase["currency"],
            "completedAt": purchase["completedAt"],
        },
        "e2e-redelivery",
        event_id=event_id,
    ).to_dict()
    redeliver(local_env, envelope)
    redeliver(local_env, envelope)
    wait_for("the redeliveries to be consumed", lambda: queue_drained(local_env))
    # THEN the buyer has exactly one receipt, naming the image and price, linking the purchase
    receipts = [m for m in sent_to(local_env, buyer) if "purchase" in m.subject]
    assert len(receipts) == 1, [m.subject for m in receipts]
    assert receipts[0].subject == "Your purchase of Harbour at dawn is complete"
    assert "12.50 EUR" in receipts[0].body
    assert f"/purchases/{purchase['purchaseId']}" in receipts[0].body
    # AND the photographer was told the image is published
    assert [m.subject for m in sent_to(local_env, photographer)] == ["Harbour at dawn is published"]


def test_notification_one_email_per_rejected_upload_with_its_reason(
    market: Marketplace, local_env: LocalEnvironment
) -> None:
    # GIVEN a photographer whose file is corrupt
    photographer = user(market, "rita")
    upload_id = market.upload(photographer, samples.corrupt_file(), "Broken", ["broken"])
    record = market.wait_until_processed(photographer, upload_id)
    assert record["status"] == "REJECTED", record
    # WHEN the rejection is delivered
    wait_for("the rejection e-mail", lambda: sent_to(local_env, photographer))
    # THEN one e-mail, with the reason the upload service gave
    [mail] = sent_to(local_env, photographer)
    assert mail.subject == f"Your upload {upload_id} was not published"
    assert html.escape(record["reason"]) in mail.body


def test_notification_none_for_a_user_who_opted_out(
    market: Marketplace, local_env: LocalEnvironment
) -> None:
    # GIVEN a buyer who opted out of purchase e-mails through the preferences API
    photographer, buyer = user(market, "paul"), user(market, "olive")
    changed = market.call("PUT", SERVICE, "/preferences", buyer, json={"purchases": False})
    assert changed.status_code == 200 and changed.json()["purchases"] is False
    image_id = published_image(market, photographer, "Quiet lake")
    # WHEN they buy
    purchase = completed_purchase(market, buyer, image_id)
    event_id = stable_event_id(purchase["purchaseId"], "purchase.completed")
    # THEN the event is recorded as skipped and no e-mail left for them
    assert wait_delivered(local_env, event_id)["status"] == "SKIPPED"
    assert sent_to(local_env, buyer) == []
    # AND their preferences say so (read back through the API, as themselves only)
    assert market.call("GET", SERVICE, "/preferences", buyer).json()["purchases"] is False
    assert market.call("GET", SERVICE, "/preferences", photographer).json()["purchases"] is True
