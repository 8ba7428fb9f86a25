"""Upload records in the service table, and the one-slot outbox their transitions fill.

Why an outbox: a transition (DynamoDB) and its event (SNS) cannot commit together. Each
transition is one conditional write that also sets ``pendingEvent`` (+ the correlation id to
send it with); the event is published afterwards and ``pendingEvent`` removed. A crash between
the two leaves the debt on the record, and whoever next touches the upload (the redelivered
S3 notification, a repeated ``DELETE``) pays it before anything else. So every transition is
published at least once; a duplicate is only possible if the crash falls between the SNS
publish and the outbox clear, and it repeats the same ``revision``, which consumers treat as
already seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from services.contracts.envelope import Envelope, stable_event_id
from services.contracts.publisher import EventPublisher
from services.upload.uploads import (
    REVIEW_QUEUE,
    SORT_KEY,
    event_data,
    is_upload_id,
    owner_pk,
    upload_pk,
)

logger = Logger(child=True)


class UploadStore:
    """Reads and conditional writes of upload items (``table`` is a boto3 Table resource)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def create(self, item: Mapping[str, Any]) -> None:
        self.table.put_item(Item=dict(item), ConditionExpression="attribute_not_exists(pk)")

    def get(self, upload_id: str) -> dict[str, Any] | None:
        if not is_upload_id(upload_id):
            return None
        response = self.table.get_item(
            Key={"pk": upload_pk(upload_id), "sk": SORT_KEY}, ConsistentRead=True
        )
        item = response.get("Item")
        return _plain(item) if item else None

    def list_by_owner(
        self, owner_id: str, limit: int, start_key: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of the owner's uploads, newest first, and the key to continue from."""
        return self._page("gsi1", owner_pk(owner_id), False, limit, start_key)

    def list_review_queue(
        self, limit: int, start_key: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """One page of the uploads waiting in review, oldest first, and the key to continue."""
        return self._page("gsi2", REVIEW_QUEUE, True, limit, start_key)

    def _page(
        self,
        index: str,
        partition: str,
        forward: bool,
        limit: int,
        start_key: Mapping[str, Any] | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": f"{index}pk = :partition",
            "ExpressionAttributeValues": {":partition": partition},
            "ScanIndexForward": forward,
            "Limit": limit,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = dict(start_key)
        response = self.table.query(**kwargs)
        return [_plain(item) for item in response["Items"]], response.get("LastEvaluatedKey")

    def transition(
        self,
        record: Mapping[str, Any],
        status: str,
        changes: Mapping[str, Any],
        *,
        event_type: str | None,
        correlation_id: str,
        now: str,
    ) -> dict[str, Any] | None:
        """Move ``record`` to ``status`` if nobody changed it since it was read.

        ``event_type`` None: the transition owes no event (into IN_REVIEW). The review-queue
        keys (``gsi2*``) are removed unless ``changes`` sets them: leaving review leaves the
        queue. Returns the new record, or None when the condition failed (another writer won).
        """
        owed = {"pendingEvent": event_type, "pendingCorrelationId": correlation_id}
        values = {
            "status": status,
            "revision": record["revision"] + 1,
            "updatedAt": now,
            **(owed if event_type else {}),
            **changes,
        }
        # An upload that moved on is kept: drop the abandoned-upload TTL.
        removed = [name for name in ("expiration", "gsi2pk", "gsi2sk") if name not in values]
        names = {f"#f{i}": name for i, name in enumerate(values)}
        names |= {f"#r{i}": name for i, name in enumerate(removed)}
        assignments = ", ".join(f"#f{i} = :v{i}" for i in range(len(values)))
        removals = ", ".join(f"#r{i}" for i in range(len(removed)))
        attribute_values = {f":v{i}": value for i, value in enumerate(values.values())}
        attribute_values |= {":seen_status": record["status"], ":seen_revision": record["revision"]}
        try:
            response = self.table.update_item(
                Key={"pk": record["pk"], "sk": record["sk"]},
                UpdateExpression=f"SET {assignments} REMOVE {removals}",
                ConditionExpression="#f0 = :seen_status AND #f1 = :seen_revision",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return _plain(response["Attributes"])

    def clear_pending_event(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Remove the outbox entry, unless a newer transition has replaced it meanwhile."""
        try:
            self.table.update_item(
                Key={"pk": record["pk"], "sk": record["sk"]},
                UpdateExpression="REMOVE pendingEvent, pendingCorrelationId",
                ConditionExpression="revision = :revision AND pendingEvent = :event",
                ExpressionAttributeValues={
                    ":revision": record["revision"],
                    ":event": record["pendingEvent"],
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        return {
            k: v for k, v in record.items() if k not in ("pendingEvent", "pendingCorrelationId")
        }


def publish_pending(
    store: UploadStore, publisher: EventPublisher, record: Mapping[str, Any]
) -> Envelope | None:
    """Pay the event ``record`` owes, if any (see the module docstring); returns what was sent."""
    event_type = record.get("pendingEvent")
    if not event_type:
        return None
    envelope = publisher.publish(
        event_type,
        event_data(record, event_type),
        record.get("pendingCorrelationId"),
        event_id=stable_event_id(record["uploadId"], record["revision"], event_type),
    )
    store.clear_pending_event(record)
    logger.info(
        "event published",
        extra={"event_type": event_type, "event_id": envelope.id, "revision": record["revision"]},
    )
    return envelope


def _plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints (upload items hold no fractional numbers)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
