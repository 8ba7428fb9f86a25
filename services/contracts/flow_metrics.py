"""The event flow's health as metrics: events published and consumed, per service and type.

Every publisher and consumer goes through ``publisher.EventPublisher`` and
``consumer.envelope_from_record``, so counting there covers every service, new ones too.
The monitoring account's marketplace dashboard puts each type's published count beside the
consumers' counts (``components/observability.py``): a consumer falling behind, or a filter
policy dropping a type, shows as a gap. ``EventsConsumed`` counts valid events handed to a
consumer; a redelivered event counts again (delivery is at least once).

Emitted as CloudWatch embedded metric format on stdout (Powertools ``single_metric``), which
Lambda turns into metrics without an API call or an IAM permission.
"""

from __future__ import annotations

import os

from aws_lambda_powertools.metrics import MetricUnit, single_metric

METRICS_NAMESPACE = "Marketplace"
"""Every function's ``POWERTOOLS_METRICS_NAMESPACE`` (components.function)."""
SERVICE_DIMENSION = "service"
"""Powertools' default dimension: the function's ``POWERTOOLS_SERVICE_NAME``."""
TYPE_DIMENSION = "type"
EVENTS_PUBLISHED = "EventsPublished"
EVENTS_CONSUMED = "EventsConsumed"


def record_published(service: str, event_type: str) -> None:
    """Count one event of ``event_type`` published by ``service``."""
    _count(EVENTS_PUBLISHED, service, event_type)


def record_consumed(event_type: str) -> None:
    """Count one valid event of ``event_type`` received by this function's service."""
    service = os.environ.get("POWERTOOLS_SERVICE_NAME", "")
    if service:
        _count(EVENTS_CONSUMED, service, event_type)


def _count(name: str, service: str, event_type: str) -> None:
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", METRICS_NAMESPACE)
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=1,
        namespace=namespace,
        default_dimensions={SERVICE_DIMENSION: service},
    ) as metric:
        metric.add_dimension(name=TYPE_DIMENSION, value=event_type)
