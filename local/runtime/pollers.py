"""Event source mappings driven the way Lambda drives them, one thread per mapping worker.

SQS (``SqsPoller``): long-poll up to ``batchSize`` messages, waiting up to
``maximumBatchingWindowInSeconds`` to fill the batch; invoke; then delete what succeeded. With
``ReportBatchItemFailures`` only the messages not named in ``batchItemFailures`` are deleted;
on a function error none are. What is not deleted becomes visible again after the queue's
visibility timeout and, after ``maxReceiveCount`` receives, the emulator's redrive moves it to
the DLQ (moto implements redrive; the runtime never moves messages itself).

DynamoDB streams (``StreamPoller``): read each shard from ``startingPosition``, drop records
no filter pattern matches (Lambda event filtering), invoke in batches; a failure (function
error, or the first ``batchItemFailures`` sequence number) retries the batch from that record
up to ``maximumRetryAttempts`` times, then sends the record's description to the on-failure
destination queue and moves past it, as Lambda does. Shard order is kept: a failing record
blocks the records after it until it is retried or given up.

Every wait is bounded (a second or less) so ``stop()`` returns promptly.

Fault injection (local only, off by default): with a ``Faults`` switch (faults.py) the
pollers fail, delay, duplicate, reorder or hold back records around the unchanged handler,
and pause a consumer; without one, or with its plan off, they behave exactly as above.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local.runtime.faults import PAUSE_CHECK_SECONDS, Faults, SqsDecision
from local.runtime.http_api import Invoker
from local.runtime.workers import Invocation

POLL_WAIT_SECONDS = 1
"""Long-poll wait of one receive: bounds how long ``stop()`` takes."""
ERROR_BACKOFF_SECONDS = 0.5


# -- Lambda event filtering ------------------------------------------------------------------


def matches(pattern: Any, value: Any) -> bool:
    """Does ``value`` match an event filter ``pattern`` (the EventBridge pattern subset)?"""
    if isinstance(pattern, Mapping):
        if not isinstance(value, Mapping):
            return False
        return all(
            _field_matches(rule, name in value, value.get(name)) for name, rule in pattern.items()
        )
    return _leaf_matches(pattern, value)


def _field_matches(rule: Any, present: bool, value: Any) -> bool:
    if isinstance(rule, Mapping):
        return present and matches(rule, value)
    if isinstance(rule, list):
        for option in rule:
            if isinstance(option, Mapping) and "exists" in option:
                if bool(option["exists"]) == present:
                    return True
            elif present and _leaf_matches(option, value):
                return True
        return False
    return present and _leaf_matches(rule, value)


def _leaf_matches(option: Any, value: Any) -> bool:
    if isinstance(value, list):
        return any(_leaf_matches(option, item) for item in value)
    if isinstance(option, Mapping):
        if "prefix" in option:
            return isinstance(value, str) and value.startswith(option["prefix"])
        if "suffix" in option:
            return isinstance(value, str) and value.endswith(option["suffix"])
        if "anything-but" in option:
            excluded = option["anything-but"]
            excluded = excluded if isinstance(excluded, list) else [excluded]
            return value not in excluded
        if "equals-ignore-case" in option:
            return (
                isinstance(value, str)
                and value.lower() == str(option["equals-ignore-case"]).lower()
            )
        raise ValueError(f"unsupported filter operator {sorted(option)}")
    return option == value


def parse_filters(filter_criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The recorded ``filterCriteria.filters[].pattern`` (JSON text) as dicts."""
    patterns = []
    for entry in (filter_criteria or {}).get("filters") or []:
        pattern = entry.get("pattern")
        patterns.append(json.loads(pattern) if isinstance(pattern, str) else dict(pattern or {}))
    return patterns


def passes(filters: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """No filters: everything passes; otherwise any one pattern must match."""
    return not filters or any(matches(p, record) for p in filters)


def _sqs_filter_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """Lambda matches SQS filters against the record with a JSON body parsed."""
    view = dict(record)
    with contextlib.suppress(TypeError, ValueError):
        view["body"] = json.loads(record.get("body", ""))
    return view


# -- shared ------------------------------------------------------------------------------


@dataclass
class MappingSpec:
    """A recorded ``aws:lambda/eventSourceMapping:EventSourceMapping`` (what the pollers use)."""

    name: str
    source_arn: str
    function_name: str
    batch_size: int = 10
    batching_window_seconds: float = 0.0
    report_item_failures: bool = False
    filters: list[dict[str, Any]] = field(default_factory=list)
    concurrency: int = 1
    starting_position: str = "TRIM_HORIZON"
    maximum_retry_attempts: int = -1
    on_failure_arn: str | None = None

    @classmethod
    def from_inputs(cls, name: str, inputs: Mapping[str, Any]) -> MappingSpec:
        failure = ((inputs.get("destinationConfig") or {}).get("onFailure") or {}).get(
            "destinationArn"
        )
        retries = inputs.get("maximumRetryAttempts")
        return cls(
            name=name,
            source_arn=inputs["eventSourceArn"],
            function_name=str(inputs["functionName"]).rsplit(":", 1)[-1],
            batch_size=int(inputs.get("batchSize") or 10),
            batching_window_seconds=float(inputs.get("maximumBatchingWindowInSeconds") or 0),
            report_item_failures="ReportBatchItemFailures"
            in (inputs.get("functionResponseTypes") or []),
            filters=parse_filters(inputs.get("filterCriteria")),
            concurrency=int((inputs.get("scalingConfig") or {}).get("maximumConcurrency") or 1),
            starting_position=str(inputs.get("startingPosition") or "TRIM_HORIZON"),
            maximum_retry_attempts=-1 if retries is None else int(retries),
            on_failure_arn=failure,
        )


def failed_item_ids(invocation: Invocation, all_ids: Sequence[str], partial: bool) -> set[str]:
    """Which records failed: all on an error; the reported ones with ReportBatchItemFailures.

    As in Lambda, a malformed partial response (not a dict, an unknown or empty identifier)
    fails the whole batch.
    """
    if not invocation.ok:
        return set(all_ids)
    if not partial:
        return set()
    result = invocation.result
    if result is None:
        return set()
    if not isinstance(result, Mapping):
        return set(all_ids)
    failures = result.get("batchItemFailures") or []
    ids = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in all_ids:
            return set(all_ids)
        ids.add(identifier)
    return ids


class _PollerThread:
    def __init__(self, name: str, log: Callable[[str], None] | None, faults: Faults | None):
        self.name = name
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._log = log or (lambda line: None)
        self._faults = faults
        self.invocations = 0
        self.errors = 0

    def start(self, count: int = 1) -> None:
        for index in range(max(1, count)):
            thread = threading.Thread(target=self._run, name=f"{self.name}-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._faults is not None and self._faults.paused(self.name):
                self._stop.wait(PAUSE_CHECK_SECONDS)  # a stopped consumer: nothing is received
                continue
            try:
                self.poll_once()
            except Exception as error:  # a poller must survive emulator hiccups
                self.errors += 1
                if not self._stop.is_set():
                    self._log(f"{self.name}: poll error {type(error).__name__}: {error}")
                self._stop.wait(ERROR_BACKOFF_SECONDS)

    def poll_once(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


# -- SQS -----------------------------------------------------------------------------------


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


class SqsPoller(_PollerThread):
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
        kept = [r for r in records if passes(self.spec.filters, _sqs_filter_view(r))]
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


# -- DynamoDB streams ------------------------------------------------------------------------


def stream_record(raw: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A stream record as Lambda delivers it (epoch creation time, source ARN, region)."""
    record = json.loads(json.dumps(raw, default=str))
    dynamodb = dict(record.get("dynamodb") or {})
    created = (raw.get("dynamodb") or {}).get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    record["dynamodb"] = dynamodb
    record["eventSourceARN"] = stream_arn
    record["awsRegion"] = region
    return record


class StreamPoller(_PollerThread):
    """Drives one DynamoDB stream event source mapping (one thread: shard order matters)."""

    def __init__(
        self,
        spec: MappingSpec,
        streams: Any,
        function: Invoker,
        region: str,
        sqs: Any | None = None,
        log: Callable[[str], None] | None = None,
        faults: Faults | None = None,
    ):
        super().__init__(spec.name, log, faults)
        self.spec = spec
        self._streams = streams
        self._function = function
        self._region = region
        self._sqs = sqs
        self._iterators: dict[str, str | None] = {}
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._attempts: dict[str, int] = {}
        self.given_up: list[dict[str, Any]] = []

    def start(self, count: int | None = None) -> None:
        super().start(1)

    def poll_once(self) -> None:
        self._discover_shards()
        busy = False
        for shard in list(self._iterators):
            busy |= self._poll_shard(shard)
        if not busy:
            self._stop.wait(0.2)

    def _discover_shards(self) -> None:
        description = self._streams.describe_stream(StreamArn=self.spec.source_arn)
        position = "LATEST" if self.spec.starting_position == "LATEST" else "TRIM_HORIZON"
        for shard in description["StreamDescription"].get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id in self._iterators:
                continue
            iterator = self._streams.get_shard_iterator(
                StreamArn=self.spec.source_arn, ShardId=shard_id, ShardIteratorType=position
            )["ShardIterator"]
            self._iterators[shard_id] = iterator
            self._pending[shard_id] = []

    def _poll_shard(self, shard: str) -> bool:
        pending = self._pending[shard]
        iterator = self._iterators[shard]
        if len(pending) < self.spec.batch_size and iterator:
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            self._iterators[shard] = response.get("NextShardIterator")
            for raw in response.get("Records", []):
                record = stream_record(raw, self.spec.source_arn, self._region)
                if passes(self.spec.filters, record):
                    pending.append(record)
        if not pending:
            return False
        batch = pending[: self.spec.batch_size]
        ids = [r["dynamodb"]["SequenceNumber"] for r in batch]
        invocation, failed, duplicates = self._invoke_batch(batch, ids)
        if not failed:
            del pending[: len(batch)]
            pending[0:0] = duplicates  # fault ``duplicate``: delivered again, next batch
            return True
        first = min(ids.index(i) for i in failed)
        del pending[:first]  # records before the first failure are checkpointed
        self._retry_or_give_up(shard, pending, invocation)
        return True

    def _invoke_batch(
        self, batch: list[dict[str, Any]], ids: list[str]
    ) -> tuple[Invocation, set[str], list[dict[str, Any]]]:
        """Invoke (around injected faults): the outcome, failed sequence numbers, duplicates."""
        if self._faults is None:
            invocation = self._function.invoke({"Records": batch})
            self.invocations += 1
            return invocation, failed_item_ids(invocation, ids, self.spec.report_item_failures), []
        decision = self._faults.decide_stream(self.name, batch)
        handled = batch if decision.fail_at is None else batch[: decision.fail_at]
        invocation = Invocation(True)
        failed: set[str] = set()
        if handled:
            invocation = self._function.invoke({"Records": handled})
            self.invocations += 1
            handled_ids = ids[: len(handled)]
            failed = failed_item_ids(invocation, handled_ids, self.spec.report_item_failures)
        if decision.fail_at is not None and not failed:
            failed = {ids[decision.fail_at]}
            invocation = Invocation(
                False, error_type="InjectedFault", error_message=f"{decision.reason} (faults.py)"
            )
        elif decision.crash and not failed:
            failed = set(decision.crash)
            invocation = Invocation(
                False, error_type="InjectedFault", error_message="crash after handling"
            )
        return invocation, failed, decision.duplicate if not failed else []

    def _retry_or_give_up(
        self, shard: str, pending: list[dict[str, Any]], invocation: Invocation
    ) -> None:
        record = pending[0]
        sequence = record["dynamodb"]["SequenceNumber"]
        attempts = self._attempts.get(sequence, 0) + 1
        self._attempts[sequence] = attempts
        limit = self.spec.maximum_retry_attempts
        self._log(
            f"{self.name}: record {sequence} failed ({invocation.describe()}), try {attempts}"
        )
        if limit < 0 or attempts <= limit:
            self._stop.wait(min(0.2 * attempts, 1.0))
            return
        pending.pop(0)
        self._attempts.pop(sequence, None)
        self.given_up.append(record)
        self._send_to_failure_destination(shard, record, attempts, invocation)

    def _send_to_failure_destination(
        self, shard: str, record: Mapping[str, Any], attempts: int, invocation: Invocation
    ) -> None:
        if not self.spec.on_failure_arn or self._sqs is None:
            return
        name = self.spec.on_failure_arn.rsplit(":", 1)[-1]
        queue_url = self._sqs.get_queue_url(QueueName=name)["QueueUrl"]
        sequence = record["dynamodb"]["SequenceNumber"]
        body = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.spec.function_name,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {"functionError": invocation.error_type or "PartialFailure"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": sequence,
                "endSequenceNumber": sequence,
                "batchSize": 1,
                "streamArn": self.spec.source_arn,
            },
        }
        self._sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))
