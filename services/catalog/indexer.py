"""Catalog indexer: image and purchase events (SQS batches) into the catalog's read model.

Each record is one event envelope (raw SNS delivery). A record fails alone (partial batch
response) and is retried by SQS, then lands in the DLQ: malformed events are never dropped
silently. Idempotency is keyed on the envelope id (not the SQS message id, which changes on
redelivery); the write plans are also safe to repeat (revision checks, purchase guard), so
an expired idempotency record cannot double-count.
"""

from __future__ import annotations

import os
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

from services.catalog.store import CatalogStore, apply_event
from services.common.idempotency import persistence_layer
from services.contracts.consumer import MalformedEvent, envelope_from_record

TABLE_NAME = os.environ["TABLE_NAME"]

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
idempotency_config = IdempotencyConfig(event_key_jmespath="id")
persistence = persistence_layer(TABLE_NAME)
store = CatalogStore(boto3.resource("dynamodb").Table(TABLE_NAME))


@tracer.capture_method
def record_handler(record: SQSRecord) -> str:
    metrics.add_metric(name="EventsReceived", unit=MetricUnit.Count, value=1)
    try:
        envelope = envelope_from_record(record.raw_event)
    except MalformedEvent as error:
        # Fails this record only; after the queue's retries it lands in the DLQ with this log.
        logger.error("malformed event", extra={"reason": str(error), "sqs_id": record.message_id})
        metrics.add_metric(name="EventsMalformed", unit=MetricUnit.Count, value=1)
        raise
    logger.set_correlation_id(envelope.correlation_id)
    logger.append_keys(event_id=envelope.id, event_type=envelope.type)
    outcome = index_event(envelope=envelope.to_dict())
    logger.info("event indexed", extra={"outcome": outcome})
    return outcome


@idempotent_function(
    data_keyword_argument="envelope",
    config=idempotency_config,
    persistence_store=persistence,
)
def index_event(envelope: dict[str, Any]) -> str:
    """Apply one event once per envelope id; the outcome is what a duplicate gets back."""
    outcome = apply_event(store, envelope["type"], envelope["data"])
    metrics.add_metric(name=f"Events{outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    return outcome


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    idempotency_config.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
