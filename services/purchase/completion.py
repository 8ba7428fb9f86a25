"""Completion: settles each new PENDING purchase and announces the outcome.

Triggered by the purchase table's stream (INSERT of ``PURCHASE#`` items; every other change,
including this function's own updates and the idempotency-key items, is skipped). This is
the saga's second step: while the image is still for sale the purchase becomes COMPLETED and
``purchase.completed`` is published; if it was withdrawn in between, the compensation makes
it FAILED with a reason and publishes ``purchase.failed``. Either way the notification
service, which consumes both events, e-mails the buyer (services/notification/).

Exactly once, step by step. The purchase item is its own idempotency record; each step is
guarded by a conditional write on it, and a redelivered stream record resumes at the first
step not yet recorded:

1. **Decide**: ``PENDING -> COMPLETED | FAILED`` only if still PENDING (conditional update).
   The decision is durable before anything is announced, so a retry can never flip it (a
   withdrawal arriving between two attempts cannot turn a completed purchase into a failed
   one), and a duplicate record finds it already made and re-reads it.
2. **Announce**: publish the outcome event, then record its envelope id as ``eventId`` (only
   if absent). If the publish fails, nothing is recorded and the record fails: the
   redelivery publishes. This is the transactional outbox with the item as the outbox.

Why not Powertools idempotency around the whole settlement: a failure after the status
change would delete the in-progress record and the retry would decide again, possibly
differently; and a saved result would hide an event that was never published. Remaining
window: the process dies between a successful publish and its record (milliseconds); the
redelivery then publishes a second envelope for the same purchase, with the same id
(``stable_event_id``), so consumers' idempotency on the envelope id drops it.
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
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.contracts.envelope import stable_event_id
from services.contracts.publisher import EventPublisher
from services.purchase import store
from services.purchase.model import (
    COMPLETED,
    PENDING,
    PURCHASE_PREFIX,
    PURCHASE_SK,
    outcome_event,
    settle,
    utc_now,
)

TABLE_NAME = os.environ["TABLE_NAME"]
EVENTS_TOPIC_ARN = os.environ["EVENTS_TOPIC_ARN"]

logger = Logger()
tracer = Tracer()
metrics = Metrics()

table = boto3.resource("dynamodb").Table(TABLE_NAME)
sns = boto3.client("sns")
publisher = EventPublisher(EVENTS_TOPIC_ARN, source="purchase", sns_client=sns)
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class MalformedRecord(ValueError):
    """A stream record this function cannot act on; it fails alone and goes to the DLQ."""


def new_pending_purchase_id(record: DynamoDBRecord) -> str | None:
    """The id of the PENDING purchase an INSERT created; None for any other change."""
    if record.event_name != DynamoDBRecordEventName.INSERT:
        return None
    image = record.dynamodb.new_image if record.dynamodb else {}
    if not str(image.get("pk", "")).startswith(PURCHASE_PREFIX) or image.get("sk") != PURCHASE_SK:
        return None
    if image.get("status") != PENDING:
        return None
    purchase_id = image.get("purchaseId")
    if not isinstance(purchase_id, str) or image["pk"] != f"{PURCHASE_PREFIX}{purchase_id}":
        raise MalformedRecord(f"purchase record {image['pk']!r} has no matching purchaseId")
    return purchase_id


@tracer.capture_method
def complete(purchase_id: str) -> dict[str, Any]:
    """Run the steps not yet recorded on the purchase (see the module docstring)."""
    purchase = _load(purchase_id)
    logger.set_correlation_id(purchase.get("correlationId"))
    if purchase["status"] == PENDING:
        settlement = settle(store.get_offer(table, purchase["imageId"]))
        if store.settle_purchase(table, purchase_id, settlement, utc_now()):
            logger.info("purchase settled", purchase_id=purchase_id, status=settlement.status)
            metric = "PurchasesCompleted" if settlement.status == COMPLETED else "PurchasesFailed"
            metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
        purchase = _load(purchase_id)  # whoever made the transition decided the outcome
    announce(purchase)
    return purchase


def _load(purchase_id: str) -> dict[str, Any]:
    purchase = store.get_purchase(table, purchase_id)
    if purchase is None:
        raise MalformedRecord(f"purchase {purchase_id!r} is not in the table")
    return purchase


def announce(purchase: dict[str, Any]) -> None:
    """Publish ``purchase.completed``/``purchase.failed`` unless already recorded as published."""
    if "eventId" in purchase:
        return
    event_type, data = outcome_event(purchase)
    envelope = publisher.publish(
        event_type,
        data,
        correlation_id=purchase.get("correlationId"),
        event_id=stable_event_id(purchase["purchaseId"], event_type),
    )
    store.mark_once(table, purchase["purchaseId"], "eventId", envelope.id)
    logger.info("outcome published", purchase_id=purchase["purchaseId"], event_id=envelope.id)


def record_handler(record: DynamoDBRecord) -> None:
    purchase_id = new_pending_purchase_id(record)
    if purchase_id is not None:
        complete(purchase_id)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
