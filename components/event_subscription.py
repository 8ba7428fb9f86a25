"""A consumer's subscription to a producer's event topic: the only way services talk."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.context import ServiceContext
from components.function import Function
from components.iam import stable_json
from components.work_queue import QueueSender, WorkQueue, WorkQueueArgs


@dataclass
class EventSubscriptionArgs:
    context: ServiceContext
    """The consuming service's stack."""
    producer: str
    """The producing service's name (``upload``); names the queue ``<producer>-events``."""
    topic_arn: str
    """The producer's topic ARN, computed from the environment settings (components.naming)."""
    event_types: tuple[str, ...]
    """Event types to receive: the SNS filter policy drops every other type."""
    consumer: Function
    """The function that processes the events."""
    alarm_topic_arn: pulumi.Input[str]
    """Where the DLQ-depth alarm goes."""
    batch_size: int = 10
    """Messages per invocation. Default 10."""
    batching_window_seconds: int = 1
    """Default 1 s: events are small and a fuller batch means fewer table writes."""
    max_concurrency: int = 5
    """Default 5 concurrent invocations from this queue."""


class EventSubscription(pulumi.ComponentResource):
    """Queue + DLQ + policy admitting only the topic + filtered raw subscription + mapping."""

    def __init__(
        self, name: str, args: EventSubscriptionArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:messaging:EventSubscription", name, None, opts)
        if not args.event_types:
            raise ValueError(f"{name}: event_types must name at least one event type")
        self._name = name
        self._args = args
        self.work_queue = self._create_queue()
        self.subscription = self._create_subscription()
        self.queue_arn = self.work_queue.arn
        self.register_outputs({"queueArn": self.queue_arn, "topicArn": args.topic_arn})

    def _create_queue(self) -> WorkQueue:
        args = self._args
        return WorkQueue(
            f"{self._name}-work",
            WorkQueueArgs(
                context=args.context,
                purpose=f"{args.producer}-events",
                consumer=args.consumer,
                sender=QueueSender("sns.amazonaws.com", source_arn=args.topic_arn),
                alarm_topic_arn=args.alarm_topic_arn,
                batch_size=args.batch_size,
                batching_window_seconds=args.batching_window_seconds,
                max_concurrency=args.max_concurrency,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_subscription(self) -> aws.sns.TopicSubscription:
        args = self._args
        return aws.sns.TopicSubscription(
            f"{self._name}-subscription",
            topic=args.topic_arn,
            protocol="sqs",
            endpoint=self.work_queue.arn,
            raw_message_delivery=True,
            filter_policy_scope="MessageAttributes",
            filter_policy=stable_json({"type": sorted(args.event_types)}),
            # Created from the consumer's account (this stack's provider): the queue owner
            # subscribes, so no confirmation is needed, and the producer's policy decides
            # which accounts may. The topic's region is explicit for when regions differ.
            region=args.topic_arn.split(":")[3],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.work_queue.policy]),
        )
