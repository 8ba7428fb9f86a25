"""Resource rules on secure defaults (``(resource_type, props, context) -> list[str]``):
encryption, TLS, public access, arm64, log retention, batch failure reporting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.aws_types import (
    BUCKET_POLICY,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    LOG_GROUP,
    PUBLIC_ACCESS_BLOCK,
    QUEUE,
    QUEUE_POLICY,
    SSE_TYPES,
    TABLE,
    TOPIC,
    TOPIC_POLICY,
)
from policy.account_rules import arn_service
from policy.model import (
    BATCH_FAILURE_SOURCES,
    SSE_ALGORITHMS,
    STREAM_SOURCES,
    ResourceContext,
    as_list,
    get_path,
    is_unknown,
    named,
    parse_json,
    statements,
    truthy,
)

# --- resource rules --------------------------------------------------------------------------


def bucket_public_access_blocked(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """A bucket's public access block turns all four switches on."""
    if resource_type != PUBLIC_ACCESS_BLOCK:
        return []
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [f for f in flags if not is_unknown(props.get(f)) and not truthy(props.get(f))]
    if not off:
        return []
    return [
        f"{named(resource_type, context)}: {', '.join(off)} not true. Fix: set all four of "
        f"{', '.join(flags)} to true (components.bucket.PrivateBucket does)."
    ]


def bucket_encrypted(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """A bucket encryption configuration sets a default SSE algorithm."""
    if resource_type not in SSE_TYPES:
        return []
    rules = props.get("rules")
    if is_unknown(rules):
        return []
    algorithms = [
        get_path(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
        for rule in as_list(rules)
    ]
    if algorithms and all(is_unknown(a) or a in SSE_ALGORITHMS for a in algorithms):
        return []
    return [
        f"{named(resource_type, context)}: no default encryption (got {algorithms}). Fix: a "
        f"rule with apply_server_side_encryption_by_default.sse_algorithm one of "
        f"{', '.join(sorted(SSE_ALGORITHMS))}."
    ]


def bucket_policy_tls_only(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """A bucket policy denies every request made without TLS."""
    if resource_type != BUCKET_POLICY:
        return []
    return _tls_only(resource_type, props, context, "s3:*")


def queue_and_topic_policies_tls_only(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Queue and topic policies deny requests made without TLS."""
    if resource_type not in (QUEUE_POLICY, TOPIC_POLICY):
        return []
    actions = "sqs:*" if resource_type == QUEUE_POLICY else "sns:Publish"
    return _tls_only(resource_type, props, context, actions)


def _tls_only(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext, actions: str
) -> list[str]:
    if is_unknown(props.get("policy")):
        return []
    document = parse_json(props.get("policy"))
    if isinstance(document, Mapping) and _denies_insecure_transport(document):
        return []
    return [
        f"{named(resource_type, context)}: the policy does not deny requests without TLS. "
        f'Fix: add a Deny statement for {actions} with Condition {{"Bool": '
        '{"aws:SecureTransport": "false"}} (components.iam.deny_insecure_transport).'
    ]


def _denies_insecure_transport(document: Mapping[str, Any]) -> bool:
    for statement in statements(document):
        condition = get_path(statement, "Condition", "Bool", "aws:SecureTransport")
        values = [str(v).lower() for v in as_list(condition)]
        if statement.get("Effect") == "Deny" and values == ["false"]:
            return True
    return False


def queue_encrypted(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Queues are encrypted at rest (SQS-managed SSE or a KMS key)."""
    if resource_type != QUEUE:
        return []
    managed, key = props.get("sqsManagedSseEnabled"), props.get("kmsMasterKeyId")
    if truthy(managed) or is_unknown(managed) or key:
        return []
    return [
        f"{named(resource_type, context)}: not encrypted at rest. Fix: set "
        "sqs_managed_sse_enabled=True or kms_master_key_id (components.work_queue.WorkQueue does)."
    ]


def topic_encrypted(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Topics are encrypted with a KMS key."""
    if resource_type != TOPIC or props.get("kmsMasterKeyId"):
        return []
    return [
        f"{named(resource_type, context)}: not encrypted at rest. Fix: set kms_master_key_id to "
        "the service key (components.keys.ServiceKey), as EventTopic and AlarmTopic do."
    ]


def table_recoverable_and_encrypted(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Tables have point-in-time recovery and server-side encryption (KMS) turned on."""
    if resource_type != TABLE:
        return []
    missing = []
    for setting, path in (
        ("point_in_time_recovery", ("pointInTimeRecovery", "enabled")),
        ("server_side_encryption", ("serverSideEncryption", "enabled")),
    ):
        value = get_path(props, *path)
        if not is_unknown(value) and not truthy(value):
            missing.append(setting)
    if not missing:
        return []
    return [
        f"{named(resource_type, context)}: {' and '.join(missing)} not enabled. Fix: "
        f"{', '.join(f'{m}=...(enabled=True)' for m in missing)} (components.table.Table does)."
    ]


def function_is_arm64(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Functions run on Graviton (arm64)."""
    if resource_type != FUNCTION:
        return []
    architectures = props.get("architectures")
    if is_unknown(architectures) or as_list(architectures) == ["arm64"]:
        return []
    shown = as_list(architectures) or "default (x86_64)"
    return [
        f"{named(resource_type, context)}: architectures {shown}. "
        'Fix: architectures=["arm64"] (components.function.Function does).'
    ]


def log_group_has_retention(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Log groups expire their events."""
    if resource_type != LOG_GROUP:
        return []
    days = props.get("retentionInDays")
    if is_unknown(days) or (isinstance(days, int | float) and days > 0):
        return []
    return [
        f"{named(resource_type, context)}: no retention (events kept forever). Fix: set "
        "retention_in_days (marketplace:logRetentionDays)."
    ]


def event_source_reports_batch_item_failures(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Queue and stream mappings report partial batch failures; streams have an on-failure path."""
    if resource_type != EVENT_SOURCE_MAPPING:
        return []
    source = props.get("eventSourceArn")
    kind = arn_service(source) if isinstance(source, str) else None
    if kind is not None and kind not in BATCH_FAILURE_SOURCES:
        return []
    problems = []
    types = props.get("functionResponseTypes")
    if not is_unknown(types) and "ReportBatchItemFailures" not in as_list(types):
        problems.append(
            f"{named(resource_type, context)}: does not report batch item failures, so one "
            "bad record fails (and retries) its whole batch. Fix: "
            'function_response_types=["ReportBatchItemFailures"] and return batchItemFailures '
            "(Powertools BatchProcessor)."
        )
    is_stream = kind in STREAM_SOURCES or (kind is None and props.get("startingPosition"))
    on_failure = get_path(props, "destinationConfig", "onFailure", "destinationArn")
    if is_stream and not on_failure and not is_unknown(on_failure):
        problems.append(
            f"{named(resource_type, context)}: a stream mapping without an on-failure "
            "destination drops records that keep failing. Fix: destination_config.on_failure "
            "to a queue with an alarm (components.stream_source.StreamSource)."
        )
    return problems
