"""WORKAROUND (moto 5.2.x): deliver SNS -> SQS across accounts, which moto drops.

Why: in AWS, a consumer account subscribes its own queue to a producer's topic, and every
matching publish lands in the queue. moto 5.2.x stores such a subscription in the
*subscriber's* account, but a publish only walks the *topic owner's* subscriptions, so a
cross-account subscription never delivers (same-account delivery works, filter policies
included). Every event between the marketplace's services crosses accounts.

How: the real subscriptions stay exactly as the program declares them, created from the
consumer's account (see ``EmulatorMocks._sns_subscription``). For each of them this module
adds a "tap" queue in the producer's account, subscribed to the topic with the same raw
delivery and filter policy (a same-account subscription, which moto delivers), and a
forwarder thread that moves each tapped message to the consumer's queue with the
*consumer's* credentials (same body, same message attributes), then deletes it from the tap.
Ordering, retries and redrive are then the consumer queue's own, as in AWS.

How to remove: ``tests/local/test_cross_account.py::test_moto_cross_account_delivery_still_broken``
fails the day moto delivers on its own (messages would then arrive twice). Then delete this
module, its tests, and the calls to ``install_taps`` (local/emulator/deployer.py) and
``CrossAccountDelivery`` (the local runtime).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from components import aws_types
from local.graph import Graph

logger = logging.getLogger(__name__)

TAP_PREFIX = "moto-xaccount-tap-"
"""Tap queues are named ``moto-xaccount-tap-<consumer queue name>`` in the producer account."""
SUBSCRIPTION_TYPE = aws_types.TOPIC_SUBSCRIPTION
QUEUE_TYPE = aws_types.QUEUE
POLL_SECONDS = 1
"""Long-poll wait per receive: bounds both delivery latency and how long stop() takes."""
TAP_VISIBILITY_SECONDS = 10
"""A message whose forward failed is retried from the tap after this long."""


@dataclass(frozen=True)
class CrossAccountSubscription:
    """A declared SNS -> SQS subscription whose topic and queue are in different accounts."""

    name: str
    topic_arn: str
    queue_arn: str
    queue_url: str
    producer_account: str
    consumer_account: str
    attributes: dict[str, str]
    """RawMessageDelivery, FilterPolicy, FilterPolicyScope as declared."""

    @property
    def tap_name(self) -> str:
        return (TAP_PREFIX + self.queue_arn.split(":")[-1])[:80]


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def cross_account_subscriptions(graph: Graph) -> list[CrossAccountSubscription]:
    """Every sqs subscription in the graph whose topic is in another account."""
    queues = {
        r["outputs"]["arn"]: r["outputs"]["url"]
        for stack in graph.stacks
        for r in graph.of_type(stack, QUEUE_TYPE)
    }
    found = []
    for stack in graph.stacks:
        for r in graph.of_type(stack, SUBSCRIPTION_TYPE):
            inputs = r["inputs"]
            if inputs.get("protocol") != "sqs":
                continue
            topic, queue = inputs["topic"], inputs["endpoint"]
            if _account_of(topic) == _account_of(queue):
                continue
            found.append(
                CrossAccountSubscription(
                    name=r["name"],
                    topic_arn=topic,
                    queue_arn=queue,
                    queue_url=queues[queue],
                    producer_account=_account_of(topic),
                    consumer_account=_account_of(queue),
                    attributes=subscription_attributes(inputs),
                )
            )
    return found


def subscription_attributes(inputs: dict[str, Any]) -> dict[str, str]:
    raw = inputs.get("rawMessageDelivery") in (True, "true")
    attributes = {"RawMessageDelivery": "true" if raw else "false"}
    if inputs.get("filterPolicy"):
        attributes["FilterPolicy"] = inputs["filterPolicy"]
        attributes["FilterPolicyScope"] = inputs.get("filterPolicyScope") or "MessageAttributes"
    return attributes


def install_taps(graph: Graph, subscriptions: Iterable[CrossAccountSubscription]) -> list[str]:
    """Create each tap queue + its same-account subscription (idempotent); returns tap URLs."""
    urls = []
    for sub in subscriptions:
        sqs = graph.client("sqs", sub.producer_account)
        url = sqs.create_queue(
            QueueName=sub.tap_name,
            Attributes={"VisibilityTimeout": str(TAP_VISIBILITY_SECONDS)},
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        graph.client("sns", sub.producer_account).subscribe(
            TopicArn=sub.topic_arn,
            Protocol="sqs",
            Endpoint=arn,
            Attributes=sub.attributes,
            ReturnSubscriptionArn=True,
        )
        urls.append(url)
    return urls


def _forwardable(attributes: dict[str, Any]) -> dict[str, Any]:
    """Received message attributes in the shape SendMessage takes."""
    result = {}
    for name, value in attributes.items():
        kept = {k: value[k] for k in ("DataType", "StringValue", "BinaryValue") if value.get(k)}
        result[name] = kept
    return result


class CrossAccountDelivery:
    """Forwarder threads, one per cross-account subscription; ``start()`` / ``stop()``."""

    def __init__(
        self, graph: Graph, subscriptions: list[CrossAccountSubscription] | None = None
    ) -> None:
        self.graph = graph
        self.subscriptions = (
            cross_account_subscriptions(graph) if subscriptions is None else subscriptions
        )
        self.forwarded = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> CrossAccountDelivery:
        if self._threads:
            return self
        self._stop.clear()
        tap_urls = install_taps(self.graph, self.subscriptions)
        for sub, tap_url in zip(self.subscriptions, tap_urls, strict=True):
            thread = threading.Thread(
                target=self._forward_loop,
                args=(sub, tap_url),
                name=f"xaccount-{sub.tap_name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = POLL_SECONDS + 5) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def __enter__(self) -> CrossAccountDelivery:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _forward_loop(self, sub: CrossAccountSubscription, tap_url: str) -> None:
        tap = self.graph.client("sqs", sub.producer_account)
        target = self.graph.client("sqs", sub.consumer_account)
        while not self._stop.is_set():
            try:
                self._forward_batch(tap, target, sub, tap_url)
            except Exception:
                if self._stop.is_set():
                    return
                logger.exception("cross-account forward from %s failed", sub.tap_name)
                self._stop.wait(POLL_SECONDS)

    def _forward_batch(
        self, tap: Any, target: Any, sub: CrossAccountSubscription, tap_url: str
    ) -> None:
        received = tap.receive_message(
            QueueUrl=tap_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=POLL_SECONDS,
            MessageAttributeNames=["All"],
        )
        for message in received.get("Messages", []):
            params: dict[str, Any] = {"QueueUrl": sub.queue_url, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                params["MessageAttributes"] = _forwardable(message["MessageAttributes"])
            target.send_message(**params)
            tap.delete_message(QueueUrl=tap_url, ReceiptHandle=message["ReceiptHandle"])
            with self._lock:
                self.forwarded += 1
