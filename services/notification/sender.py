"""Sender: purchase and image outcome events (SQS batches) to e-mails, once per event id.

Each record is one event envelope (raw SNS delivery) and fails alone (partial batch
response): SQS retries it, then parks it in the DLQ. The steps and the exactly-once
argument: ``services.notification.delivery``.
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
from aws_lambda_powertools.utilities.typing import LambdaContext

from services.contracts.consumer import MalformedEvent, envelope_from_record
from services.notification.delivery import Sender, deliver, lease_for
from services.notification.directory import Directory
from services.notification.mailer import Mailer
from services.notification.store import NotificationStore

TABLE_NAME = os.environ["TABLE_NAME"]
MAIL_SENDER = os.environ["MAIL_SENDER"]
MAIL_CONFIGURATION_SET = os.environ["MAIL_CONFIGURATION_SET"]
WEB_ORIGIN = os.environ["WEB_ORIGIN"]
USER_POOL_ID = os.environ["USER_POOL_ID"]
USER_POOL_REGION = os.environ["USER_POOL_REGION"]
LOOKUP_ROLE_ARN = os.environ["LOOKUP_ROLE_ARN"]

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
directory = Directory(LOOKUP_ROLE_ARN, USER_POOL_ID, USER_POOL_REGION)
sender = Sender(
    store=NotificationStore(boto3.resource("dynamodb").Table(TABLE_NAME)),
    lookup=directory.lookup,
    mailer=Mailer(boto3.client("ses"), MAIL_SENDER, MAIL_CONFIGURATION_SET),
    web_origin=WEB_ORIGIN,
)


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> str:
    try:
        envelope = envelope_from_record(record.raw_event)
    except MalformedEvent as error:
        logger.error("malformed event", extra={"reason": str(error), "sqs_id": record.message_id})
        metrics.add_metric(name="EventsMalformed", unit=MetricUnit.Count, value=1)
        raise
    logger.set_correlation_id(envelope.correlation_id)
    logger.append_keys(event_id=envelope.id, event_type=envelope.type)
    outcome = deliver(sender, envelope, lease_for(lambda_context))
    metrics.add_metric(name=f"Mail{outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    # UNCERTAIN: an attempt died after its intent; maybe sent, never resent (README.md).
    log = logger.warning if outcome == "uncertain" else logger.info
    log("event handled", extra={"outcome": outcome})
    return outcome


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
