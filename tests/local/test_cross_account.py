"""The one emulator workaround: cross-account SNS -> SQS (local/emulator/cross_account.py)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from local.emulator.cloud import EmbeddedCloud
from local.emulator.cross_account import (
    CrossAccountDelivery,
    CrossAccountSubscription,
    cross_account_subscriptions,
)
from local.graph import Graph
from services.contracts.catalogue import SERVICES, consumers_of
from services.contracts.publisher import message_attributes
from tests.local.conftest import ENV, TEST_ACCOUNTS, Deployed

CANARY_PRODUCER, CANARY_CONSUMER = "300000000001", "300000000002"
"""Accounts of the canary only: nothing else subscribes there, so no tap can interfere."""


def upload_topic(graph: Graph) -> str:
    return graph.stack_outputs[f"upload-{ENV}"]["eventsTopicArn"]


def queue_url(graph: Graph, stack: str, name: str) -> str:
    return graph.named(stack, name)["outputs"]["url"]


def receive_matching(graph: Graph, account: str, url: str, marker: str, timeout: float) -> list:
    """Messages of ``url`` (read with ``account``'s credentials) whose body holds ``marker``."""
    sqs = graph.client("sqs", account)
    deadline = time.monotonic() + timeout
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not found:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        found = [m for m in messages if marker in m["Body"]]
    return found


def publish(graph: Graph, account: str, topic: str, event_type: str) -> str:
    marker = str(uuid.uuid4())
    graph.client("sns", account).publish(
        TopicArn=topic,
        Message=json.dumps({"id": marker, "type": event_type}),
        MessageAttributes=message_attributes(event_type),
    )
    return marker


def test_cross_account_subscriptions_are_found_in_the_graph(deployed: Deployed) -> None:
    # GIVEN the deployed local environment
    # WHEN its cross-account subscriptions are listed
    found = cross_account_subscriptions(deployed.graph)
    # THEN they are the catalogue's event subscriptions, each producer -> consumer account
    pairs = {(s.producer_account, s.consumer_account) for s in found}
    declared = {
        (TEST_ACCOUNTS[producer], TEST_ACCOUNTS[consumer])
        for producer in SERVICES
        for consumer in consumers_of(producer)
    }
    upload, catalog, purchase = (TEST_ACCOUNTS[s] for s in ("upload", "catalog", "purchase"))
    assert {(upload, catalog), (upload, purchase), (purchase, catalog)} <= declared
    assert pairs == declared
    assert all(s.attributes["RawMessageDelivery"] == "true" for s in found)


def test_cross_account_image_published_reaches_catalog_and_purchase(deployed: Deployed) -> None:
    # GIVEN the workaround running over the deployed environment
    graph = deployed.graph
    catalog_queue = queue_url(graph, f"catalog-{ENV}", "catalog-upload-events-work-queue")
    purchase_queue = queue_url(graph, f"purchase-{ENV}", "purchase-upload-events-work-queue")
    with CrossAccountDelivery(graph) as delivery:
        # WHEN upload publishes image.published to its topic with its own credentials
        marker = publish(graph, TEST_ACCOUNTS["upload"], upload_topic(graph), "image.published")
        # THEN catalog and purchase each receive it once, raw, with its type attribute
        in_catalog = receive_matching(graph, TEST_ACCOUNTS["catalog"], catalog_queue, marker, 10)
        in_purchase = receive_matching(graph, TEST_ACCOUNTS["purchase"], purchase_queue, marker, 10)
    assert len(in_catalog) == len(in_purchase) == 1
    assert json.loads(in_catalog[0]["Body"])["id"] == marker
    assert in_purchase[0]["MessageAttributes"]["type"]["StringValue"] == "image.published"
    assert delivery.forwarded >= 2


def test_cross_account_filter_policy_still_drops_other_types(deployed: Deployed) -> None:
    # GIVEN the workaround running; purchase subscribes to upload's published/withdrawn only
    graph = deployed.graph
    purchase_queue = queue_url(graph, f"purchase-{ENV}", "purchase-upload-events-work-queue")
    with CrossAccountDelivery(graph):
        # WHEN upload publishes image.rejected
        marker = publish(graph, TEST_ACCOUNTS["upload"], upload_topic(graph), "image.rejected")
        # THEN it never reaches purchase's queue
        assert receive_matching(graph, TEST_ACCOUNTS["purchase"], purchase_queue, marker, 2) == []


def test_cross_account_delivery_stops_promptly(deployed: Deployed) -> None:
    # GIVEN the workaround running
    delivery = CrossAccountDelivery(deployed.graph).start()
    # WHEN it is stopped
    started = time.monotonic()
    delivery.stop()
    # THEN its threads end within a poll interval or so
    assert time.monotonic() - started < 4


def test_moto_cross_account_delivery_still_broken(cloud: EmbeddedCloud) -> None:
    # GIVEN a topic in one account and a queue subscribed to it from another, as in prod,
    # with NO workaround (no tap, no forwarder)
    for account in (CANARY_PRODUCER, CANARY_CONSUMER):
        cloud.bootstrap_account(account)
    graph = Graph(
        endpoint=cloud.endpoint,
        region=cloud.region,
        credentials={a: cloud.credentials(a) for a in (CANARY_PRODUCER, CANARY_CONSUMER)},
    )
    topic = graph.client("sns", CANARY_PRODUCER).create_topic(Name="canary-events")["TopicArn"]
    sqs = graph.client("sqs", CANARY_CONSUMER)
    url = sqs.create_queue(QueueName="canary-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    graph.client("sns", CANARY_CONSUMER).subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    # WHEN the producer publishes
    marker = publish(graph, CANARY_PRODUCER, topic, "image.published")
    # THEN moto does not deliver it - the reason local/emulator/cross_account.py exists
    delivered = receive_matching(graph, CANARY_CONSUMER, url, marker, 1)
    assert delivered == [], (
        "moto now delivers SNS->SQS across accounts on its own: remove the workaround "
        "(local/emulator/cross_account.py, install_taps in local/emulator/deployer.py, "
        "CrossAccountDelivery in the local runtime, and its tests), or every event will "
        "arrive twice"
    )


def test_cross_account_subscription_names_its_tap_after_the_consumer_queue() -> None:
    # GIVEN a cross-account subscription to catalog's upload-events queue
    sub = CrossAccountSubscription(
        name="s",
        topic_arn="arn:aws:sns:eu-west-1:1:t",
        queue_arn="arn:aws:sqs:eu-west-1:2:marketplace-local-catalog-upload-events",
        queue_url="http://127.0.0.1/2/q",
        producer_account="1",
        consumer_account="2",
        attributes={},
    )
    # WHEN / THEN its tap is named after that queue, clearly marked as the workaround
    assert sub.tap_name == "moto-xaccount-tap-marketplace-local-catalog-upload-events"
