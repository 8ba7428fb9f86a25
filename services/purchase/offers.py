"""Offers: the purchase service's own read model of what is for sale, from upload's events.

Purchase never reads upload's table; it keeps ``IMAGE#<id>/OFFER`` items from
``image.published`` (FOR_SALE, with price, currency, title and the licensed copy's key)
and ``image.withdrawn`` (WITHDRAWN). Delivery is at least once and unordered, so:

- each event is applied once per envelope id (Powertools idempotency; the SQS message id
  would change when SNS redelivers the same event);
- each write is conditional on the stored revision being older, so a late, older event
  never overwrites newer state (and an equal revision is a no-op);
- a malformed record fails alone (partial batch response) and ends in the DLQ.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.common.idempotency import persistence_layer
from services.contracts.consumer import envelope_from_record
from services.contracts.dispatch import consumer_table
from services.contracts.envelope import Envelope
from services.purchase import store
from services.purchase.model import offer_from_published

TABLE_NAME = os.environ["TABLE_NAME"]

logger = Logger()
tracer = Tracer()
metrics = Metrics()

table = boto3.resource("dynamodb").Table(TABLE_NAME)
processor = BatchProcessor(event_type=EventType.SQS)
idempotency_config = IdempotencyConfig(event_key_jmespath="id")


def _published(data: dict[str, Any]) -> bool:
    return store.put_offer_if_newer(table, offer_from_published(data))


def _withdrawn(data: dict[str, Any]) -> bool:
    return store.withdraw_offer_if_newer(table, data)


APPLIERS: Mapping[str, Callable[[dict[str, Any]], bool]] = consumer_table(
    "purchase", {"image.published": _published, "image.withdrawn": _withdrawn}
)
"""Event type -> write to the read model; True when it changed the offer (newer revision)."""


@idempotent_function(
    data_keyword_argument="envelope",
    config=idempotency_config,
    persistence_store=persistence_layer(TABLE_NAME),
)
def apply_event(envelope: Envelope) -> str:
    """Apply one image event to the read model; returns ``applied``, ``stale`` or ``ignored``."""
    apply = APPLIERS.get(envelope.type)
    if apply is None:
        return "ignored"  # the subscription filter should not let other types through
    return "applied" if apply(envelope.data) else "stale"


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    envelope = envelope_from_record(record.raw_event)
    logger.set_correlation_id(envelope.correlation_id)
    outcome = apply_event(envelope=envelope)
    logger.info(
        "image event processed",
        event_id=envelope.id,
        event_type=envelope.type,
        image_id=envelope.data.get("imageId"),
        revision=envelope.data.get("revision"),
        outcome=outcome,
    )
    metrics.add_metric(name=f"OfferEvents{outcome.capitalize()}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    idempotency_config.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
