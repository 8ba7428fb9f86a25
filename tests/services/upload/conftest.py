"""Upload fixtures: the service's table, buckets and topic in moto, the environment its handlers
read, a queue subscribed to the topic (to read what was published) and request helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
import pytest

from services.contracts.consumer import envelope_from_dict
from services.contracts.envelope import Envelope
from services.upload.manifest import MANIFEST
from tests.services.conftest import create_service_table
from tests.services.factories import REGION, http_event, s3_notification, sqs_event

TABLE = "marketplace-test-upload"
ORIGINALS = "marketplace-test-upload-originals"
RENDITIONS = "marketplace-test-upload-renditions"
LICENSED = "marketplace-test-upload-licensed"
CDN_DOMAIN = "cdn.example.test"
MAX_UPLOAD_BYTES = 5_000_000
ALICE = "alice-0001"
BOB = "bob-0002"


@dataclass
class UploadAws:
    """Handles on the emulated resources of the upload service."""

    table: Any
    topic_arn: str
    queue_url: str
    s3: Any = field(default_factory=lambda: boto3.client("s3", region_name=REGION))
    sqs: Any = field(default_factory=lambda: boto3.client("sqs", region_name=REGION))

    def events(self) -> list[Envelope]:
        """Every event published since the last call, validated by the consumer helper."""
        envelopes: list[Envelope] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            if not messages.get("Messages"):
                return envelopes
            for message in messages["Messages"]:
                envelopes.append(envelope_from_dict(json.loads(message["Body"])))
                receipt = message["ReceiptHandle"]
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)

    def record(self, upload_id: str) -> dict[str, Any]:
        return self.table.get_item(Key={"pk": f"UPLOAD#{upload_id}", "sk": "UPLOAD"})["Item"]

    def keys(self, bucket: str) -> list[str]:
        return [o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.fixture(scope="session")
def boto_session() -> boto3.Session:
    """One boto3 session for the whole run: it caches the service models it has loaded."""
    return boto3.Session(region_name=REGION)


@pytest.fixture
def upload_aws(
    aws: None, boto_session: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> UploadAws:
    # moto resets boto3's default session per test, and a fresh session re-reads every service
    # model (~50 ms a client); reusing one keeps the suite fast. moto restores it on stop.
    boto3.DEFAULT_SESSION = boto_session
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (ORIGINALS, RENDITIONS, LICENSED):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    table = create_service_table(TABLE, indexes=MANIFEST.table.indexes)
    sns = boto3.client("sns", region_name=REGION)
    topic_arn = sns.create_topic(Name="upload-events")["TopicArn"]
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="upload-events-reader")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    for key, value in {
        "POWERTOOLS_SERVICE_NAME": "upload",
        "TABLE_NAME": TABLE,
        "ORIGINALS_BUCKET": ORIGINALS,
        "RENDITIONS_BUCKET": RENDITIONS,
        "LICENSED_BUCKET": LICENSED,
        "PUBLIC_CDN_DOMAIN": CDN_DOMAIN,
        "EVENTS_TOPIC_ARN": topic_arn,
        "MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
        "UPLOAD_URL_TTL_SECONDS": "900",
        "MAX_IMAGE_PIXELS": "40000000",
        "REKOGNITION_LABELS": "false",
        "REKOGNITION_MODERATION": "false",
        "CIRCUIT_FAILURE_THRESHOLD": "3",
        "CIRCUIT_WINDOW_SECONDS": "60",
        "CIRCUIT_COOLDOWN_SECONDS": "300",
        "ADMIN_GROUP": "admins",
    }.items():
        monkeypatch.setenv(key, value)
    return UploadAws(table=table, topic_arn=topic_arn, queue_url=queue_url, s3=s3, sqs=sqs)


@pytest.fixture
def api(upload_aws: UploadAws, load_handler: Callable[[str], ModuleType]) -> ModuleType:
    return load_handler("services.upload.api")


@pytest.fixture
def load_processor(
    upload_aws: UploadAws,
    load_handler: Callable[[str], ModuleType],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., ModuleType]:
    """The processor module, loaded with the given extra environment (e.g. Rekognition switches)."""
    from services.upload import labels

    def load(**env: str) -> ModuleType:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        labels.client.cache_clear()  # a client made in an earlier test's emulator
        return load_handler("services.upload.processor")

    return load


@pytest.fixture
def processor(load_processor: Callable[..., ModuleType]) -> ModuleType:
    return load_processor()


Call = Callable[..., tuple[int, Any]]


@pytest.fixture
def call_api(api: ModuleType, lambda_context: Any) -> Call:
    """Invoke the API handler; returns (status code, decoded JSON body)."""

    def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        response = api.lambda_handler(http_event(method, path, **kwargs), lambda_context)
        body = response.get("body")
        return response["statusCode"], json.loads(body) if body else None

    return call


def upload_request(**overrides: Any) -> dict[str, Any]:
    """A valid ``POST /uploads`` body with ``overrides`` applied."""
    return {
        "title": "Red kayak on a calm lake",
        "tags": ["kayak", "lake", "summer"],
        "priceCents": 1500,
        "currency": "EUR",
        "contentType": "image/jpeg",
        "sizeBytes": 200_000,
    } | overrides


@pytest.fixture
def request_upload(call_api: Call) -> Callable[..., dict[str, Any]]:
    """``POST /uploads`` as ``sub``; returns the 201 body."""

    def request(sub: str = ALICE, **overrides: Any) -> dict[str, Any]:
        status, body = call_api("POST", "/uploads", sub=sub, body=upload_request(**overrides))
        assert status == 201, body
        return body

    return request


@pytest.fixture
def uploaded(
    request_upload: Callable[..., dict[str, Any]], upload_aws: UploadAws
) -> Callable[..., tuple[str, str]]:
    """Request an upload for ``data`` and put it where the presigned POST would; (id, key)."""

    def upload(data: bytes, sub: str = ALICE, content_type: str = "image/jpeg", **fields: Any):
        body = request_upload(
            sub=sub,
            contentType=content_type,
            sizeBytes=fields.pop("sizeBytes", len(data)),
            **fields,
        )
        key = body["upload"]["fields"]["key"]
        upload_aws.s3.put_object(Bucket=ORIGINALS, Key=key, Body=data, ContentType=content_type)
        return body["uploadId"], key

    return upload


@pytest.fixture
def run_processor(processor: ModuleType, lambda_context: Any) -> Callable[..., dict[str, Any]]:
    """Deliver S3 notifications for ``keys`` (one SQS message each); the partial batch response.

    ``load_processor(...)`` reloads the same module object, so a test may switch settings first.
    """

    def run(*keys: str) -> dict[str, Any]:
        event = sqs_event(*(s3_notification(ORIGINALS, key) for key in keys))
        return processor.lambda_handler(event, lambda_context)

    return run


@pytest.fixture(scope="session")
def photo() -> bytes:
    """A plain 640x480 JPEG photograph."""
    from tests.services.upload.images import encode, natural_image

    return encode(natural_image(640, 480), "JPEG", quality=85)
