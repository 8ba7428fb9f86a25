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

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from components import aws_types
from components.aws_types import (
    AWS_PROVIDER,
    BUCKET_CORS,
    BUCKET_NOTIFICATION,
    BUCKET_POLICY,
    BUCKET_TYPES,
    EVENT_INVOKE_CONFIG,
    EVENT_SOURCE_MAPPING,
    EVENT_TARGET,
    FUNCTION,
    HTTP_API,
    KMS_KEY,
    LOG_GROUP,
    PERMISSION,
    PUBLIC_ACCESS_BLOCK,
    QUEUE,
    QUEUE_POLICY,
    REDRIVE_POLICY,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
    SSE_TYPES,
    TABLE,
    TOPIC,
    TOPIC_POLICY,
    TOPIC_SUBSCRIPTION,
)
from components.iam import RESOURCELESS_ACTIONS
from components.naming import parse_stack_name, topic_arn
from components.settings import load_settings
from services.contracts.catalogue import SERVICES, consumers_of


class _Unknown:
    """A value Pulumi cannot know during preview (an output of a resource not created yet)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown during preview>"


UNKNOWN = _Unknown()

REQUIRED_TAGS = ("service", "env", "team")


TAGGABLE_TYPES = frozenset(
    {
        HTTP_API,
        aws_types.HTTP_API_STAGE,
        aws_types.DISTRIBUTION,
        aws_types.EVENT_RULE,
        LOG_GROUP,
        aws_types.METRIC_ALARM,
        TABLE,
        aws_types.ECR_REPOSITORY,
        aws_types.IAM_POLICY,
        ROLE,
        aws_types.KMS_KEY,
        EVENT_SOURCE_MAPPING,
        FUNCTION,
        *BUCKET_TYPES,
        aws_types.SECRET,
        aws_types.STATE_MACHINE,
        TOPIC,
        QUEUE,
        aws_types.SSM_PARAMETER,
    }
)
"""Types that take ``tags``. A test checks every type the program tags is listed; a resource
of any other type is checked too as soon as it has ``tags``."""

SSE_ALGORITHMS = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
BROAD_MANAGED_POLICIES = frozenset(
    {
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/PowerUserAccess",
        "arn:aws:iam::aws:policy/IAMFullAccess",
    }
)
"""AWS managed policies that amount to ``*`` actions."""
SYNCHRONOUS_INVOKERS = frozenset(
    {"apigateway.amazonaws.com", "elasticloadbalancing.amazonaws.com", "cognito-idp.amazonaws.com"}
)
"""Principals that invoke a function synchronously: the caller sees the error, no DLQ needed.
Any other principal granted ``lambda:InvokeFunction`` (S3, SNS, EventBridge, ...) invokes
asynchronously, and Lambda drops the event after two retries unless there is a DLQ or an
on-failure destination. Event source mappings (SQS, streams) are neither: they poll, and
their failure path is the queue's DLQ or the mapping's on-failure destination."""
STREAM_SOURCES = ("dynamodb", "kinesis")
BATCH_FAILURE_SOURCES = ("sqs", "dynamodb", "kinesis")
ARN = re.compile(
    r"^arn:aws[\w-]*:(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.*)$"
)
ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class StackContext:
    """What the rules need to know about the stack being checked."""

    stack: str
    service: str
    env: str
    account: str
    region: str
    team: str
    producer_topics: frozenset[str] = frozenset()
    """Topic ARNs of the producers this service subscribes to: the only foreign resources."""
    consumer_accounts: frozenset[str] = frozenset()
    """Accounts allowed to subscribe to this service's events topic."""
    web_origins: frozenset[str] = frozenset()
    """Browser origins the environment allows CORS for (``marketplace:webOrigins``)."""
    deploy_role: str = ""
    """ARN of the role the stack's provider deploys as (``marketplace:deployRoleName``)."""


@dataclass(frozen=True)
class ResourceContext:
    """The resource a resource rule looks at, in its stack."""

    name: str
    stack: StackContext
    urn: str = ""
    provider: Mapping[str, Any] | None = None
    """The inputs of the provider the resource deploys with (``None``: none known)."""


@dataclass(frozen=True)
class StackResource:
    """One resource as a stack rule sees it: outputs, and which resources each input came from."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Input name -> URNs of the resources its value depends on (known even during preview)."""


@dataclass(frozen=True)
class Violation:
    urn: str
    message: str


def stack_context(stack: str, get: Callable[[str], Any]) -> StackContext:
    """The context of ``stack`` from its ``marketplace:*`` config (``get("accounts")``...)."""
    name = parse_stack_name(stack)
    settings = load_settings(name.env, get)
    spec = SERVICES[name.service]
    return StackContext(
        stack=stack,
        service=name.service,
        env=name.env,
        account=settings.account_of(name.service),
        region=settings.region,
        team=spec.team,
        producer_topics=frozenset(topic_arn(settings, p) for p in spec.consumes),
        consumer_accounts=frozenset(settings.account_of(c) for c in consumers_of(name.service)),
        web_origins=frozenset(settings.web_origins),
        deploy_role=settings.deploy_role_arn(name.service),
    )


# --- helpers ---------------------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def _label(resource_type: str, context: ResourceContext) -> str:
    return f"{context.name} ({resource_type})"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _json(value: Any) -> Any:
    """A JSON document given as text (as Pulumi passes policies) or already parsed."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _get(props: Mapping[str, Any], *path: str) -> Any:
    """``props[a][b]...``; ``None`` when missing, ``UNKNOWN`` when any step is unknown."""
    value: Any = props
    for key in path:
        if is_unknown(value):
            return UNKNOWN
        if isinstance(value, list) and value:
            value = value[0]
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def policy_documents(props: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, document) for every IAM-style policy document among ``props``."""
    for key in ("policy", "assumeRolePolicy"):
        document = _json(props.get(key))
        if isinstance(document, Mapping) and "Statement" in document:
            yield key, document
    for index, inline in enumerate(_as_list(props.get("inlinePolicies"))):
        document = _json(inline.get("policy")) if isinstance(inline, Mapping) else None
        if isinstance(document, Mapping) and "Statement" in document:
            yield f"inlinePolicies[{index}]", document


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]


def _statement_label(where: str, index: int, statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"{where} statement {sid!r}" if sid else f"{where} statement {index}"


def _parse_list(value: Any) -> Any:
    """Provider inputs that are lists arrive JSON-encoded (``'["111111111111"]'``)."""
    if isinstance(value, str):
        parsed = _json(value)
        return parsed if isinstance(parsed, list) else [value]
    return value


# --- resource rules --------------------------------------------------------------------------


def bucket_public_access_blocked(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """A bucket's public access block turns all four switches on."""
    if resource_type != PUBLIC_ACCESS_BLOCK:
        return []
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [f for f in flags if not is_unknown(props.get(f)) and not _truthy(props.get(f))]
    if not off:
        return []
    return [
        f"{_label(resource_type, context)}: {', '.join(off)} not true. Fix: set all four of "
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
        _get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm") for rule in _as_list(rules)
    ]
    if algorithms and all(is_unknown(a) or a in SSE_ALGORITHMS for a in algorithms):
        return []
    return [
        f"{_label(resource_type, context)}: no default encryption (got {algorithms}). Fix: a "
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
    document = _json(props.get("policy"))
    if isinstance(document, Mapping) and _denies_insecure_transport(document):
        return []
    return [
        f"{_label(resource_type, context)}: the policy does not deny requests without TLS. "
        f'Fix: add a Deny statement for {actions} with Condition {{"Bool": '
        '{"aws:SecureTransport": "false"}} (components.iam.deny_insecure_transport).'
    ]


def _denies_insecure_transport(document: Mapping[str, Any]) -> bool:
    for statement in statements(document):
        condition = _get(statement, "Condition", "Bool", "aws:SecureTransport")
        values = [str(v).lower() for v in _as_list(condition)]
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
    if _truthy(managed) or is_unknown(managed) or key:
        return []
    return [
        f"{_label(resource_type, context)}: not encrypted at rest. Fix: set "
        "sqs_managed_sse_enabled=True or kms_master_key_id (components.work_queue.WorkQueue does)."
    ]


def topic_encrypted(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Topics are encrypted with a KMS key."""
    if resource_type != TOPIC or props.get("kmsMasterKeyId"):
        return []
    return [
        f"{_label(resource_type, context)}: not encrypted at rest. Fix: set kms_master_key_id to "
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
        value = _get(props, *path)
        if not is_unknown(value) and not _truthy(value):
            missing.append(setting)
    if not missing:
        return []
    return [
        f"{_label(resource_type, context)}: {' and '.join(missing)} not enabled. Fix: "
        f"{', '.join(f'{m}=...(enabled=True)' for m in missing)} (components.table.Table does)."
    ]


def function_is_arm64(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Functions run on Graviton (arm64)."""
    if resource_type != FUNCTION:
        return []
    architectures = props.get("architectures")
    if is_unknown(architectures) or _as_list(architectures) == ["arm64"]:
        return []
    shown = _as_list(architectures) or "default (x86_64)"
    return [
        f"{_label(resource_type, context)}: architectures {shown}. "
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
        f"{_label(resource_type, context)}: no retention (events kept forever). Fix: set "
        "retention_in_days (marketplace:logRetentionDays)."
    ]


def event_source_reports_batch_item_failures(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Queue and stream mappings report partial batch failures; streams have an on-failure path."""
    if resource_type != EVENT_SOURCE_MAPPING:
        return []
    source = props.get("eventSourceArn")
    kind = _arn_service(source) if isinstance(source, str) else None
    if kind is not None and kind not in BATCH_FAILURE_SOURCES:
        return []
    problems = []
    types = props.get("functionResponseTypes")
    if not is_unknown(types) and "ReportBatchItemFailures" not in _as_list(types):
        problems.append(
            f"{_label(resource_type, context)}: does not report batch item failures, so one "
            "bad record fails (and retries) its whole batch. Fix: "
            'function_response_types=["ReportBatchItemFailures"] and return batchItemFailures '
            "(Powertools BatchProcessor)."
        )
    is_stream = kind in STREAM_SOURCES or (kind is None and props.get("startingPosition"))
    on_failure = _get(props, "destinationConfig", "onFailure", "destinationArn")
    if is_stream and not on_failure and not is_unknown(on_failure):
        problems.append(
            f"{_label(resource_type, context)}: a stream mapping without an on-failure "
            "destination drops records that keep failing. Fix: destination_config.on_failure "
            "to a queue with an alarm (components.stream_source.StreamSource)."
        )
    return problems


def _arn_service(value: str) -> str | None:
    match = ARN.match(value)
    return match["service"] if match else None


def no_wildcard_actions(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """No Allow statement grants ``*`` or ``service:*`` actions (or everything but some)."""
    problems = []
    for where, document in policy_documents(props):
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow":
                continue
            label = _statement_label(where, index, statement)
            if "NotAction" in statement:
                problems.append(
                    f"{_label(resource_type, context)}: {label} allows everything except "
                    "NotAction. Fix: list the actions it needs under Action."
                )
            for action in _as_list(statement.get("Action")):
                if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                    problems.append(
                        f"{_label(resource_type, context)}: {label} allows {action!r}. Fix: "
                        "name the actions it needs (components.iam.Statement rejects wildcards)."
                    )
    attached = [props.get("policyArn")] if resource_type == ROLE_POLICY_ATTACHMENT else []
    attached += _as_list(props.get("managedPolicyArns")) if resource_type == ROLE else []
    problems += [
        f"{_label(resource_type, context)}: attaches {arn}, which allows '*' actions. Fix: an "
        "inline policy naming the actions it needs."
        for arn in attached
        if arn in BROAD_MANAGED_POLICIES
    ]
    return problems


def required_tags(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Taggable resources carry service, env and team, with this stack's values.

    The tags come from the provider's default tags: its Check merges them with the resource's
    own ``tags`` into ``tagsAll`` (``local.program`` does the same under mocks). Where
    ``tagsAll`` is not there yet, the same merge is done here from the resource's provider.
    """
    tags = props.get("tagsAll")
    if tags is None:
        tags = _effective_tags(props.get("tags"), context.provider)
    if is_unknown(tags) or (
        resource_type not in TAGGABLE_TYPES and "tags" not in props and "tagsAll" not in props
    ):
        return []
    tags = tags if isinstance(tags, Mapping) else {}
    stack = context.stack
    expected = {"service": stack.service, "env": stack.env, "team": stack.team}
    missing = [key for key in REQUIRED_TAGS if not tags.get(key)]
    wrong = [
        f"{key}={tags[key]!r} (expected {expected[key]!r})"
        for key in REQUIRED_TAGS
        if tags.get(key) and not is_unknown(tags[key]) and tags[key] != expected[key]
    ]
    problems = []
    if missing:
        problems.append(
            f"{_label(resource_type, context)}: missing tags {', '.join(missing)}. Fix: create "
            "it with the stack's deployment provider, whose default tags (components.tagging) "
            "tag every resource; do not replace that provider."
        )
    if wrong:
        problems.append(
            f"{_label(resource_type, context)}: wrong tags {', '.join(wrong)}. Fix: leave these "
            "tags to the provider's default tags, components.tagging (team comes from "
            "services/contracts/catalogue.py); do not set them in the resource's tags."
        )
    return problems


def _effective_tags(own: Any, provider: Mapping[str, Any] | None) -> Any:
    """The provider's ``defaultTags.tags`` overlaid with the resource's own tags (as AWS does)."""
    if is_unknown(own):
        return own
    defaults = _json((provider or {}).get("defaultTags")) or {}
    default_tags = defaults.get("tags") if isinstance(defaults, Mapping) else None
    if is_unknown(default_tags):
        return default_tags
    return {
        **(default_tags if isinstance(default_tags, Mapping) else {}),
        **(own if isinstance(own, Mapping) else {}),
    }


def resources_in_own_account(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Everything deploys to, and refers to, the stack's own account (declared topics aside)."""
    stack = context.stack
    label = _label(resource_type, context)
    if resource_type == AWS_PROVIDER:
        return [f"{label}: {p}" for p in _provider_problems(props, stack)]
    problems = []
    if resource_type.startswith("aws:"):
        if context.provider is None:
            problems.append(
                f"{label}: no provider known. Fix: pass the stack's provider (opts) "
                "down to every resource; default providers are disabled."
            )
        else:
            problems += [
                f"{label}: its provider {p}" for p in _provider_problems(context.provider, stack)
            ]
    for where, arn in _foreign_arns(props, stack):
        problems.append(
            f"{label}: {where} refers to {arn}, outside account {stack.account}. Fix: only "
            "the producer topics this service subscribes to (services/contracts/catalogue.py) "
            "may be in another account; anything else must be this stack's own resource."
        )
    for where, problem in principal_problems(props, stack):
        problems.append(f"{label}: {where} {problem}")
    return problems


def _provider_problems(props: Mapping[str, Any], stack: StackContext) -> list[str]:
    problems = []
    allowed = _parse_list(props.get("allowedAccountIds"))
    if not is_unknown(allowed) and _as_list(allowed) != [stack.account]:
        problems.append(
            f"allows accounts {_as_list(allowed)}, not exactly [{stack.account!r}]. Fix: "
            "allowed_account_ids=[the service's account] (__main__.deployment_provider)."
        )
    roles = _parse_list(props.get("assumeRoles"))
    for role in _as_list(roles) if not is_unknown(roles) else []:
        arn = role.get("roleArn") if isinstance(role, Mapping) else None
        match = ARN.match(arn) if isinstance(arn, str) else None
        if match and match["account"] != stack.account:
            problems.append(
                f"assumes {arn}, outside account {stack.account}. Fix: assume the deployment "
                "role of the service's own account (marketplace:accounts, deployRoleName)."
            )
    return problems


def _foreign_arns(value: Any, stack: StackContext, where: str = "") -> Iterator[tuple[str, str]]:
    """(where, ARN) of every ARN outside the stack's account, principals excepted, and the
    consumer accounts' queues a topic's ``sns:Endpoint`` condition restricts subscribers to."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in ("tags", "tagsAll", "Principal", "NotPrincipal"):
                continue
            if key == "sns:Endpoint" and _consumer_queues(item, stack):
                continue
            yield from _foreign_arns(item, stack, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _foreign_arns(item, stack, f"{where}[{index}]")
    elif isinstance(value, str):
        if value.startswith(("{", "[")):
            parsed = _json(value)
            if isinstance(parsed, Mapping | list):
                yield from _foreign_arns(parsed, stack, where)
                return
        if _is_foreign(value, stack):
            yield where, value


def _consumer_queues(value: Any, stack: StackContext) -> bool:
    """``arn:aws:sqs:<region>:<consumer account>:*`` patterns only (a condition, not a grant)."""
    patterns = _as_list(value)
    matches = [ARN.match(p) if isinstance(p, str) else None for p in patterns]
    return bool(patterns) and all(
        m is not None and m["service"] == "sqs" and m["account"] in stack.consumer_accounts
        for m in matches
    )


def _is_foreign(value: str, stack: StackContext) -> bool:
    match = ARN.match(value)
    if not match:
        return False
    if match["service"] == "s3" and not match["account"]:
        bucket = match["rest"].split("/")[0]
        return bool(bucket) and bucket != "*" and not bucket.endswith(f"-{stack.account}")
    account = match["account"]
    if not ACCOUNT_ID.match(account) or account == stack.account:
        return False
    return not any(value == t or value.startswith(f"{t}:") for t in stack.producer_topics)


CONSUMER_ACTIONS = frozenset({"sns:Subscribe", "sns:GetTopicAttributes"})
"""What a producer's topic may grant its consumer accounts: subscribing their own queues,
and reading the topic (a consumer's `./dev preflight` checks it exists)."""


def principal_problems(props: Mapping[str, Any], stack: StackContext) -> Iterator[tuple[str, str]]:
    """Allow statements name own-account principals, or consumer accounts for CONSUMER_ACTIONS."""
    for where, document in policy_documents(props):
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow" or "Principal" not in statement:
                continue
            label = _statement_label(where, index, statement)
            principal = statement["Principal"]
            aws = principal.get("AWS") if isinstance(principal, Mapping) else principal
            for entry in _as_list(aws):
                problem = _principal_problem(entry, statement, stack)
                if problem:
                    yield label, problem


def _principal_problem(entry: Any, statement: Mapping[str, Any], stack: StackContext) -> str | None:
    if not isinstance(entry, str):
        return None
    if entry == "*":
        return (
            "allows any principal ('*'). Fix: name the principal: a service principal with an "
            "aws:SourceArn condition, or a role of this account."
        )
    match = ARN.match(entry)
    account = entry if ACCOUNT_ID.match(entry) else (match["account"] if match else "")
    if not ACCOUNT_ID.match(account) or account == stack.account:
        return None
    consumer_only = set(_as_list(statement.get("Action"))) <= CONSUMER_ACTIONS
    if consumer_only and account in stack.consumer_accounts:
        return None
    return (
        f"grants {entry} in account {account}. Fix: only the consumer accounts the event "
        "catalogue names may be granted, and only sns:Subscribe (their own queues) and "
        "sns:GetTopicAttributes on this service's topic."
    )


def cors_configured_origins_only(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """API and bucket CORS name only the environment's web origins, never ``*``."""
    allowed = context.stack.web_origins
    return [
        f"{_label(resource_type, context)}: CORS origin {origin!r} "
        f"{'allows any site' if '*' in str(origin) else 'is not in marketplace:webOrigins'}. "
        f"Fix: CORS only for marketplace:webOrigins "
        f"({', '.join(sorted(allowed)) or 'none set'}); components.cors builds it from them."
        for origin in _cors_origins(resource_type, props)
        if not is_unknown(origin) and origin not in allowed
    ]


def _cors_origins(resource_type: str, props: Mapping[str, Any]) -> list[Any]:
    if resource_type == HTTP_API:
        return _as_list(_get(props, "corsConfiguration", "allowOrigins"))
    rules = props.get("corsRules") if resource_type == BUCKET_CORS else None
    if is_unknown(rules):
        return []
    return [
        origin
        for rule in _as_list(rules)
        if isinstance(rule, Mapping)
        for origin in _as_list(rule.get("allowedOrigins"))
    ]


def resource_star_only_where_needed(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Allow statements name their resources; ``*`` only for actions that have none.

    KMS key policies are the exception: there ``Resource: "*"`` means the key itself.
    """
    if resource_type == KMS_KEY:
        return []
    problems = []
    for where, document in policy_documents(props):
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow" or "*" not in _as_list(statement.get("Resource")):
                continue
            actions = {a for a in _as_list(statement.get("Action")) if isinstance(a, str)}
            if actions <= RESOURCELESS_ACTIONS:
                continue
            problems.append(
                f"{_label(resource_type, context)}: {_statement_label(where, index, statement)} "
                f"allows {sorted(actions - RESOURCELESS_ACTIONS)} on resource '*'. Fix: name the "
                f"resources; '*' only for {', '.join(sorted(RESOURCELESS_ACTIONS))} "
                "(components.iam.Statement enforces it)."
            )
    return problems


LAMBDA_PRINCIPAL = {"Service": "lambda.amazonaws.com"}


def roles_trust_lambda_in_own_account(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Roles are function roles: one trust statement, Lambda, on behalf of the own account."""
    if resource_type != ROLE or is_unknown(props.get("assumeRolePolicy")):
        return []
    document = _json(props.get("assumeRolePolicy"))
    trust = statements(document) if isinstance(document, Mapping) else []
    account = context.stack.account
    fix = (
        "Fix: trust only lambda.amazonaws.com with Condition StringEquals aws:SourceAccount "
        f"{account!r} (components.iam.assume_role_policy)."
    )
    if len(trust) != 1 or trust[0].get("Principal") != LAMBDA_PRINCIPAL:
        principals = [s.get("Principal") for s in trust]
        return [f"{_label(resource_type, context)}: trusted by {principals}. {fix}"]
    source = _get(trust[0], "Condition", "StringEquals", "aws:SourceAccount")
    if is_unknown(source) or source == account:
        return []
    return [f"{_label(resource_type, context)}: Lambda may assume it for {source!r}. {fix}"]


def provider_assumes_deploy_role(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """The AWS provider deploys as the service's deploy role, in the environment's region."""
    if resource_type != AWS_PROVIDER:
        return []
    stack = context.stack
    label = _label(resource_type, context)
    problems = []
    roles = _parse_list(props.get("assumeRoles"))
    if not is_unknown(roles):
        arns = [r.get("roleArn") if isinstance(r, Mapping) else r for r in _as_list(roles)]
        if arns != [stack.deploy_role]:
            problems.append(
                f"{label}: assumes {arns}, not exactly [{stack.deploy_role!r}]. Fix: "
                "assume_roles=[the service's deploy role] (__main__.deployment_provider)."
            )
    region = props.get("region")
    if not is_unknown(region) and region != stack.region:
        problems.append(
            f"{label}: region {region!r}, not {stack.region!r}. Fix: the provider's region is "
            "marketplace:region (__main__.deployment_provider)."
        )
    return problems


ResourceCheck = Callable[[str, Mapping[str, Any], ResourceContext], list[str]]


# --- stack rules -----------------------------------------------------------------------------


def _identifiers(resource: StackResource) -> set[str]:
    """The strings other resources use to point at ``resource`` (name, ARN, id, URL...)."""
    keys = ("id", "arn", "name", "bucket", "url")
    return {v for k in keys if isinstance(v := resource.props.get(k), str) and v}


def _refers_to(source: StackResource, prop: str, value: Any, target: StackResource) -> bool:
    """``source.<prop>`` (whose value is ``value``) points at ``target``."""
    if target.urn and target.urn in source.property_dependencies.get(prop, ()):
        return True
    return isinstance(value, str) and value in _identifiers(target)


def _of_type(resources: Sequence[StackResource], *types: str) -> list[StackResource]:
    return [r for r in resources if r.type in types]


def buckets_are_protected(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """Every bucket has a public access block, a default encryption and a TLS-only policy."""
    companions = {
        "a public access block (aws.s3.BucketPublicAccessBlock)": (PUBLIC_ACCESS_BLOCK,),
        "a default encryption (aws.s3.BucketServerSideEncryptionConfiguration)": tuple(SSE_TYPES),
        "a TLS-only bucket policy (aws.s3.BucketPolicy)": (BUCKET_POLICY,),
    }
    violations = []
    for bucket in _of_type(resources, *BUCKET_TYPES):
        missing = [
            what
            for what, types in companions.items()
            if not any(
                _refers_to(r, "bucket", r.props.get("bucket"), bucket)
                for r in _of_type(resources, *types)
            )
        ]
        if missing:
            violations.append(
                Violation(
                    bucket.urn,
                    f"{bucket.name} ({bucket.type}): has no {'; no '.join(missing)}. Fix: "
                    "build buckets with components.bucket.PrivateBucket, which creates all three.",
                )
            )
    return violations


def queues_have_dead_letter_queues(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """Every queue redrives to a DLQ, unless it is itself a DLQ or an on-failure destination."""
    queues = _of_type(resources, QUEUE)
    violations = []
    for queue in queues:
        redrive = _redrive_of(queue, resources)
        if redrive is UNKNOWN or (redrive and _valid_redrive(redrive)):
            continue
        if _is_failure_target(queue, resources):
            continue
        problem = (
            "its redrive policy has no deadLetterTargetArn/maxReceiveCount" if redrive else "no DLQ"
        )
        violations.append(
            Violation(
                queue.urn,
                f"{queue.name} ({queue.type}): {problem}, so a message that keeps failing is "
                "retried until it expires and is lost. Fix: a redrive_policy to a DLQ with "
                "maxReceiveCount (components.work_queue.WorkQueue), with an alarm on the DLQ.",
            )
        )
    return violations


def _redrive_of(queue: StackResource, resources: Sequence[StackResource]) -> Any:
    """The queue's redrive policy (its own input or an aws.sqs.RedrivePolicy), parsed."""
    own = queue.props.get("redrivePolicy")
    if is_unknown(own):
        return UNKNOWN
    if own:
        return _json(own) or {}
    for separate in _of_type(resources, REDRIVE_POLICY):
        if _refers_to(separate, "queueUrl", separate.props.get("queueUrl"), queue):
            value = separate.props.get("redrivePolicy")
            return UNKNOWN if is_unknown(value) else (_json(value) or {})
    return None


def _valid_redrive(redrive: Mapping[str, Any]) -> bool:
    count = redrive.get("maxReceiveCount")
    return (
        bool(redrive.get("deadLetterTargetArn")) and isinstance(count, int | float) and count >= 1
    )


def _is_failure_target(queue: StackResource, resources: Sequence[StackResource]) -> bool:
    """Some queue dead-letters into ``queue``, or some mapping sends its failures there."""
    for other in _of_type(resources, QUEUE, REDRIVE_POLICY):
        if other is queue:
            continue
        redrive = other.props.get("redrivePolicy")
        target = (
            (_json(redrive) or {}).get("deadLetterTargetArn") if isinstance(redrive, str) else None
        )
        if _refers_to(other, "redrivePolicy", target, queue):
            return True
    for mapping in _of_type(resources, EVENT_SOURCE_MAPPING, EVENT_INVOKE_CONFIG):
        destination = _get(mapping.props, "destinationConfig", "onFailure", "destinationArn")
        if mapping.type == EVENT_INVOKE_CONFIG:
            destination = _get(mapping.props, "destinationConfig", "onFailure", "destination")
        if _refers_to(mapping, "destinationConfig", destination, queue):
            return True
    return False


def functions_have_log_groups(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """Every function logs to a log group this stack creates (retention set by another rule)."""
    groups = _of_type(resources, LOG_GROUP)
    violations = []
    for function in _of_type(resources, FUNCTION):
        configured = _get(function.props, "loggingConfig", "logGroup")
        name = function.props.get("name")
        default = f"/aws/lambda/{name}" if isinstance(name, str) else None
        if is_unknown(configured) or any(
            _refers_to(function, "loggingConfig", configured, group)
            or (configured is None and default and group.props.get("name") == default)
            for group in groups
        ):
            continue
        violations.append(
            Violation(
                function.urn,
                f"{function.name} ({function.type}): no log group of this stack receives its "
                "logs, so Lambda creates one that keeps logs forever. Fix: create "
                "/aws/lambda/<name> with retention and point logging_config.log_group at it "
                "(components.function.Function does).",
            )
        )
    return violations


def asynchronous_functions_have_failure_path(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """A function invoked asynchronously has a DLQ or an on-failure destination.

    "Asynchronously" = by a push service that does not wait for the result: any principal
    granted ``lambda:InvokeFunction`` other than API Gateway/ALB/Cognito, an SNS
    subscription with protocol ``lambda``, an S3 notification or an EventBridge target.
    Our functions are invoked by API Gateway (synchronous) or by event source mappings
    (polling: their failure path is the queue's DLQ or the mapping's on-failure queue,
    checked by the queue and mapping rules), so none is asynchronous today.
    """
    functions = _of_type(resources, FUNCTION)
    invokers: dict[str, list[str]] = {}
    for invoker, prop, value in _async_invocations(resources):
        for function in functions:
            if _refers_to(invoker, prop, value, function):
                invokers.setdefault(function.urn, []).append(f"{invoker.name} ({invoker.type})")
    violations = []
    for function in functions:
        if function.urn not in invokers or _has_async_failure_path(function, resources):
            continue
        violations.append(
            Violation(
                function.urn,
                f"{function.name} ({function.type}): invoked asynchronously by "
                f"{', '.join(invokers[function.urn])} but has no DLQ or on-failure destination, "
                "so Lambda drops events that fail twice. Fix: dead_letter_config.target_arn, or "
                "an aws.lambda_.FunctionEventInvokeConfig with destination_config.on_failure.",
            )
        )
    return violations


def _async_invocations(
    resources: Sequence[StackResource],
) -> Iterator[tuple[StackResource, str, Any]]:
    """(resource, input, value) for every asynchronous way of invoking a function."""
    for resource in resources:
        props = resource.props
        if resource.type == PERMISSION and props.get("principal") not in SYNCHRONOUS_INVOKERS:
            yield resource, "function", props.get("function")
        elif resource.type == TOPIC_SUBSCRIPTION and props.get("protocol") == "lambda":
            yield resource, "endpoint", props.get("endpoint")
        elif resource.type == BUCKET_NOTIFICATION:
            for target in _as_list(props.get("lambdaFunctions")):
                value = target.get("lambdaFunctionArn") if isinstance(target, Mapping) else None
                yield resource, "lambdaFunctions", value
        elif resource.type == EVENT_TARGET and _arn_service(str(props.get("arn"))) == "lambda":
            yield resource, "arn", props.get("arn")


def _has_async_failure_path(function: StackResource, resources: Sequence[StackResource]) -> bool:
    if _get(function.props, "deadLetterConfig", "targetArn"):
        return True
    for config in _of_type(resources, EVENT_INVOKE_CONFIG):
        if _refers_to(config, "functionName", config.props.get("functionName"), function) and _get(
            config.props, "destinationConfig", "onFailure", "destination"
        ):
            return True
    return False


def one_explicit_provider(
    resources: Sequence[StackResource], stack: StackContext
) -> list[Violation]:
    """The stack has exactly one AWS provider, so every resource deploys through it.

    (``own-account-only`` checks each AWS resource has a provider for the own account.)
    """
    providers = _of_type(resources, AWS_PROVIDER)
    if len(providers) == 1:
        return []
    return [
        Violation(
            stack.stack,
            f"{stack.stack}: {len(providers)} AWS providers "
            f"({', '.join(p.name for p in providers) or 'none'}), expected exactly one. Fix: "
            "create one aws.Provider (__main__.deployment_provider) and pass it to every "
            "resource; default providers are disabled.",
        )
    ]


StackCheck = Callable[[Sequence[StackResource], StackContext], list[Violation]]


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
        "Roles are trusted only by Lambda, on behalf of the stack's own account.",
        roles_trust_lambda_in_own_account,
    ),
    ResourceRule(
        "aws-provider-deploy-role",
        "The AWS provider assumes the service's deploy role, in the environment's region.",
        provider_assumes_deploy_role,
    ),
    StackRule(
        "aws-one-explicit-provider",
        "A stack has exactly one AWS provider; every AWS resource deploys through it.",
        one_explicit_provider,
    ),
)
