"""What the rules look at: contexts, constants, and helpers to read props and policies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from components import aws_types
from components.aws_types import (
    BUCKET_TYPES,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    HTTP_API,
    LOG_GROUP,
    QUEUE,
    ROLE,
    TABLE,
    TOPIC,
)
from components.naming import parse_stack_name, topic_arn
from components.settings import MONITORING, load_settings
from services.contracts.catalogue import PLATFORM_TEAM, SERVICES, ServiceSpec, consumers_of


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
        aws_types.CODEDEPLOY_APPLICATION,
        aws_types.DEPLOYMENT_GROUP,
        aws_types.DISTRIBUTION,
        aws_types.CLOUDFRONT_FUNCTION,
        aws_types.BUCKET_OBJECT,
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
    monitoring_sink: str = ""
    """The monitoring account's OAM sink the service links to (``marketplace:monitoring``)."""
    linking_accounts: frozenset[str] = frozenset()
    """Accounts the monitoring stack's sink admits: the environment's service accounts."""
    foreign_roles: frozenset[str] = frozenset()
    """Roles in other accounts the settings declare the service's functions may assume (the
    notification service's address lookup role in the identity account)."""
    permissions_boundary: str = ""
    """ARN of the boundary every role of the stack carries (``permissionsBoundaryName``)."""


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
    # The monitoring stack is the platform team's and subscribes to nothing.
    spec = SERVICES.get(name.service) or ServiceSpec(name.service, PLATFORM_TEAM)
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
        monitoring_sink=(settings.monitoring.sink_arn or "") if settings.monitoring else "",
        linking_accounts=frozenset(
            settings.account_of(s) for s in SERVICES if name.service == MONITORING
        ),
        foreign_roles=frozenset(
            [settings.notification.lookup_role_arn]
            if name.service == "notification" and settings.notification
            else []
        ),
        permissions_boundary=settings.permissions_boundary_arn(name.service),
    )


# --- helpers ---------------------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def named(resource_type: str, context: ResourceContext) -> str:
    return f"{context.name} ({resource_type})"


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def parse_json(value: Any) -> Any:
    """A JSON document given as text (as Pulumi passes policies) or already parsed."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def get_path(props: Mapping[str, Any], *path: str) -> Any:
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
        document = parse_json(props.get(key))
        if isinstance(document, Mapping) and "Statement" in document:
            yield key, document
    for index, inline in enumerate(as_list(props.get("inlinePolicies"))):
        document = parse_json(inline.get("policy")) if isinstance(inline, Mapping) else None
        if isinstance(document, Mapping) and "Statement" in document:
            yield f"inlinePolicies[{index}]", document


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def statement_label(where: str, index: int, statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"{where} statement {sid!r}" if sid else f"{where} statement {index}"


def parse_list(value: Any) -> Any:
    """Provider inputs that are lists arrive JSON-encoded (``'["111111111111"]'``)."""
    if isinstance(value, str):
        parsed = parse_json(value)
        return parsed if isinstance(parsed, list) else [value]
    return value
