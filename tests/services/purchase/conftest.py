"""Fixtures of the purchase service's handler tests: its table, topics, offers and events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from local.keys import new_rsa_key, private_pem, public_pem
from services.contracts.envelope import new_envelope
from services.contracts.schemas import examples
from services.purchase.model import offer_from_published
from tests.services.conftest import create_service_table
from tests.services.factories import REGION

TABLE = "purchase-test"
IMAGE_ID = "img-1"


@pytest.fixture
def table(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The purchase table (gsi1 = purchases by buyer, stream on), named in ``TABLE_NAME``."""
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "purchase")
    return create_service_table(TABLE, indexes=("gsi1",), stream=True)


def published(image_id: str = IMAGE_ID, revision: int = 1, **overrides: Any) -> dict[str, Any]:
    """An ``image.published`` envelope (wire shape) from the schema's first example."""
    data = {**examples("image.published")[0], "imageId": image_id, "revision": revision}
    data["licensedKey"] = f"licensed/photographer-7d2e/{image_id}.jpg"
    return new_envelope("image.published", "upload", {**data, **overrides}).to_dict()


def withdrawn(image_id: str = IMAGE_ID, revision: int = 2) -> dict[str, Any]:
    data = {**examples("image.withdrawn")[0], "imageId": image_id, "revision": revision}
    return new_envelope("image.withdrawn", "upload", data).to_dict()


@pytest.fixture(scope="session")
def rsa_key() -> tuple[str, str]:
    """A (private PEM, public PEM) pair, as the signing secret and the key group hold them.

    One per session: generating a 2048-bit key costs a large share of a test's time.
    """
    key = new_rsa_key()
    return private_pem(key), public_pem(key)


@pytest.fixture
def subscribed_queue(aws: None) -> Callable[[str], Callable[[], list[dict[str, Any]]]]:
    """Subscribe a fresh SQS queue to a topic; returns a reader of what arrived (raw SNS)."""
    sqs = boto3.client("sqs", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)

    def subscribe(topic_arn: str) -> Callable[[], list[dict[str, Any]]]:
        name = topic_arn.rsplit(":", 1)[-1] + "-probe"
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)

        def received() -> list[dict[str, Any]]:
            messages = []
            while batch := sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages"):
                messages += [json.loads(m["Body"]) for m in batch]
                for m in batch:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            return messages

        return received

    return subscribe


@pytest.fixture
def topics(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The service's events topic, set in its env var."""
    sns = boto3.client("sns", region_name=REGION)
    arns = {
        "events": sns.create_topic(Name="purchase-test-events")["TopicArn"],
    }
    monkeypatch.setenv("EVENTS_TOPIC_ARN", arns["events"])
    yield arns


def seed_offer(table: Any, image_id: str = IMAGE_ID, **overrides: Any) -> dict[str, Any]:
    """Put an offer as the offers consumer would have from an ``image.published`` event."""
    offer = offer_from_published(published(image_id, **overrides)["data"])
    table.put_item(Item=offer)
    return offer
