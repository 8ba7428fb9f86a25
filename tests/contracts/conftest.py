"""Fixtures for the contract tests: an emulated topic fanned out to a filtered, raw queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from tests.services.conftest import aws  # noqa: F401  (re-exported fixture)
from tests.services.factories import REGION


@dataclass
class Subscription:
    """A topic and the queue subscribed to it (raw delivery, filter policy on ``type``)."""

    topic_arn: str
    queue_url: str
    sns: Any
    sqs: Any

    def receive(self) -> list[dict[str, Any]]:
        """Every message waiting in the queue, as SQS-record-like dicts (``body``, attributes)."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        )
        return [
            {"body": m["Body"], "messageAttributes": m.get("MessageAttributes", {})}
            for m in response.get("Messages", [])
        ]


@pytest.fixture
def subscription(aws: None) -> Iterator[Subscription]:  # noqa: F811
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic_arn = sns.create_topic(Name="marketplace-test-upload-events")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="marketplace-test-catalog-from-upload")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={
            "RawMessageDelivery": "true",
            "FilterPolicy": json.dumps({"type": ["image.published", "image.withdrawn"]}),
        },
    )
    yield Subscription(topic_arn, queue_url, sns, sqs)
