"""The runtime's one moto workaround (S3 notifications of presigned POSTs) is still needed."""

from __future__ import annotations

import uuid

import boto3
import pytest
import requests
from botocore.config import Config

from local.runtime import s3_notifications
from local.runtime.environment import LocalEnvironment

pytestmark = pytest.mark.e2e


def post_and_count_notifications(env: LocalEnvironment, account: str) -> int:
    """POST an object through a presigned POST into a fresh bucket that notifies a queue."""
    graph = env.graph
    assert graph is not None
    sqs = graph.client("sqs", account)
    # SigV4, as the upload API signs: moto reads a SigV2 POST's AWSAccessKeyId, not this
    s3 = boto3.client(
        "s3",
        endpoint_url=graph.endpoint,
        config=Config(signature_version="s3v4"),
        **graph.session_kwargs(account),
    )
    name = f"e2e-post-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": graph.region})
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    sqs.purge_queue(QueueUrl=url)  # the s3:TestEvent
    post = s3.generate_presigned_post(name, "object")
    response = requests.post(post["url"], data=post["fields"], files={"file": b"data"}, timeout=10)
    assert response.status_code == 204
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return len([m for m in messages.get("Messages", []) if "ObjectCreated" in m["Body"]])


def test_presigned_post_notification_delivered_with_workaround(local_env: LocalEnvironment) -> None:
    # GIVEN the workaround installed (LocalEnvironment does it)
    assert s3_notifications.installed()
    # WHEN an object is POSTed into a service account's bucket
    delivered = post_and_count_notifications(local_env, local_env.graph.accounts["upload"])  # type: ignore[union-attr]
    # THEN exactly one ObjectCreated notification arrives
    assert delivered == 1


def test_moto_still_drops_presigned_post_notifications(local_env: LocalEnvironment) -> None:
    # GIVEN moto without the workaround
    s3_notifications.uninstall()
    try:
        # WHEN an object is POSTed into a service account's bucket
        delivered = post_and_count_notifications(local_env, local_env.graph.accounts["upload"])  # type: ignore[union-attr]
    finally:
        s3_notifications.install()
    # THEN nothing arrives. If this fails, moto delivers on its own: delete
    # local/runtime/s3_notifications.py and its install() call (see its docstring).
    assert delivered == 0
