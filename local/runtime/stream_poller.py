"""DynamoDB stream event source mappings (``StreamPoller``), driven the way Lambda drives them.

Read each shard from ``startingPosition``, drop records no filter pattern matches (Lambda
event filtering), invoke in batches; a failure (function error, or the first
``batchItemFailures`` sequence number) retries the batch from that record up to
``maximumRetryAttempts`` times, then sends the record's description to the on-failure
destination queue and moves past it, as Lambda does. Shard order is kept: a failing record
blocks the records after it until it is retried or given up. One thread: shard order matters.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from local.runtime.event_filter import passes
from local.runtime.faults import Faults
from local.runtime.http_api import Invoker
from local.runtime.pollers import (
    MappingSpec,
    PollerThread,
    failed_item_ids,
)
from local.runtime.workers import Invocation


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


class StreamPoller(PollerThread):
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
