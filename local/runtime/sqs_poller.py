"""SQS event source mappings (``SqsPoller``), driven the way Lambda drives them.

Long-poll up to ``batchSize`` messages, waiting up to ``maximumBatchingWindowInSeconds`` to
fill the batch; drop what no filter pattern matches; invoke; then delete what succeeded. With
``ReportBatchItemFailures`` only the messages not named in ``batchItemFailures`` are deleted;
on a function error none are. What is not deleted becomes visible again after the queue's
visibility timeout and, after ``maxReceiveCount`` receives, the emulator's redrive moves it to
the DLQ (moto implements redrive; the runtime never moves messages itself).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from local.runtime.event_filter import passes, sqs_filter_view
from local.runtime.faults import Faults, SqsDecision
from local.runtime.http_api import Invoker
from local.runtime.pollers import (
    POLL_WAIT_SECONDS,
    MappingSpec,
    PollerThread,
    failed_item_ids,
)


def sqs_record(message: Mapping[str, Any], source_arn: str, region: str) -> dict[str, Any]:
    """An SQS message as Lambda puts it in the event (camelCase attribute values)."""
    attributes = {}
    for name, attr in (message.get("MessageAttributes") or {}).items():
        attributes[name] = {
            "stringValue": attr.get("StringValue"),
            "binaryValue": attr.get("BinaryValue"),
            "stringListValues": attr.get("StringListValues", []),
            "binaryListValues": attr.get("BinaryListValues", []),
            "dataType": attr.get("DataType", "String"),
        }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": region,
    }


def sendable_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """A record's (camelCase) message attributes in the shape ``SendMessage`` takes."""
    result = {}
    for name, attribute in attributes.items():
        value = {"DataType": attribute.get("dataType") or "String"}
        for source, target in (("stringValue", "StringValue"), ("binaryValue", "BinaryValue")):
            if attribute.get(source) is not None:
                value[target] = attribute[source]
        result[name] = value
    return result


class SqsPoller(PollerThread):
    """Drives one SQS event source mapping with the consumer account's SQS client."""

    def __init__(
        self,
        spec: MappingSpec,
        queue_url: str,
        sqs: Any,
        function: Invoker,
        region: str,
        log: Callable[[str], None] | None = None,
        faults: Faults | None = None,
    ):
        super().__init__(spec.name, log, faults)
        self.spec = spec
        self.queue_url = queue_url
        self._sqs = sqs
        self._function = function
        self._region = region

    def start(self, count: int | None = None) -> None:
        super().start(self.spec.concurrency if count is None else count)

    def poll_once(self) -> None:
        messages = self._collect()
        if not messages:
            return
        records = [sqs_record(m, self.spec.source_arn, self._region) for m in messages]
        kept = [r for r in records if passes(self.spec.filters, sqs_filter_view(r))]
        dropped = [r for r in records if r not in kept]
        self._delete(dropped)  # Lambda deletes messages that match no filter
        if not kept:
            return
        decision = (
            self._faults.decide_sqs(self.name, kept) if self._faults else SqsDecision(invoke=kept)
        )
        self._send_copies(decision.duplicate)
        failed = {r["messageId"] for r in decision.held}
        if decision.invoke:
            invocation = self._function.invoke({"Records": decision.invoke})
            self.invocations += 1
            ids = [r["messageId"] for r in decision.invoke]
            failed |= failed_item_ids(invocation, ids, self.spec.report_item_failures)
            failed |= decision.crash
            description = invocation.describe()
        else:
            description = "not invoked"
        injected = len(decision.held) + len(decision.crash)
        if injected:
            description += f"; {injected} by injected faults"
        if failed:
            self.errors += 1
            self._log(
                f"{self.name}: {len(failed)}/{len(kept)} message(s) failed "
                f"({description}); left for redelivery"
            )
        self._delete([r for r in kept if r["messageId"] not in failed])
        self._retry_soon([r for r in kept if r["messageId"] in failed])

    def _send_copies(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Fault ``duplicate``: the message once more, as SNS's at-least-once delivery does."""
        for record in records:
            params: dict[str, Any] = {"QueueUrl": self.queue_url, "MessageBody": record["body"]}
            attributes = sendable_attributes(record.get("messageAttributes") or {})
            if attributes:
                params["MessageAttributes"] = attributes
            self._sqs.send_message(**params)

    def _retry_soon(self, records: Sequence[Mapping[str, Any]]) -> None:
        """While faults are on, failed records come back after ``retry_after`` seconds."""
        seconds = self._faults.retry_after(self.name) if self._faults else None
        if seconds is None or not records:
            return
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            self._sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": r["receiptHandle"],
                        "VisibilityTimeout": max(0, round(seconds)),
                    }
                    for i, r in enumerate(chunk)
                ],
            )

    def _collect(self) -> list[dict[str, Any]]:
        """One batch: up to ``batch_size`` messages, waiting at most the batching window."""
        messages: list[dict[str, Any]] = []
        deadline: float | None = None
        while not self._stop.is_set():
            wait = float(POLL_WAIT_SECONDS)
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    break
            response = self._sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.spec.batch_size - len(messages)),
                WaitTimeSeconds=int(wait),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            messages.extend(received)
            if not messages or len(messages) >= self.spec.batch_size:
                break
            if deadline is None:
                deadline = time.monotonic() + self.spec.batching_window_seconds
            if not received and int(wait) == 0:
                self._stop.wait(0.05)
        return messages

    def _delete(self, records: Sequence[Mapping[str, Any]]) -> None:
        for start in range(0, len(records), 10):
            chunk = records[start : start + 10]
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]} for i, r in enumerate(chunk)
                ],
            )
