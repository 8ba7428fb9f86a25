"""Event factories for handler tests: the payloads Lambda hands to each kind of handler."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

REGION = "eu-west-1"
ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    """The attributes Powertools reads from Lambda's context object."""

    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    sub: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    route_key: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event; ``sub`` adds JWT authorizer claims."""
    request_context: dict[str, Any] = {
        "accountId": ACCOUNT,
        "apiId": "api123",
        "domainName": "api123.execute-api.eu-west-1.amazonaws.com",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "pytest",
        },
        "requestId": str(uuid.uuid4()),
        "routeKey": route_key or f"{method} {path}",
        "stage": "$default",
        "time": "23/Nov/2026:15:00:00 +0000",
        "timeEpoch": 1795446000000,
    }
    if sub is not None:
        request_context["authorizer"] = {
            "jwt": {
                "claims": {"sub": sub, "iss": "https://issuer.example", "aud": "marketplace"},
                "scopes": None,
            }
        }
    raw_body = body if isinstance(body, str) or body is None else json.dumps(body)
    return {
        "version": "2.0",
        "routeKey": request_context["routeKey"],
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {"content-type": "application/json", **(headers or {})},
        "queryStringParameters": query,
        "pathParameters": path_parameters,
        "requestContext": request_context,
        "body": raw_body,
        "isBase64Encoded": False,
    }


def sqs_record(
    body: str | dict[str, Any],
    *,
    message_id: str | None = None,
    receive_count: int = 1,
    attributes: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One SQS record; ``body`` dicts are JSON-encoded (raw SNS delivery puts the envelope here)."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "handle-" + str(uuid.uuid4()),
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": "0",
            "SenderId": "AIDA",
            "ApproximateFirstReceiveTimestamp": "0",
        },
        "messageAttributes": {
            k: {"stringValue": v, "dataType": "String"} for k, v in (attributes or {}).items()
        },
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue",
        "awsRegion": REGION,
    }


def sqs_event(*bodies: str | dict[str, Any]) -> dict[str, Any]:
    return {"Records": [sqs_record(b) for b in bodies]}


def s3_notification(bucket: str, key: str, size: int = 1) -> dict[str, Any]:
    """The S3 ObjectCreated notification S3 sends to the ingest queue (SQS body)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": key, "size": size, "sequencer": uuid.uuid4().hex},
                },
            }
        ]
    }


def dynamodb_stream_record(
    new_image: dict[str, Any],
    *,
    event_name: str = "INSERT",
    old_image: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A DynamoDB stream record; images are given in DynamoDB JSON (``{"S": ...}``)."""
    record: dict[str, Any] = {
        "eventID": uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "Keys": {"pk": new_image["pk"], "sk": new_image["sk"]},
            "NewImage": new_image,
            "SequenceNumber": str(uuid.uuid4().int)[:20],
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/stream/2026",
    }
    if old_image is not None:
        record["dynamodb"]["OldImage"] = old_image
    return record
