"""A queue feeding a function the way Lambda's SQS event source does, with a DLQ and alarm.

Used for S3 notifications and (through EventSubscription) for SNS events. The function
reports partial batch failures, so one bad message is retried alone and, after
``max_receive_count`` receives, parked in the DLQ, whose depth raises an alarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alarms import metric_alarm
from components.context import ServiceContext
from components.function import Function
from components.iam import Statement, deny_insecure_transport, policy_document, stable_json

VISIBILITY_PER_FUNCTION_TIMEOUT = 6
"""AWS's guidance: visibility timeout ≥ 6 × function timeout, so retries do not overlap."""


@dataclass(frozen=True)
class QueueSender:
    """Who may send to the queue: one AWS service, only for one of its resources."""

    service_principal: str
    """The sending service, e.g. ``sns.amazonaws.com``."""
    source_arn: pulumi.Input[str]
    """The only resource it may send for (``aws:SourceArn``): the topic or bucket."""
    source_account: str | None = None
    """Also require ``aws:SourceAccount`` (S3 bucket ARNs carry no account)."""

    def statement(self, queue_arn: pulumi.Input[str]) -> Statement:
        """The queue policy's Allow statement for this sender."""
        conditions: dict[str, Any] = {"ArnEquals": {"aws:SourceArn": self.source_arn}}
        if self.source_account is not None:
            conditions["StringEquals"] = {"aws:SourceAccount": self.source_account}
        return Statement(
            actions=("sqs:SendMessage",),
            resources=(queue_arn,),
            principals={"Service": self.service_principal},
            conditions=conditions,
        )


@dataclass
class WorkQueueArgs:
    context: ServiceContext
    """The consuming service's stack (the queue lives in its account)."""
    purpose: str
    """Short name; the queue is ``marketplace-<env>-<service>-<purpose>`` (+ ``-dlq``)."""
    consumer: Function
    """The function the event source mapping invokes."""
    sender: QueueSender
    """Who may send: a service principal, for one source resource."""
    alarm_topic_arn: pulumi.Input[str]
    """Where the DLQ-depth alarm goes."""
    batch_size: int = 10
    """Messages per invocation. Default 10."""
    batching_window_seconds: int = 0
    """How long Lambda waits to fill a batch. Default 0 (latency first)."""
    max_concurrency: int = 10
    """Upper bound of concurrent invocations from this queue. Default 10 (protects the table)."""
    max_receive_count: int = 5
    """Receives before a message is parked in the DLQ. Default 5."""


class WorkQueue(pulumi.ComponentResource):
    """SQS queue (SSE) + DLQ (SSE, 14 days) + TLS-only policy + event source mapping + alarm."""

    def __init__(self, name: str, args: WorkQueueArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marketplace:messaging:WorkQueue", name, None, opts)
        self._name = name
        self._args = args
        self.dlq = self._create_dlq()
        self.queue = self._create_queue()
        self.policy = self._create_policy()
        self.grant = self._grant_consumer()
        self.mapping = self._create_mapping()
        self.alarm = self._create_alarm()
        self.arn = self.queue.arn
        self.url = self.queue.url
        self.register_outputs({"arn": self.arn, "dlqArn": self.dlq.arn})

    def _create_dlq(self) -> aws.sqs.Queue:
        return aws.sqs.Queue(
            f"{self._name}-dlq",
            name=self._args.context.name(f"{self._args.purpose}-dlq"),
            sqs_managed_sse_enabled=True,
            message_retention_seconds=14 * 24 * 3600,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_queue(self) -> aws.sqs.Queue:
        args = self._args
        return aws.sqs.Queue(
            f"{self._name}-queue",
            name=args.context.name(args.purpose),
            sqs_managed_sse_enabled=True,
            visibility_timeout_seconds=VISIBILITY_PER_FUNCTION_TIMEOUT
            * args.consumer.timeout_seconds,
            message_retention_seconds=4 * 24 * 3600,
            redrive_policy=self.dlq.arn.apply(
                lambda arn: stable_json(
                    {"deadLetterTargetArn": arn, "maxReceiveCount": args.max_receive_count}
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_policy(self) -> aws.sqs.QueuePolicy:
        statements = [
            self._args.sender.statement(self.queue.arn),
            deny_insecure_transport((self.queue.arn,), ("sqs:*",)),
        ]
        return aws.sqs.QueuePolicy(
            f"{self._name}-policy",
            queue_url=self.queue.url,
            policy=policy_document(statements),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _grant_consumer(self) -> aws.iam.RolePolicy:
        return self._args.consumer.grant(
            f"{self._args.purpose}-receive",
            [
                Statement(
                    actions=("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
                    resources=(self.queue.arn,),
                )
            ],
        )

    def _create_mapping(self) -> aws.lambda_.EventSourceMapping:
        args = self._args
        return aws.lambda_.EventSourceMapping(
            f"{self._name}-mapping",
            event_source_arn=self.queue.arn,
            # The alias: the mapping keeps invoking the live version during a shift.
            function_name=args.consumer.alias_arn,
            batch_size=args.batch_size,
            maximum_batching_window_in_seconds=args.batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=max(2, args.max_concurrency)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.grant]),
        )

    def _create_alarm(self) -> aws.cloudwatch.MetricAlarm:
        return metric_alarm(
            f"{self._name}-dlq-alarm",
            alarm_name=self._args.context.name(f"{self._args.purpose}-dlq-depth"),
            description=f"{self._args.context.name(self._args.purpose)}: messages in the DLQ",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            statistic="Maximum",
            dimensions={"QueueName": self.dlq.name},
            topic_arn=self._args.alarm_topic_arn,
            parent=self,
        )
