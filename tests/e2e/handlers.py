"""Test-only Lambda handlers, run by the local runtime's workers like the real ones.

``flaky_batch`` / ``flaky_stream``: SQS and DynamoDB-stream consumers (Powertools batch,
partial failures) that fail every record whose body (key) is ``poison`` and report every
record they saw to ``OUTPUT_QUEUE_URL``, so a test can count deliveries. ``read_table``:
reads ``TABLE_NAME`` with the function's own credentials (the account-isolation test).
The others exercise the worker protocol (environment, crash, timeout).
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

sqs = boto3.client("sqs")
processor = BatchProcessor(event_type=EventType.SQS)
stream_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class PoisonMessage(Exception):
    """The record this handler always fails."""


def record_handler(record: SQSRecord) -> None:
    failed = record.body == "poison"
    report = {"body": record.body, "failed": failed, "messageId": record.message_id}
    sqs.send_message(QueueUrl=os.environ["OUTPUT_QUEUE_URL"], MessageBody=json.dumps(report))
    if failed:
        raise PoisonMessage(record.message_id)


def flaky_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


def stream_record_handler(record: Any) -> None:
    pk = record.dynamodb.keys["pk"]
    report = {"pk": pk, "failed": pk.endswith("poison")}
    sqs.send_message(QueueUrl=os.environ["OUTPUT_QUEUE_URL"], MessageBody=json.dumps(report))
    if report["failed"]:
        raise PoisonMessage(pk)


def flaky_stream(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event,
        record_handler=stream_record_handler,
        processor=stream_processor,
        context=context,
    )


def read_table(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    return {"count": table.scan(Limit=1)["Count"]}


def echo_environment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"environ": dict(os.environ), "request_id": context.aws_request_id}


def crash_or_echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Dies like an out-of-memory Lambda when asked to; otherwise answers with its pid."""
    if event.get("crash"):
        os._exit(137)
    return {"pid": os.getpid()}


def sleep_seconds(event: dict[str, Any], context: Any) -> dict[str, Any]:
    import time

    time.sleep(float(event["seconds"]))
    return {"slept": event["seconds"]}
