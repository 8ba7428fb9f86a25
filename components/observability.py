"""CloudWatch cross-account observability: one monitoring account sees every service account.

The ``monitoring-<env>`` stack (optional, ``marketplace:monitoring`` in the settings) creates
an OAM sink in the monitoring account, a sink policy admitting exactly the environment's
service accounts, and the marketplace dashboard: the services side by side and the event
flow (published vs consumed per event type). Each service stack links its account to the
sink (``monitoring_link``), sharing its metrics, log groups and traces, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.context import ServiceContext
from components.dashboard import (
    BUSINESS_PANELS,
    COLUMNS,
    dashboard_body,
    graph,
    metric,
)
from components.iam import stable_json
from components.naming import physical_name
from components.settings import MONITORING, Settings
from services.contracts.catalogue import EVENT_TYPES, SERVICES, producer_of
from services.contracts.flow_metrics import (
    EVENTS_CONSUMED,
    EVENTS_PUBLISHED,
    METRICS_NAMESPACE,
    SERVICE_DIMENSION,
    TYPE_DIMENSION,
)
from services.contracts.manifest import load_manifest

SHARED_TYPES = ("AWS::CloudWatch::Metric", "AWS::Logs::LogGroup", "AWS::XRay::Trace")
"""What a service account shares with the monitoring account."""
SHARED_NAMESPACES = ("AWS/ApiGateway", "AWS/Lambda", "AWS/SQS", METRICS_NAMESPACE)
"""Metric namespaces a link shares: what the dashboards read, not the whole account."""


def monitoring_link(
    name: str, context: ServiceContext, opts: pulumi.ResourceOptions
) -> aws.oam.Link | None:
    """Link the service's account to the monitoring sink, when the environment has one.

    The sink's ARN is made by AWS: the ``monitoring-<env>`` stack exports it as ``sinkArn``
    and the settings carry it (``marketplace:monitoring.sinkArn``); until then no link.
    """
    monitoring = context.settings.monitoring
    if monitoring is None or monitoring.sink_arn is None:
        return None
    namespaces = ", ".join(f"'{n}'" for n in SHARED_NAMESPACES)
    log_prefix = f"/aws/%/{context.name('')}"
    return aws.oam.Link(
        f"{name}-monitoring-link",
        label_template="$AccountName",
        resource_types=list(SHARED_TYPES),
        sink_identifier=monitoring.sink_arn,
        link_configuration=aws.oam.LinkLinkConfigurationArgs(
            metric_configuration=aws.oam.LinkLinkConfigurationMetricConfigurationArgs(
                filter=f"Namespace IN ({namespaces})"
            ),
            log_group_configuration=aws.oam.LinkLinkConfigurationLogGroupConfigurationArgs(
                filter=f"LogGroupName LIKE '{log_prefix}%'"
            ),
        ),
        opts=opts,
    )


@dataclass
class MonitoringArgs:
    settings: Settings
    """The environment's settings; ``marketplace:monitoring`` must name the account."""


class Monitoring(pulumi.ComponentResource):
    """OAM sink + sink policy (the environment's service accounts) + marketplace dashboard."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marketplace:observability:Monitoring", name, None, opts)
        settings = args.settings
        if settings.monitoring is None:
            raise ValueError(
                f"stack {MONITORING}-{settings.env}: set marketplace:monitoring.account in "
                f"Pulumi.{settings.env}.yaml (the environment has no monitoring account)"
            )
        child = pulumi.ResourceOptions(parent=self)
        self.sink = aws.oam.Sink(
            f"{name}-sink", name=physical_name(settings.env, MONITORING, "sink"), opts=child
        )
        self.sink_policy = aws.oam.SinkPolicy(
            f"{name}-sink-policy",
            sink_identifier=self.sink.arn,
            policy=sink_policy(settings),
            opts=child,
        )
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=physical_name(settings.env, MONITORING, "dashboard"),
            dashboard_body=dashboard_body(marketplace_widgets(settings)),
            opts=child,
        )
        self.outputs: dict[str, pulumi.Input[str]] = {
            "sinkArn": self.sink.arn,
            "dashboardName": self.dashboard.dashboard_name,
        }
        self.register_outputs(self.outputs)


def sink_policy(settings: Settings) -> str:
    """Only the environment's service accounts may link, and only for the shared types."""
    accounts = sorted({settings.account_of(s) for s in SERVICES})
    return stable_json(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": accounts},
                    "Action": ["oam:CreateLink", "oam:UpdateLink"],
                    "Resource": "*",
                    "Condition": {
                        "ForAllValues:StringEquals": {"oam:ResourceTypes": list(SHARED_TYPES)}
                    },
                }
            ],
        }
    )


def marketplace_widgets(settings: Settings) -> list[dict[str, Any]]:
    """A column per service (functions, business figures), then the event flow per type."""
    widgets: list[dict[str, Any]] = [
        {
            "type": "text",
            "width": COLUMNS,
            "height": 2,
            "properties": {
                "markdown": f"# The marketplace ({settings.env}): every service side by side\n"
                "Each service's own dashboard is `marketplace-<env>-<service>-dashboard` in "
                "its account; runbook: docs/operations.md."
            },
        }
    ]
    width = max(COLUMNS // max(len(SERVICES), 1), 4)
    for service in SERVICES:
        widgets += [{**w, "width": width} for w in service_column(settings, service)]
    widgets += [{**w, "width": COLUMNS // 2} for w in event_flow_widgets(settings)]
    return widgets


def service_column(settings: Settings, service: str) -> list[dict[str, Any]]:
    """Errors and throttles of a service's functions, then its business panels."""
    account = settings.account_of(service)
    region = settings.region
    names = [physical_name(settings.env, service, f.purpose) for f in _functions(service)]
    faults = [
        metric(
            "AWS/Lambda",
            metric_name,
            (("FunctionName", name),),
            label=f"{name.rsplit('-', 1)[-1]} {metric_name.lower()}",
            account_id=account,
        )
        for name in names
        for metric_name in ("Errors", "Throttles")
    ]
    column = [graph(f"{service}: function errors and throttles", region, faults)] if faults else []
    for panel in BUSINESS_PANELS.get(service, ()):
        lines = [
            metric(
                METRICS_NAMESPACE,
                m.name,
                ((SERVICE_DIMENSION, service),),
                label=m.label,
                account_id=account,
            )
            for m in panel.metrics
        ]
        column.append(graph(f"{service}: {panel.title}", region, lines))
    return column


def event_flow_widgets(settings: Settings) -> list[dict[str, Any]]:
    """Per event type: published by its producer beside consumed by each subscriber."""
    widgets = []
    for event_type in EVENT_TYPES:
        producer = producer_of(event_type)
        lines = [
            _flow(settings, EVENTS_PUBLISHED, producer, event_type, f"published by {producer}")
        ]
        lines += [
            _flow(settings, EVENTS_CONSUMED, name, event_type, f"consumed by {name}")
            for name, spec in SERVICES.items()
            if event_type in spec.consumes.get(producer, ())
        ]
        widgets.append(graph(f"{event_type}: published vs consumed", settings.region, lines))
    return widgets


def _flow(
    settings: Settings, metric_name: str, service: str, event_type: str, label: str
) -> list[Any]:
    return metric(
        METRICS_NAMESPACE,
        metric_name,
        ((SERVICE_DIMENSION, service), (TYPE_DIMENSION, event_type)),
        label=label,
        account_id=settings.account_of(service),
    )


def _functions(service: str) -> tuple[Any, ...]:
    try:
        return load_manifest(service).functions
    except ModuleNotFoundError:
        return ()  # a service without a manifest (no functions)
