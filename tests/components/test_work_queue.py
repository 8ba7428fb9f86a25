"""WorkQueue and EventSubscription alone: queue, DLQ, the sender's policy, mapping, filter."""

from __future__ import annotations

import json

import pulumi
import pytest

from components import aws_types
from components.context import ServiceContext
from components.event_subscription import EventSubscription, EventSubscriptionArgs
from components.work_queue import (
    VISIBILITY_PER_FUNCTION_TIMEOUT,
    QueueSender,
    WorkQueue,
    WorkQueueArgs,
)
from tests.components.harness import ALARMS, Builder, build, function, only

TOPIC = "arn:aws:sns:eu-west-1:222222222222:marketplace-dev-upload-events"


def work_queue(sender: QueueSender) -> Builder:
    def builder(context: ServiceContext, opts: pulumi.ResourceOptions) -> None:
        consumer = function(context, opts, timeout_seconds=20)
        args = WorkQueueArgs(context, "ingest", consumer, sender, ALARMS, max_receive_count=3)
        WorkQueue("ingest", args, opts=opts)

    return builder


def test_work_queue_admits_only_its_sender_and_denies_requests_without_tls() -> None:
    # GIVEN a work queue S3 sends to, for one bucket of the own account
    bucket = "arn:aws:s3:::marketplace-dev-upload-originals-111111111111"
    evaluation = build(work_queue(QueueSender("s3.amazonaws.com", bucket, "111111111111")))
    # THEN its policy allows exactly that sender to send, on condition, and denies plain HTTP
    queue_policy = only(evaluation, aws_types.QUEUE_POLICY)
    allow, deny = json.loads(queue_policy.inputs["policy"])["Statement"]
    assert allow["Action"] == ["sqs:SendMessage"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert allow["Condition"] == {
        "ArnEquals": {"aws:SourceArn": bucket},
        "StringEquals": {"aws:SourceAccount": "111111111111"},
    }
    assert deny["Effect"] == "Deny" and deny["Condition"]["Bool"]["aws:SecureTransport"] == "false"


def test_work_queue_redrives_to_its_dlq_and_reports_batch_failures() -> None:
    evaluation = build(work_queue(QueueSender("sns.amazonaws.com", TOPIC)))
    queue, dlq = (evaluation.named(n) for n in ("ingest-queue", "ingest-dlq"))
    # THEN the queue parks a message in the DLQ after max_receive_count receives
    redrive = json.loads(queue.inputs["redrivePolicy"])
    assert redrive == {"deadLetterTargetArn": dlq.outputs["arn"], "maxReceiveCount": 3}
    # AND its visibility covers six runs of the consumer's timeout; both queues are encrypted
    assert queue.inputs["visibilityTimeoutSeconds"] == VISIBILITY_PER_FUNCTION_TIMEOUT * 20
    assert queue.inputs["sqsManagedSseEnabled"] and dlq.inputs["sqsManagedSseEnabled"]
    # AND the mapping reports partial batch failures; the consumer may receive and delete
    mapping = only(evaluation, aws_types.EVENT_SOURCE_MAPPING)
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    grant = evaluation.named("worker-ingest-receive-policy")
    [statement] = json.loads(grant.inputs["policy"])["Statement"]
    assert (
        "sqs:DeleteMessage" in statement["Action"]
        and statement["Resource"] == (queue.outputs["arn"])
    )


def test_sns_sender_is_conditioned_on_the_topic_only() -> None:
    [statement] = [
        s
        for s in json.loads(
            only(
                build(work_queue(QueueSender("sns.amazonaws.com", TOPIC))), aws_types.QUEUE_POLICY
            ).inputs["policy"]
        )["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": TOPIC}}


def subscription(event_types: tuple[str, ...]) -> Builder:
    def builder(context: ServiceContext, opts: pulumi.ResourceOptions) -> None:
        args = EventSubscriptionArgs(
            context, "upload", TOPIC, event_types, function(context, opts), ALARMS
        )
        EventSubscription("from-upload", args, opts=opts)

    return builder


def test_event_subscription_filters_raw_messages_by_type_into_its_own_queue() -> None:
    # GIVEN catalog subscribing to two event types of upload's topic
    evaluation = build(subscription(("ImagePublished", "ImageDeleted")), stack="catalog-dev")
    # THEN one raw subscription delivers only those types to the queue, in the topic's region
    sub = only(evaluation, aws_types.TOPIC_SUBSCRIPTION)
    queue = evaluation.named("from-upload-work-queue")
    assert (sub.inputs["topic"], sub.inputs["endpoint"]) == (TOPIC, queue.outputs["arn"])
    assert json.loads(sub.inputs["filterPolicy"]) == {"type": ["ImageDeleted", "ImagePublished"]}
    assert sub.inputs["rawMessageDelivery"] and sub.inputs["region"] == "eu-west-1"
    # AND the queue is named after the producer
    assert queue.inputs["name"] == "marketplace-dev-catalog-upload-events"


def test_event_subscription_without_event_types_is_refused() -> None:
    with pytest.raises(ValueError, match="from-upload: event_types must name at least one"):
        build(subscription(()), stack="catalog-dev")
