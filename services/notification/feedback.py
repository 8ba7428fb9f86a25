"""Feedback: SES bounce and complaint events (configuration set -> SNS -> SQS) recorded.

Each record is one SES event-publishing message (raw SNS delivery). The user is found from the
message's ``userId`` tag, never from its address: nothing here stores an address. A complaint
or a permanent bounce also suppresses the user's e-mails, as SES's reputation rules expect;
transient bounces are only recorded. Recording is keyed on the SES message id and kind, so a
redelivered message changes nothing.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
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

from services.notification.feedback_events import Feedback, parse_feedback
from services.notification.store import NotificationStore

TABLE_NAME = os.environ["TABLE_NAME"]

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
store = NotificationStore(boto3.resource("dynamodb").Table(TABLE_NAME))


def keep(feedback: Feedback) -> str:
    """Keep the feedback once; suppress the user's e-mails when it says to."""
    fields = {"type": feedback.kind, "detail": feedback.detail, "eventId": feedback.event_id}
    if not store.record_feedback(feedback.user_id, feedback.time, feedback.message_id, fields):
        return "duplicate"
    if feedback.suppresses:
        now = datetime.now(UTC).isoformat()
        store.suppress(feedback.user_id, f"{feedback.kind}: {feedback.detail}", now)
        return "suppressed"
    return "recorded"


@tracer.capture_method
def record_handler(record: SQSRecord) -> str:
    feedback = parse_feedback(record.body)
    if feedback is None:
        return "ignored"
    outcome = keep(feedback)
    metrics.add_metric(name=f"Feedback{feedback.kind}", unit=MetricUnit.Count, value=1)
    logger.info("feedback", extra={"outcome": outcome, "kind": feedback.kind})
    return outcome


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
