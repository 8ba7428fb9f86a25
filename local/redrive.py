"""Dead-letter queues of the local environment: their depth, their alarms, and redrive.

A message that keeps failing is parked by SQS in its queue's DLQ (the redrive policy's
``maxReceiveCount``), and the DLQ-depth alarm the components declare goes off. Once the
cause is fixed, ``redrive`` moves the parked messages back to the queue they came from, where
the consumer picks them up as new deliveries (a fresh receive count; same body and message
attributes, so the same envelope id: idempotent consumers apply it once).

moto has no ``StartMessageMoveTask`` (what ``aws sqs start-message-move-task`` uses), so the
move is receive -> send to the source -> delete from the DLQ, at most the depth measured at
the start (a message failing again cannot make it loop).

Stream failure queues (``...-completion-failures``) hold the coordinates of stream records a
mapping gave up on, not the records: they are listed but not moved (docs/reliability.md).

``python -m local redrive`` (list), ``--queue NAME`` or ``--all``, against the running ``up``
(its ``.local/graph.json``); the tests call ``redrive(graph, ...)``.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components import aws_types
from local.graph import Graph

T_QUEUE = aws_types.QUEUE
T_ALARM = aws_types.METRIC_ALARM
RECEIVE_VISIBILITY_SECONDS = 30
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": operator.gt,
    "GreaterThanOrEqualToThreshold": operator.ge,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


@dataclass(frozen=True)
class DeadLetterQueue:
    """A DLQ (or a stream mapping's failure queue) and where its messages came from."""

    name: str
    url: str
    account: str
    source_name: str | None
    """The queue whose redrive policy targets this one; None for a stream failure queue."""
    source_url: str | None
    alarm: Mapping[str, Any] | None
    """The recorded depth alarm's inputs (threshold, comparison), if one was declared."""

    @property
    def redrivable(self) -> bool:
        return self.source_url is not None


def dead_letter_queues(graph: Graph) -> list[DeadLetterQueue]:
    """Every queue that is a DLQ or has a depth alarm and no redrive policy, by name."""
    queues = [r for stack in graph.stacks for r in graph.of_type(stack, T_QUEUE)]
    alarms = {
        (a["inputs"].get("dimensions") or {}).get("QueueName"): a["inputs"]
        for stack in graph.stacks
        for a in graph.of_type(stack, T_ALARM)
        if a["inputs"].get("namespace") == "AWS/SQS"
    }
    sources = {}
    for queue in queues:
        policy = queue["inputs"].get("redrivePolicy")
        if policy:
            target = json.loads(policy)["deadLetterTargetArn"]
            sources[target.rsplit(":", 1)[-1]] = queue
    found = []
    for queue in queues:
        name = _queue_name(queue)
        source = sources.get(name)
        if source is None and name not in alarms:
            continue
        if queue["inputs"].get("redrivePolicy"):
            continue  # a work queue with an alarm of its own is not a DLQ
        found.append(
            DeadLetterQueue(
                name=name,
                url=queue["outputs"]["url"],
                account=queue["account"],
                source_name=_queue_name(source) if source else None,
                source_url=source["outputs"]["url"] if source else None,
                alarm=alarms.get(name),
            )
        )
    return sorted(found, key=lambda q: q.name)


def _queue_name(queue: Mapping[str, Any]) -> str:
    return str(queue["inputs"].get("name") or queue["outputs"]["url"].rsplit("/", 1)[-1])


def depth(graph: Graph, queue: DeadLetterQueue) -> int:
    """Messages in the queue, visible and in flight (the alarm's metric: the visible ones)."""
    attributes = graph.client("sqs", queue.account).get_queue_attributes(
        QueueUrl=queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def alarm_firing(queue: DeadLetterQueue, messages: int) -> bool:
    """Would the recorded depth alarm be in ALARM with ``messages`` in the queue?"""
    if not queue.alarm:
        return False
    compare = COMPARISONS[queue.alarm.get("comparisonOperator", "GreaterThanThreshold")]
    return compare(messages, float(queue.alarm.get("threshold", 0)))


def select(queues: Sequence[DeadLetterQueue], name: str) -> list[DeadLetterQueue]:
    """The DLQs whose own or source name contains ``name``; ``KeyError`` naming the choices."""
    chosen = [q for q in queues if name in q.name or (q.source_name and name in q.source_name)]
    if not chosen:
        names = ", ".join(q.name for q in queues)
        raise KeyError(f"no dead-letter queue matches {name!r} (have: {names})")
    return chosen


def redrive(graph: Graph, queue: DeadLetterQueue) -> int:
    """Move the DLQ's messages back to their source queue; returns how many were moved."""
    if queue.source_url is None:
        raise ValueError(f"{queue.name} is a stream failure queue: there is no queue to move to")
    sqs = graph.client("sqs", queue.account)
    budget = depth(graph, queue)
    moved = 0
    while moved < budget:
        messages = sqs.receive_message(
            QueueUrl=queue.url,
            MaxNumberOfMessages=min(10, budget - moved),
            VisibilityTimeout=RECEIVE_VISIBILITY_SECONDS,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            params: dict[str, Any] = {"QueueUrl": queue.source_url, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                params["MessageAttributes"] = _sendable(message["MessageAttributes"])
            sqs.send_message(**params)
            sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved


def _sendable(attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    keys = ("DataType", "StringValue", "BinaryValue")
    return {name: {k: v[k] for k in keys if v.get(k)} for name, v in attributes.items()}


def report(graph: Graph, queues: Sequence[DeadLetterQueue]) -> list[str]:
    """One line per DLQ: depth, alarm state, source."""
    lines = []
    for queue in queues:
        messages = depth(graph, queue)
        state = "ALARM" if alarm_firing(queue, messages) else "ok"
        source = f"<- {queue.source_name}" if queue.source_name else "(stream failures)"
        lines.append(f"{queue.name:<52} {messages:>4} message(s)  {state:<5}  {source}")
    return lines
