"""SQS queues and queue policies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components import aws_types
from local.emulator.creators.base import Args, Creator, Inputs, Outputs, Target, as_int, bool_text

QUEUE_ATTRIBUTES = {
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "delaySeconds": "DelaySeconds",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "maxMessageSize": "MaximumMessageSize",
    "redrivePolicy": "RedrivePolicy",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "fifoQueue": "FifoQueue",
    "policy": "Policy",
}
"""Pulumi input -> SQS attribute name."""


def queue_attributes(inputs: Mapping[str, Any]) -> dict[str, str]:
    """The queue's inputs as SQS attributes (all text, as the API takes them)."""
    attributes: dict[str, str] = {}
    for name, attribute in QUEUE_ATTRIBUTES.items():
        value = inputs.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            attributes[attribute] = bool_text(value)
        elif isinstance(value, float | int):
            attributes[attribute] = str(as_int(value))
        else:
            attributes[attribute] = str(value)
    return attributes


def sqs_queue(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    sqs = target.client("sqs", account, region)
    name = inputs.get("name", args.name)
    url = sqs.create_queue(
        QueueName=name, Attributes=queue_attributes(inputs), tags=inputs.get("tagsAll") or {}
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, {"arn": arn, "url": url, "name": name}


def sqs_queue_policy(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    sqs = target.client("sqs", account, region)
    sqs.set_queue_attributes(QueueUrl=inputs["queueUrl"], Attributes={"Policy": inputs["policy"]})
    return inputs["queueUrl"], {}


CREATORS: dict[str, Creator] = {
    aws_types.QUEUE: sqs_queue,
    aws_types.QUEUE_POLICY: sqs_queue_policy,
}
