"""A CloudWatch dashboard per service, drawn from the resources its stack creates.

The service component hands over what it built (functions, HTTP API, work queues, stream
failure queues, alarms); every widget's metric names one of them, so the dashboard cannot
point at something the stack does not have (``tests/infra/test_dashboards.py`` checks it for
every stack). Business figures are the custom metrics the handlers emit through Powertools
(namespace ``Marketplace``, dimension ``service``) and the event flow metrics every
publisher and consumer emits (``services/contracts/flow_metrics.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.cdn import Cdn
from components.context import ServiceContext
from components.event_subscription import EventSubscription
from components.function import Function
from components.http_api import HttpApi
from components.stream_source import StreamSource
from components.work_queue import WorkQueue
from services.contracts.catalogue import SERVICES
from services.contracts.flow_metrics import (
    EVENTS_CONSUMED,
    EVENTS_PUBLISHED,
    METRICS_NAMESPACE,
    SERVICE_DIMENSION,
    TYPE_DIMENSION,
)
from services.contracts.manifest import Route as RouteSpec

PERIOD_SECONDS = 60
WIDTH = 8
HEIGHT = 6
COLUMNS = 24
CLOUDFRONT_REGION = "us-east-1"
"""CloudFront publishes its metrics there, with the dimension ``Region=Global``."""
STAGE = "$default"
"""The HTTP API's one stage (components.http_api): per-route metrics carry it."""

Dimensions = tuple[tuple[str, pulumi.Input[str]], ...]


@dataclass(frozen=True)
class BusinessMetric:
    """A custom metric a service's handlers emit (``metrics.add_metric(name=...)``)."""

    name: str
    label: str


@dataclass(frozen=True)
class BusinessPanel:
    """One business widget: counts of custom metrics, optionally a function's duration."""

    title: str
    metrics: tuple[BusinessMetric, ...]
    duration_of: str | None = None
    """Purpose of a function whose p50/p95 duration is this panel's time (one item per run)."""


BUSINESS_PANELS: dict[str, tuple[BusinessPanel, ...]] = {
    "upload": (
        BusinessPanel(
            "Image pipeline: outcomes and duration (one image per processor run)",
            (
                BusinessMetric("ImagesPublished", "published"),
                BusinessMetric("ImagesRejected", "rejected"),
                BusinessMetric("ImagesInReview", "in review"),
            ),
            duration_of="processor",
        ),
        BusinessPanel(
            "Uploads requested and withdrawn",
            (
                BusinessMetric("UploadsRequested", "requested"),
                BusinessMetric("UploadsWithdrawn", "withdrawn"),
            ),
        ),
    ),
    "notification": (
        BusinessPanel(
            "E-mails sent, skipped (opted out), rejected",
            (
                BusinessMetric("MailSent", "sent"),
                BusinessMetric("MailSkipped", "skipped"),
                BusinessMetric("MailRejected", "rejected"),
            ),
        ),
    ),
    "catalog": (
        BusinessPanel(
            "Searches, image views, tag listings",
            (
                BusinessMetric("ImageSearches", "searches"),
                BusinessMetric("ImageViews", "image views"),
                BusinessMetric("TagListings", "tag listings"),
            ),
        ),
    ),
    "purchase": (
        BusinessPanel(
            "Purchases completed and failed",
            (
                BusinessMetric("PurchasesCompleted", "completed"),
                BusinessMetric("PurchasesFailed", "failed"),
                BusinessMetric("PurchasesCreated", "created"),
            ),
        ),
        BusinessPanel(
            "Download links issued",
            (BusinessMetric("DownloadLinksIssued", "download links"),),
        ),
    ),
}
"""Which of each service's Powertools metrics its dashboard shows (names as emitted)."""


@dataclass(frozen=True)
class ObservedQueue:
    """A queue of the stack: ``queue_name`` is None for a failure-only queue (no consumer)."""

    label: pulumi.Input[str]
    dlq_name: pulumi.Input[str]
    queue_name: pulumi.Input[str] | None = None


@dataclass
class ServiceDashboardArgs:
    context: ServiceContext
    """The service stack; the dashboard is ``marketplace-<env>-<service>-dashboard``."""
    functions: Sequence[Function] = ()
    """The stack's functions. Default: none (a service of buckets and CDNs only)."""
    api: HttpApi | None = None
    """The stack's HTTP API, if any."""
    routes: Sequence[RouteSpec] = ()
    """The API's routes (the manifest's). Default: none."""
    queues: Sequence[ObservedQueue] = ()
    """Work queues with their DLQs, and failure queues. Default: none."""
    distributions: Sequence[tuple[pulumi.Input[str], pulumi.Input[str]]] = ()
    """(label, distribution id) of the stack's CloudFront distributions. Default: none."""
    alarm_arns: Sequence[pulumi.Input[str]] = ()
    """The stack's alarms: an alarm-status widget lists them. Default: none."""
    extra_widgets: list[dict[str, Any]] = field(default_factory=list)
    """Widgets a service adds for resources only it has (e.g. CDN requests). Default: none."""


class ServiceDashboard(pulumi.ComponentResource):
    """A CloudWatch dashboard: API, functions, queues, business figures, events, alarms."""

    def __init__(
        self, name: str, args: ServiceDashboardArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:observability:ServiceDashboard", name, None, opts)
        self.dashboard_name = args.context.name("dashboard")
        widgets = service_widgets(args)
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=self.dashboard_name,
            dashboard_body=dashboard_body(widgets),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"dashboardName": self.dashboard.dashboard_name})


def observed(
    context: ServiceContext, parts: Iterable[object], routes: Sequence[RouteSpec]
) -> ServiceDashboardArgs:
    """What a service component made (its attributes' values), as the dashboard's sources.

    Reading the component's own building blocks, rather than restating them, is what keeps
    every widget pointing at a resource of the stack, for services added later too.
    """
    parts = list(parts)
    functions: list[Function] = []
    queues: list[ObservedQueue] = []
    api: HttpApi | None = None
    distributions: list[tuple[pulumi.Input[str], pulumi.Input[str]]] = []
    for part in _flattened(parts):
        if isinstance(part, Function) and part not in functions:
            functions.append(part)
        elif isinstance(part, HttpApi):
            api = part
        elif isinstance(part, WorkQueue | EventSubscription):
            work = part.work_queue if isinstance(part, EventSubscription) else part
            queues.append(ObservedQueue(work.queue.name, work.dlq.name, work.queue.name))
        elif isinstance(part, Cdn):
            label = part.distribution.comment.apply(lambda comment: comment or "cdn")
            distributions.append((label, part.distribution.id))
        elif isinstance(part, StreamSource):
            queues.append(ObservedQueue(part.failures.name, part.failures.name))
    return ServiceDashboardArgs(
        context,
        functions,
        api,
        routes if api else (),
        queues,
        distributions=distributions,
        alarm_arns=[a.arn for a in _alarms(parts, set())],
    )


def _alarms(parts: Iterable[object], seen: set[int]) -> list[aws.cloudwatch.MetricAlarm]:
    """Every alarm among ``parts`` and inside the components among them, at any depth."""
    found = []
    for part in _flattened(parts):
        if id(part) in seen:
            continue
        seen.add(id(part))
        if isinstance(part, aws.cloudwatch.MetricAlarm):
            found.append(part)
        elif isinstance(part, pulumi.ComponentResource):
            found += _alarms(vars(part).values(), seen)
    return found


def _flattened(parts: Iterable[object]) -> Iterator[object]:
    """The parts, with mappings and sequences opened at any depth (alarms by purpose)."""
    for part in parts:
        if isinstance(part, Mapping):
            yield from _flattened(part.values())
        elif isinstance(part, list | tuple):
            yield from _flattened(part)
        else:
            yield part


def dashboard_body(widgets: list[dict[str, Any]]) -> pulumi.Output[str]:
    """The JSON body, once every output in the widgets (API ids, queue names) is known."""
    placed = layout(widgets)
    return pulumi.Output.from_input({"widgets": placed}).apply(
        lambda body: json.dumps(body, sort_keys=True)
    )


def layout(widgets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Left to right, top to bottom; a widget wider than what is left starts a new row."""
    placed, x, y, row_height = [], 0, 0, 0
    for widget in widgets:
        width, height = widget.get("width", WIDTH), widget.get("height", HEIGHT)
        if x + width > COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        placed.append({**widget, "x": x, "y": y, "width": width, "height": height})
        x, row_height = x + width, max(row_height, height)
    return placed


def service_widgets(args: ServiceDashboardArgs) -> list[dict[str, Any]]:
    """Every widget of a service's dashboard, in reading order."""
    context = args.context
    widgets = [_header(context)]
    if args.api is not None:
        widgets += api_widgets(context.region, args.api.api.id, args.routes)
    widgets += function_widgets(context.region, args.functions)
    widgets += queue_widgets(context.region, args.queues)
    widgets += cdn_widgets(args.distributions)
    widgets += business_widgets(context, args.functions)
    widgets += event_widgets(context.region, context.service)
    widgets += args.extra_widgets
    if args.alarm_arns:
        widgets.append(
            {
                "type": "alarm",
                "width": COLUMNS,
                "height": 4,
                "properties": {"title": "Alarms", "alarms": list(args.alarm_arns)},
            }
        )
    return widgets


def metric(
    namespace: str,
    name: str,
    dimensions: Dimensions,
    *,
    stat: str = "Sum",
    label: pulumi.Input[str] = "",
    account_id: str | None = None,
) -> list[Any]:
    """One metric line of a widget: namespace, name, dimension pairs, then its options."""
    options: dict[str, Any] = {"stat": stat}
    if label:
        options["label"] = label
    if account_id:
        # Cross-account observability: a monitoring-account widget names the source account.
        options["accountId"] = account_id
    return [namespace, name, *[part for pair in dimensions for part in pair], options]


def graph(title: str, region: str, metrics: list[list[Any]], **properties: Any) -> dict[str, Any]:
    """A time-series widget of ``metrics``."""
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "period": PERIOD_SECONDS,
            "metrics": metrics,
            **properties,
        },
    }


Row = tuple[Dimensions, pulumi.Input[str]]
"""One resource on a widget: its metric dimensions and its label."""


def lines(namespace: str, metric_name: str, stat: str, rows: Sequence[Row]) -> list[list[Any]]:
    """The same metric of each resource of ``rows``, one line each."""
    return [
        metric(namespace, metric_name, dimensions, stat=stat, label=label)
        for dimensions, label in rows
    ]


Chart = tuple[str, str, str]
"""A graph of one metric for every resource of a kind: (title, metric name, statistic)."""


def charts(
    region: str, namespace: str, rows: Sequence[Row], specs: Sequence[Chart]
) -> list[dict[str, Any]]:
    """One graph per chart spec, each with a line per resource (nothing without resources)."""
    if not rows:
        return []
    return [
        graph(title, region, lines(namespace, metric_name, stat, rows))
        for title, metric_name, stat in specs
    ]


API_CHARTS: tuple[Chart, ...] = (
    ("API requests per route", "Count", "Sum"),
    ("API 4xx per route", "4xx", "Sum"),
    ("API 5xx per route", "5xx", "Sum"),
    ("API latency p95 per route (ms)", "Latency", "p95"),
)
FUNCTION_CHARTS: tuple[Chart, ...] = (
    ("Function invocations", "Invocations", "Sum"),
    ("Function errors", "Errors", "Sum"),
    ("Function throttles", "Throttles", "Sum"),
    ("Function duration p95 (ms)", "Duration", "p95"),
    ("Function concurrency (max)", "ConcurrentExecutions", "Maximum"),
)
QUEUE_CHARTS: tuple[Chart, ...] = (
    ("Queue depth (visible)", "ApproximateNumberOfMessagesVisible", "Maximum"),
    ("Queue in flight", "ApproximateNumberOfMessagesNotVisible", "Maximum"),
    ("Oldest message age (s)", "ApproximateAgeOfOldestMessage", "Maximum"),
)
DLQ_CHARTS: tuple[Chart, ...] = (
    ("Dead-letter queue depth (alarms above 0)", "ApproximateNumberOfMessagesVisible", "Maximum"),
)
CDN_CHARTS: tuple[Chart, ...] = (
    ("CDN requests", "Requests", "Sum"),
    ("CDN 4xx error rate (%)", "4xxErrorRate", "Average"),
    ("CDN 5xx error rate (%)", "5xxErrorRate", "Average"),
)


def api_widgets(
    region: str, api_id: pulumi.Input[str], routes: Sequence[RouteSpec]
) -> list[dict[str, Any]]:
    """Requests, 4xx, 5xx and p95 latency of each route (the stage's detailed metrics)."""
    rows: list[Row] = [
        (
            (("ApiId", api_id), ("Method", r.method), ("Resource", r.path), ("Stage", STAGE)),
            r.key,
        )
        for r in routes
    ]
    return charts(region, "AWS/ApiGateway", rows, API_CHARTS)


def function_widgets(region: str, functions: Sequence[Function]) -> list[dict[str, Any]]:
    """Invocations and errors, throttles, p95 duration and concurrency of every function."""
    rows: list[Row] = [((("FunctionName", f.function_name),), f.purpose) for f in functions]
    return charts(region, "AWS/Lambda", rows, FUNCTION_CHARTS)


def queue_widgets(region: str, queues: Sequence[ObservedQueue]) -> list[dict[str, Any]]:
    """Depth, in flight and oldest message of each work queue; depth of every DLQ."""
    worked: list[Row] = [
        ((("QueueName", q.queue_name),), q.label) for q in queues if q.queue_name is not None
    ]
    dead: list[Row] = [((("QueueName", q.dlq_name),), q.dlq_name) for q in queues]
    return charts(region, "AWS/SQS", worked, QUEUE_CHARTS) + charts(
        region, "AWS/SQS", dead, DLQ_CHARTS
    )


def cdn_widgets(
    distributions: Sequence[tuple[pulumi.Input[str], pulumi.Input[str]]],
) -> list[dict[str, Any]]:
    """Requests and error rates of each CloudFront distribution (global: in us-east-1)."""
    rows: list[Row] = [
        ((("DistributionId", distribution), ("Region", "Global")), label)
        for label, distribution in distributions
    ]
    return charts(CLOUDFRONT_REGION, "AWS/CloudFront", rows, CDN_CHARTS)


def business_widgets(
    context: ServiceContext, functions: Sequence[Function]
) -> list[dict[str, Any]]:
    """The service's business panels (``BUSINESS_PANELS``), from its Powertools metrics."""
    by_purpose = {f.purpose: f for f in functions}
    widgets = []
    for panel in BUSINESS_PANELS.get(context.service, ()):
        lines = [
            metric(
                METRICS_NAMESPACE,
                m.name,
                ((SERVICE_DIMENSION, context.service),),
                label=m.label,
            )
            for m in panel.metrics
        ]
        function = by_purpose.get(panel.duration_of) if panel.duration_of else None
        if function is not None:
            name = (("FunctionName", function.function_name),)
            lines += [
                metric("AWS/Lambda", "Duration", name, stat=stat, label=f"duration {stat} (ms)")
                for stat in ("p50", "p95")
            ]
        widgets.append(graph(panel.title, context.region, lines))
    return widgets


def event_widgets(region: str, service: str, account_id: str | None = None) -> list[dict[str, Any]]:
    """Events this service published and consumed, per type (from the event catalogue)."""
    spec = SERVICES[service]
    consumed = sorted({t for types in spec.consumes.values() for t in types})

    def flow(metric_name: str, types: Sequence[str], verb: str) -> list[list[Any]]:
        return [
            metric(
                METRICS_NAMESPACE,
                metric_name,
                ((SERVICE_DIMENSION, service), (TYPE_DIMENSION, t)),
                label=f"{service} {verb} {t}",
                account_id=account_id,
            )
            for t in types
        ]

    widgets = []
    if spec.publishes:
        lines = flow(EVENTS_PUBLISHED, spec.publishes, "published")
        widgets.append(graph(f"{service}: events published per type", region, lines))
    if consumed:
        lines = flow(EVENTS_CONSUMED, consumed, "consumed")
        widgets.append(graph(f"{service}: events consumed per type", region, lines))
    return widgets


def _header(context: ServiceContext) -> dict[str, Any]:
    spec = SERVICES[context.service]
    text = (
        f"# {context.service} ({context.env}), team {spec.team}\n"
        "Alarms fire on the first error, throttle or dead-lettered message: "
        "what each means and what to do is in docs/operations.md."
    )
    return {"type": "text", "width": COLUMNS, "height": 2, "properties": {"markdown": text}}
