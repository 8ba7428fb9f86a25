"""A DynamoDB stream driving a function, with partial batch failures and a failure queue.

Stream records cannot be parked by redrive like SQS messages; after ``max_retries`` the
mapping sends the failed record's coordinates to an on-failure queue (alarmed), and
bisecting isolates a poison record from its healthy neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.alarms import metric_alarm
from components.context import ServiceContext
from components.function import Function
from components.iam import Statement, stable_json
from components.table import Table


@dataclass
class StreamSourceArgs:
    context: ServiceContext
    """The service stack owning the table and the function."""
    purpose: str
    """Short name; the failure queue is ``marketplace-<env>-<service>-<purpose>-failures``."""
    table: Table
    """The table whose stream is read (it must have ``stream=True``)."""
    consumer: Function
    """The function invoked with stream batches."""
    alarm_topic_arn: pulumi.Input[str]
    """Where the failure-queue alarm goes."""
    filter_patterns: list[dict[str, object]] | None = None
    """Lambda event filters (records that match none are never delivered). Default: all."""
    batch_size: int = 10
    """Records per invocation. Default 10."""
    max_retries: int = 5
    """Retries of a failing batch before its records go to the failure queue. Default 5."""


class StreamSource(pulumi.ComponentResource):
    """Event source mapping (ReportBatchItemFailures, bisect, retries) + on-failure queue."""

    def __init__(
        self, name: str, args: StreamSourceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:messaging:StreamSource", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.failures = aws.sqs.Queue(
            f"{name}-failures",
            name=args.context.name(f"{args.purpose}-failures"),
            sqs_managed_sse_enabled=True,
            message_retention_seconds=14 * 24 * 3600,
            opts=child,
        )
        stream_arn = args.table.stream_arn
        self.grant = args.consumer.grant(
            f"{args.purpose}-stream",
            [
                Statement(
                    actions=(
                        "dynamodb:DescribeStream",
                        "dynamodb:GetRecords",
                        "dynamodb:GetShardIterator",
                    ),
                    resources=(stream_arn,),
                ),
                # Lambda lists the table's streams too; ListStreams takes no resource.
                Statement(actions=("dynamodb:ListStreams",), resources=("*",)),
                Statement(actions=("sqs:SendMessage",), resources=(self.failures.arn,)),
            ],
        )
        filters = None
        if args.filter_patterns:
            filters = aws.lambda_.EventSourceMappingFilterCriteriaArgs(
                filters=[
                    aws.lambda_.EventSourceMappingFilterCriteriaFilterArgs(pattern=stable_json(p))
                    for p in args.filter_patterns
                ]
            )
        self.mapping = aws.lambda_.EventSourceMapping(
            f"{name}-mapping",
            event_source_arn=stream_arn,
            function_name=args.consumer.alias_arn,  # the alias, never $LATEST
            starting_position="TRIM_HORIZON",
            batch_size=args.batch_size,
            function_response_types=["ReportBatchItemFailures"],
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=args.max_retries,
            filter_criteria=filters,
            destination_config=aws.lambda_.EventSourceMappingDestinationConfigArgs(
                on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                    destination_arn=self.failures.arn
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.grant]),
        )
        self.alarm = metric_alarm(
            f"{name}-failures-alarm",
            alarm_name=args.context.name(f"{args.purpose}-failures-depth"),
            description=f"{args.context.name(args.purpose)}: stream records failed for good",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            statistic="Maximum",
            dimensions={"QueueName": self.failures.name},
            topic_arn=args.alarm_topic_arn,
            parent=self,
        )
        self.register_outputs({"failureQueueArn": self.failures.arn})
