from __future__ import annotations

import json

import boto3
import pytest

from services.contracts import schemas
from services.contracts.consumer import envelope_from_record
from services.contracts.publisher import EventPublisher, InvalidEvent
from tests.contracts.conftest import Subscription
from tests.services.factories import REGION


def test_publisher_filtered_type_arrives_with_attribute(subscription: Subscription) -> None:
    # GIVEN upload's publisher and a queue filtered on image.published / image.withdrawn
    publisher = EventPublisher(subscription.topic_arn, "upload")
    data = schemas.examples("image.published")[0]
    # WHEN it publishes image.published
    sent = publisher.publish("image.published", data, correlation_id="req-1")
    # THEN the raw envelope arrives with the type attribute and decodes to what was sent
    [message] = subscription.receive()
    assert json.loads(message["body"]) == sent.to_dict()
    assert message["messageAttributes"]["type"]["StringValue"] == "image.published"
    assert envelope_from_record(message) == sent
    assert sent.correlation_id == "req-1"


def test_publisher_unfiltered_type_does_not_arrive(subscription: Subscription) -> None:
    # GIVEN the same subscription
    publisher = EventPublisher(subscription.topic_arn, "upload")
    # WHEN upload publishes image.rejected, which the filter policy excludes
    publisher.publish("image.rejected", schemas.examples("image.rejected")[0], "req-2")
    # THEN nothing arrives
    assert subscription.receive() == []


def test_publisher_rejects_invalid_data_naming_type_and_field(subscription: Subscription) -> None:
    # GIVEN data with a negative price
    publisher = EventPublisher(subscription.topic_arn, "upload")
    data = {**schemas.examples("image.published")[0], "priceCents": -5}
    # WHEN / THEN publishing fails naming the type and the field, and nothing is sent
    with pytest.raises(InvalidEvent) as raised:
        publisher.publish("image.published", data, "req-3")
    assert raised.value.field == "data.priceCents"
    assert str(raised.value).startswith("cannot publish image.published: data.priceCents")
    assert isinstance(raised.value, ValueError)
    assert subscription.receive() == []


def test_publisher_rejects_type_of_other_producer(subscription: Subscription) -> None:
    # GIVEN catalog's publisher (catalog produces nothing) / upload publishing purchase events
    publisher = EventPublisher(subscription.topic_arn, "upload")
    # WHEN / THEN the producer check names the rightful producer
    with pytest.raises(InvalidEvent, match="published by 'purchase' only, not by 'upload'"):
        publisher.publish("purchase.completed", schemas.examples("purchase.completed")[0], "r")


def test_publisher_rejects_unknown_type(subscription: Subscription) -> None:
    publisher = EventPublisher(subscription.topic_arn, "upload")
    with pytest.raises(InvalidEvent, match="unknown event type"):
        publisher.publish("image.deleted", {}, "r")


def test_publisher_rejects_unknown_source() -> None:
    with pytest.raises(ValueError, match="unknown source service 'billing'"):
        EventPublisher("arn:aws:sns:eu-west-1:123456789012:t", "billing")


def test_publisher_creates_client_lazily(aws: None) -> None:
    # GIVEN a publisher built without a client
    topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name="t")["TopicArn"]
    publisher = EventPublisher(topic_arn, "purchase")
    assert publisher._sns is None
    # WHEN it publishes / THEN it made its client on first use
    publisher.publish("purchase.failed", schemas.examples("purchase.failed")[0], "r")
    assert publisher._sns is not None
