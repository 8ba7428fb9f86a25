"""Alarms to the service's alarm topic, which e-mails the configured address.

Every alarm here fires on the first occurrence (threshold 0): a message in a DLQ or a
function error is something a person should look at, not a rate to tune. The exception is
``outcome_rate_alarm``: a business outcome (a rejected image, a failed purchase) is normal
one at a time, and a bad new version shows as its share of all outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
    return _paging_alarm(
        name,
        alarm_name=alarm_name,
        description=description,
        threshold=0,
        topic_arn=topic_arn,
        parent=parent,
        namespace=namespace,
        metric_name=metric,
        dimensions=dimensions,
        statistic=statistic,
        period=period_seconds,
    )


@dataclass(frozen=True)
class OutcomeRate:
    """``bad`` as a share of ``bad + good`` outcomes (custom metrics of the service)."""

    bad: str
    good: tuple[str, ...]
    threshold: float
    """Share (0-1) above which the alarm fires."""
    minimum: int = 5
    """Fewer outcomes than this in the period never fire (one rejection is not a trend)."""
    period_seconds: int = 300


def outcome_rate_alarm(
    name: str,
    *,
    alarm_name: str,
    description: str,
    rate: OutcomeRate,
    dimensions: Mapping[str, pulumi.Input[str]],
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    namespace: str = "Marketplace",
) -> aws.cloudwatch.MetricAlarm:
    """Alarm when ``rate.bad`` exceeds ``rate.threshold`` of the outcomes in one period."""
    metrics = [rate.bad, *rate.good]
    ids = [f"m{index}" for index in range(len(metrics))]
    total = " + ".join(ids)
    queries = [
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query_id,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=namespace,
                metric_name=metric,
                dimensions=dimensions,
                period=rate.period_seconds,
                stat="Sum",
            ),
        )
        for query_id, metric in zip(ids, metrics, strict=True)
    ]
    queries.append(
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id="share",
            expression=f"IF(({total}) >= {rate.minimum}, m0 / ({total}), 0)",
            label=f"{rate.bad} share",
            return_data=True,
        )
    )
    return _paging_alarm(
        name,
        alarm_name=alarm_name,
        description=description,
        threshold=rate.threshold,
        topic_arn=topic_arn,
        parent=parent,
        metric_queries=queries,
    )


def _paging_alarm(
    name: str,
    *,
    alarm_name: str,
    description: str,
    threshold: float,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    **metric: Any,
) -> aws.cloudwatch.MetricAlarm:
    """Above ``threshold`` in one period: e-mails on alarm and on recovery; no data is fine."""
    return aws.cloudwatch.MetricAlarm(
        name,
        name=alarm_name,
        alarm_description=description,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=pulumi.ResourceOptions(parent=parent),
        **metric,
    )
