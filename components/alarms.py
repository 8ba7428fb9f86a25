"""Alarms to the service's alarm topic, which e-mails the configured address.

Every alarm here fires on the first occurrence (threshold 0): a message in a DLQ or a
function error is something a person should look at, not a rate to tune.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.context import ServiceContext


@dataclass
class AlarmTopicArgs:
    context: ServiceContext
    """The service stack; the topic is named ``marketplace-<env>-<service>-alarms``."""
    kms_key_id: pulumi.Input[str]
    """KMS key encrypting the topic (its policy lets CloudWatch use it)."""


class AlarmTopic(pulumi.ComponentResource):
    """An encrypted SNS topic with the environment's alarm e-mail subscribed."""

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marketplace:alarms:AlarmTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=args.context.name("alarms"),
            kms_master_key_id=args.kms_key_id,
            opts=child,
        )
        self.email = aws.sns.TopicSubscription(
            f"{name}-email",
            topic=self.topic.arn,
            protocol="email",
            endpoint=args.context.settings.alarm_email,
            opts=child,
        )
        self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn})


def metric_alarm(
    name: str,
    *,
    alarm_name: str,
    description: str,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    statistic: str = "Sum",
    period_seconds: int = 60,
) -> aws.cloudwatch.MetricAlarm:
    """Alarm when ``metric`` is above zero in one period; notifies on alarm and on recovery.

    ``alarm_name`` is the physical name (``marketplace-<env>-<service>-...``), so alarms are
    found, and scoped in the deployment role, like every other resource of the stack.
    """
    return aws.cloudwatch.MetricAlarm(
        name,
        name=alarm_name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dimensions,
        statistic=statistic,
        period=period_seconds,
        evaluation_periods=1,
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=pulumi.ResourceOptions(parent=parent),
    )
