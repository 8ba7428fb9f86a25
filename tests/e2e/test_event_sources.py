"""Lambda's event-source semantics in the runtime, with test-only handlers on real queues.

A batch where one record fails: the others are processed once and deleted, the failed one
comes back after the visibility timeout and, after ``maxReceiveCount`` receives, the
emulator's redrive parks it in the DLQ. And each function only sees its own account.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.demo.client import wait_for
from local.runtime.environment import LocalEnvironment
from local.runtime.pollers import MappingSpec
from local.runtime.sqs_poller import SqsPoller
from local.runtime.stream_poller import StreamPoller
from local.runtime.workers import FunctionRuntime, FunctionSpec, worker_environment

pytestmark = pytest.mark.e2e

MAX_RECEIVES = 2
PURCHASE_INSERTS = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "PURCHASE#"}]}}},
}


def make_function(
    env: LocalEnvironment, handler: str, account: str, variables: dict
) -> FunctionRuntime:
    graph = env.graph
    assert graph is not None
    spec = FunctionSpec(f"test-{uuid.uuid4().hex[:6]}", handler, account, variables, 10, 256)
    environment = worker_environment(
        spec, graph.credentials_for(account), graph.endpoint, graph.region
    )
    return FunctionRuntime(spec, environment, Path(env.state_dir) / "logs")


def create_queue(sqs: Any, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [
            json.loads(m["Body"]) if m["Body"].startswith("{") else m["Body"] for m in messages
        ]
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


@pytest.fixture
def flaky_consumer(local_env: LocalEnvironment) -> Iterator[dict[str, Any]]:
    """A work queue (visibility 4 s: ample for a busy CI machine; DLQ after 2 receives)."""
    graph = local_env.graph
    assert graph is not None
    account = graph.accounts["catalog"]
    sqs = graph.client("sqs", account)
    suffix = uuid.uuid4().hex[:6]
    dlq_url, dlq_arn = create_queue(sqs, f"e2e-flaky-dlq-{suffix}")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES})
    queue_url, queue_arn = create_queue(
        sqs, f"e2e-flaky-{suffix}", VisibilityTimeout="4", RedrivePolicy=redrive
    )
    output_url, _ = create_queue(sqs, f"e2e-flaky-output-{suffix}")
    function = make_function(
        local_env, "tests.e2e.handlers.flaky_batch", account, {"OUTPUT_QUEUE_URL": output_url}
    )
    function.start()
    spec = MappingSpec(
        "e2e-flaky",
        queue_arn,
        function.spec.name,
        batch_size=10,
        batching_window_seconds=1,
        report_item_failures=True,
    )
    poller = SqsPoller(spec, queue_url, sqs, function, graph.region)
    poller.start()
    try:
        yield {
            "sqs": sqs,
            "queue": queue_url,
            "dlq": dlq_url,
            "output": output_url,
            "poller": poller,
        }
    finally:
        poller.stop()
        poller.join()
        function.stop()


def test_sqs_batch_failure_redelivers_only_the_failed_record_then_parks_it_in_the_dlq(
    flaky_consumer: dict[str, Any],
) -> None:
    # GIVEN one batch of four good messages and a poison one
    sqs, queue = flaky_consumer["sqs"], flaky_consumer["queue"]
    bodies = ["a", "b", "poison", "c", "d"]
    sqs.send_message_batch(
        QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
    )
    # WHEN the mapping has driven them until the poison message reaches the DLQ
    parked = wait_for(
        "the poison message in the DLQ",
        lambda: drain(sqs, flaky_consumer["dlq"]),
        lambda found: bool(found),
        timeout=45,
    )
    time.sleep(0.5)
    seen = drain(sqs, flaky_consumer["output"])
    # THEN the good ones were processed exactly once, the poison one once per receive,
    assert sorted(s["body"] for s in seen if not s["failed"]) == ["a", "b", "c", "d"]
    assert [s["body"] for s in seen if s["failed"]] == ["poison"] * MAX_RECEIVES
    # and the DLQ holds only the poison message, the queue nothing
    assert parked == ["poison"]
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages") is None


def test_function_cannot_read_another_services_table(local_env: LocalEnvironment) -> None:
    # GIVEN a function running with the catalog account's credentials
    graph = local_env.graph
    assert graph is not None
    purchase_table = graph.stack_outputs["purchase-local"]["tableName"]
    catalog_table = graph.stack_outputs["catalog-local"]["tableName"]
    function = make_function(
        local_env,
        "tests.e2e.handlers.read_table",
        graph.accounts["catalog"],
        {"TABLE_NAME": purchase_table},
    )
    own = make_function(
        local_env,
        "tests.e2e.handlers.read_table",
        graph.accounts["catalog"],
        {"TABLE_NAME": catalog_table},
    )
    try:
        # WHEN it reads the purchase service's table, then its own
        foreign = function.invoke({})
        mine = own.invoke({})
    finally:
        function.stop()
        own.stop()
    # THEN the other service's table does not exist for it, as across AWS accounts
    assert not foreign.ok
    assert foreign.error_type == "ResourceNotFoundException"
    assert mine.ok


@pytest.fixture
def flaky_stream_consumer(local_env: LocalEnvironment) -> Iterator[dict[str, Any]]:
    """A table stream driven into ``flaky_stream`` like purchase's completion mapping."""
    graph = local_env.graph
    assert graph is not None
    account = graph.accounts["purchase"]
    sqs, dynamodb = graph.client("sqs", account), graph.client("dynamodb", account)
    suffix = uuid.uuid4().hex[:6]
    failures_url, failures_arn = create_queue(sqs, f"e2e-stream-failures-{suffix}")
    output_url, _ = create_queue(sqs, f"e2e-stream-output-{suffix}")
    table = dynamodb.create_table(
        TableName=f"e2e-stream-{suffix}",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    function = make_function(
        local_env, "tests.e2e.handlers.flaky_stream", account, {"OUTPUT_QUEUE_URL": output_url}
    )
    function.start()
    spec = MappingSpec(
        "e2e-stream",
        table["LatestStreamArn"],
        function.spec.name,
        batch_size=10,
        report_item_failures=True,
        filters=[PURCHASE_INSERTS],
        maximum_retry_attempts=2,
        on_failure_arn=failures_arn,
    )
    poller = StreamPoller(
        spec, graph.client("dynamodbstreams", account), function, graph.region, sqs=sqs
    )
    poller.start()
    try:
        yield {
            "sqs": sqs,
            "dynamodb": dynamodb,
            "table": table["TableName"],
            "failures": failures_url,
            "output": output_url,
        }
    finally:
        poller.stop()
        poller.join()
        function.stop()


def test_stream_failure_is_retried_then_sent_to_the_failure_queue_and_passed(
    flaky_stream_consumer: dict[str, Any],
) -> None:
    # GIVEN purchase inserts with a poison one in the middle, and an item the filter drops
    consumer = flaky_stream_consumer
    for pk in ("PURCHASE#1", "OFFER#1", "PURCHASE#poison", "PURCHASE#2"):
        consumer["dynamodb"].put_item(TableName=consumer["table"], Item={"pk": {"S": pk}})
    # WHEN the mapping gives up on the poison record
    failed = wait_for(
        "the failure record",
        lambda: drain(consumer["sqs"], consumer["failures"]),
        lambda found: bool(found),
        timeout=20,
    )
    time.sleep(0.5)
    seen = [s["pk"] for s in drain(consumer["sqs"], consumer["output"])]
    # THEN the poison record was tried 1 + 2 times and its coordinates parked,
    assert seen.count("PURCHASE#poison") == 3
    assert failed[0]["DDBStreamBatchInfo"]["batchSize"] == 1
    assert failed[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    # records before it were processed once, after it at least once; filtered ones never
    assert seen.count("PURCHASE#1") == 1
    assert "PURCHASE#2" in seen
    assert "OFFER#1" not in seen
