"""The organisation's rules as plain functions: the policy pack runs them, tests call them.

Two kinds of rule:

- resource rules ``(resource_type, props, context) -> list[str]`` look at one resource;
- stack rules ``(resources, stack) -> list[Violation]`` look at how resources fit together
  (every bucket has a public access block, every queue a DLQ, every function a log group).

``props`` are what Pulumi hands a policy: the resource's inputs (stack rules: its outputs)
with camelCase keys (``sqsManagedSseEnabled``), numbers as floats, JSON documents as
strings: the same shape as the inputs recorded by ``local.program`` under mocks. During a
preview, values that depend on resources not created yet are unknown; the engine adapter
(``policy/__main__.py``) turns them into ``UNKNOWN`` and a rule skips what it cannot know.
``pulumi up`` runs the rules again once every input is known.

Every message names the resource and says how to fix it.

"Own account" comes from the stack's configuration (the policy engine passes the stack's
config to the pack): the service's account in ``marketplace:accounts``, the producer topics
its service subscribes to (event catalogue + ``components.naming``), and the consumer
accounts that may subscribe to its topic. The same functions the program uses compute them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from components.aws_types import (
    AWS_PROVIDER,
    BUCKET_POLICY,
    EVENT_INVOKE_CONFIG,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    KMS_KEY,
    LOG_GROUP,
    PERMISSION,
    PUBLIC_ACCESS_BLOCK,
    QUEUE,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
    SSE_TYPES,
    TABLE,
    TOPIC,
    TOPIC_SUBSCRIPTION,
)
from policy.account_rules import (
    CONSUMER_ACTIONS,
    LAMBDA_PRINCIPAL,
    ResourceCheck,
    arn_service,
    cors_configured_origins_only,
    no_wildcard_actions,
    principal_problems,
    provider_assumes_deploy_role,
    required_tags,
    resource_star_only_where_needed,
    resources_in_own_account,
    roles_carry_permissions_boundary,
    roles_trust_lambda_in_own_account,
)
from policy.model import (
    ACCOUNT_ID,
    ARN,
    BATCH_FAILURE_SOURCES,
    BROAD_MANAGED_POLICIES,
    REQUIRED_TAGS,
    SSE_ALGORITHMS,
    STREAM_SOURCES,
    SYNCHRONOUS_INVOKERS,
    TAGGABLE_TYPES,
    UNKNOWN,
    ResourceContext,
    StackContext,
    StackResource,
    Violation,
    as_list,
    get_path,
    is_unknown,
    named,
    parse_json,
    parse_list,
    policy_documents,
    stack_context,
    statement_label,
    statements,
    truthy,
)
from policy.resource_rules import (
    bucket_encrypted,
    bucket_policy_tls_only,
    bucket_public_access_blocked,
    event_source_reports_batch_item_failures,
    function_is_arm64,
    log_group_has_retention,
    queue_and_topic_policies_tls_only,
    queue_encrypted,
    table_recoverable_and_encrypted,
    topic_encrypted,
)
from policy.stack_rules import (
    StackCheck,
    asynchronous_functions_have_failure_path,
    buckets_are_protected,
    functions_have_log_groups,
    one_explicit_provider,
    queues_have_dead_letter_queues,
    service_has_dashboard,
)


@dataclass(frozen=True)
class ResourceRule:
    """A rule on one resource at a time (a ``ResourceValidationPolicy`` in the pack)."""

    name: str
    description: str
    check: ResourceCheck
    stack_level: ClassVar[bool] = False


@dataclass(frozen=True)
class StackRule:
    """A rule on how a stack's resources fit together (a ``StackValidationPolicy``)."""

    name: str
    description: str
    check: StackCheck
    stack_level: ClassVar[bool] = True


RULES: tuple[ResourceRule | StackRule, ...] = (
    ResourceRule(
        "s3-public-access-blocked",
        "S3 public access blocks turn all four switches on.",
        bucket_public_access_blocked,
    ),
    ResourceRule(
        "s3-default-encryption",
        "S3 encryption configurations set a default algorithm.",
        bucket_encrypted,
    ),
    ResourceRule(
        "s3-policy-tls-only",
        "S3 bucket policies deny requests made without TLS.",
        bucket_policy_tls_only,
    ),
    StackRule(
        "s3-bucket-protected",
        "Every bucket has a public access block, default encryption and a TLS-only policy.",
        buckets_are_protected,
    ),
    ResourceRule("sqs-queue-encrypted", "SQS queues are encrypted at rest.", queue_encrypted),
    StackRule(
        "sqs-queue-has-dlq",
        "SQS queues redrive to a DLQ unless they are a DLQ or a failure destination themselves.",
        queues_have_dead_letter_queues,
    ),
    ResourceRule(
        "lambda-event-source-batch-failures",
        "Queue and stream event source mappings report "
        "batch item failures; stream mappings have an on-failure destination.",
        event_source_reports_batch_item_failures,
    ),
    ResourceRule(
        "sns-topic-encrypted", "SNS topics are encrypted with a KMS key.", topic_encrypted
    ),
    ResourceRule(
        "sqs-sns-policy-tls-only",
        "SQS queue and SNS topic policies deny requests made without TLS.",
        queue_and_topic_policies_tls_only,
    ),
    ResourceRule(
        "dynamodb-table-pitr-and-encryption",
        "DynamoDB tables have point-in-time recovery and server-side encryption.",
        table_recoverable_and_encrypted,
    ),
    ResourceRule("lambda-function-arm64", "Lambda functions run on arm64.", function_is_arm64),
    ResourceRule(
        "cloudwatch-log-group-retention", "Log groups set a retention.", log_group_has_retention
    ),
    StackRule(
        "lambda-function-log-group",
        "Every function logs to a log group of its stack.",
        functions_have_log_groups,
    ),
    StackRule(
        "lambda-async-failure-path",
        "Asynchronously invoked functions have a DLQ or an on-failure destination.",
        asynchronous_functions_have_failure_path,
    ),
    ResourceRule(
        "iam-no-wildcard-actions",
        "No IAM statement allows '*' or 'service:*' actions.",
        no_wildcard_actions,
    ),
    ResourceRule(
        "required-tags", "Taggable resources carry the service, env and team tags.", required_tags
    ),
    ResourceRule(
        "cors-configured-origins-only",
        "API and bucket CORS allow only the environment's web origins, never '*'.",
        cors_configured_origins_only,
    ),
    ResourceRule(
        "own-account-only",
        "Resources deploy to and refer to the stack's own account only, "
        "except the producer topics the service subscribes to.",
        resources_in_own_account,
    ),
    ResourceRule(
        "iam-resource-star-resourceless-only",
        "Allow statements name their resources; '*' only for actions without resource-level "
        "permissions (and in KMS key policies).",
        resource_star_only_where_needed,
    ),
    ResourceRule(
        "iam-role-trusts-lambda-own-account",
        "Roles are trusted only by Lambda (or CodeDeploy), on behalf of the stack's own account.",
        roles_trust_lambda_in_own_account,
    ),
    ResourceRule(
        "iam-role-permissions-boundary",
        "Every role carries the account's permissions boundary (bootstrap/).",
        roles_carry_permissions_boundary,
    ),
    ResourceRule(
        "aws-provider-deploy-role",
        "The AWS provider assumes the service's deploy role, in the environment's region.",
        provider_assumes_deploy_role,
    ),
    StackRule(
        "cloudwatch-service-dashboard",
        "Every service stack has its CloudWatch dashboard.",
        service_has_dashboard,
    ),
    StackRule(
        "aws-one-explicit-provider",
        "A stack has exactly one AWS provider; every AWS resource deploys through it.",
        one_explicit_provider,
    ),
)

__all__ = [
    "ACCOUNT_ID",
    "ARN",
    "AWS_PROVIDER",
    "BATCH_FAILURE_SOURCES",
    "BROAD_MANAGED_POLICIES",
    "BUCKET_POLICY",
    "CONSUMER_ACTIONS",
    "EVENT_INVOKE_CONFIG",
    "EVENT_SOURCE_MAPPING",
    "FUNCTION",
    "KMS_KEY",
    "LAMBDA_PRINCIPAL",
    "LOG_GROUP",
    "PERMISSION",
    "PUBLIC_ACCESS_BLOCK",
    "QUEUE",
    "REQUIRED_TAGS",
    "ROLE",
    "ROLE_POLICY_ATTACHMENT",
    "RULES",
    "SSE_ALGORITHMS",
    "SSE_TYPES",
    "STREAM_SOURCES",
    "SYNCHRONOUS_INVOKERS",
    "TABLE",
    "TAGGABLE_TYPES",
    "TOPIC",
    "TOPIC_SUBSCRIPTION",
    "UNKNOWN",
    "ResourceCheck",
    "ResourceContext",
    "ResourceRule",
    "StackCheck",
    "StackContext",
    "StackResource",
    "StackRule",
    "Violation",
    "arn_service",
    "as_list",
    "asynchronous_functions_have_failure_path",
    "bucket_encrypted",
    "bucket_policy_tls_only",
    "bucket_public_access_blocked",
    "buckets_are_protected",
    "cors_configured_origins_only",
    "event_source_reports_batch_item_failures",
    "function_is_arm64",
    "functions_have_log_groups",
    "get_path",
    "is_unknown",
    "log_group_has_retention",
    "named",
    "no_wildcard_actions",
    "one_explicit_provider",
    "parse_json",
    "parse_list",
    "policy_documents",
    "principal_problems",
    "provider_assumes_deploy_role",
    "queue_and_topic_policies_tls_only",
    "queue_encrypted",
    "queues_have_dead_letter_queues",
    "required_tags",
    "resource_star_only_where_needed",
    "resources_in_own_account",
    "roles_carry_permissions_boundary",
    "roles_trust_lambda_in_own_account",
    "stack_context",
    "statement_label",
    "statements",
    "table_recoverable_and_encrypted",
    "topic_encrypted",
    "truthy",
]
