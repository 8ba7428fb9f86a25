"""Resource rules on identity and reach: wildcards, tags, own account, principals, CORS,
resource ``*``, role trust, the provider."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from components.aws_types import (
    AWS_PROVIDER,
    BUCKET_CORS,
    HTTP_API,
    KMS_KEY,
    OAM_SINK_POLICY,
    ROLE,
    ROLE_POLICY_ATTACHMENT,
)
from components.iam import RESOURCELESS_ACTIONS
from policy.model import (
    ACCOUNT_ID,
    ARN,
    BROAD_MANAGED_POLICIES,
    REQUIRED_TAGS,
    TAGGABLE_TYPES,
    ResourceContext,
    StackContext,
    as_list,
    get_path,
    is_unknown,
    named,
    parse_json,
    parse_list,
    policy_documents,
    statement_label,
    statements,
)


def arn_service(value: str) -> str | None:
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
            label = statement_label(where, index, statement)
            if "NotAction" in statement:
                problems.append(
                    f"{named(resource_type, context)}: {label} allows everything except "
                    "NotAction. Fix: list the actions it needs under Action."
                )
            for action in as_list(statement.get("Action")):
                if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                    problems.append(
                        f"{named(resource_type, context)}: {label} allows {action!r}. Fix: "
                        "name the actions it needs (components.iam.Statement rejects wildcards)."
                    )
    attached = [props.get("policyArn")] if resource_type == ROLE_POLICY_ATTACHMENT else []
    attached += as_list(props.get("managedPolicyArns")) if resource_type == ROLE else []
    problems += [
        f"{named(resource_type, context)}: attaches {arn}, which allows '*' actions. Fix: an "
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
            f"{named(resource_type, context)}: missing tags {', '.join(missing)}. Fix: create "
            "it with the stack's deployment provider, whose default tags (components.tagging) "
            "tag every resource; do not replace that provider."
        )
    if wrong:
        problems.append(
            f"{named(resource_type, context)}: wrong tags {', '.join(wrong)}. Fix: leave these "
            "tags to the provider's default tags, components.tagging (team comes from "
            "services/contracts/catalogue.py); do not set them in the resource's tags."
        )
    return problems


def _effective_tags(own: Any, provider: Mapping[str, Any] | None) -> Any:
    """The provider's ``defaultTags.tags`` overlaid with the resource's own tags (as AWS does)."""
    if is_unknown(own):
        return own
    defaults = parse_json((provider or {}).get("defaultTags")) or {}
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
    label = named(resource_type, context)
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
            "and roles the settings declare (marketplace:notification's lookup role) may be in "
            "another account; anything else must be this stack's own resource."
        )
    for where, problem in principal_problems(props, stack):
        problems.append(f"{label}: {where} {problem}")
    return problems


def _provider_problems(props: Mapping[str, Any], stack: StackContext) -> list[str]:
    problems = []
    allowed = parse_list(props.get("allowedAccountIds"))
    if not is_unknown(allowed) and as_list(allowed) != [stack.account]:
        problems.append(
            f"allows accounts {as_list(allowed)}, not exactly [{stack.account!r}]. Fix: "
            "allowed_account_ids=[the service's account] (__main__.deployment_provider)."
        )
    roles = parse_list(props.get("assumeRoles"))
    for role in as_list(roles) if not is_unknown(roles) else []:
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
            parsed = parse_json(value)
            if isinstance(parsed, Mapping | list):
                yield from _foreign_arns(parsed, stack, where)
                return
        if _is_foreign(value, stack):
            yield where, value


def _consumer_queues(value: Any, stack: StackContext) -> bool:
    """``arn:aws:sqs:<region>:<consumer account>:*`` patterns only (a condition, not a grant)."""
    patterns = as_list(value)
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
    if value in stack.foreign_roles:
        return False
    if value == stack.monitoring_sink:
        return False  # the monitoring account's OAM sink: the link's one foreign reference
    return not any(value == t or value.startswith(f"{t}:") for t in stack.producer_topics)


LINK_ACTIONS = frozenset({"oam:CreateLink", "oam:UpdateLink"})
"""What a monitoring sink's policy may grant the environment's service accounts."""
CONSUMER_ACTIONS = frozenset({"sns:Subscribe", "sns:GetTopicAttributes"})
"""What a producer's topic may grant its consumer accounts: subscribing their own queues,
and reading the topic (a consumer's `./dev preflight` checks it exists)."""


def principal_problems(props: Mapping[str, Any], stack: StackContext) -> Iterator[tuple[str, str]]:
    """Allow statements name own-account principals, or consumer accounts for CONSUMER_ACTIONS."""
    for where, document in policy_documents(props):
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow" or "Principal" not in statement:
                continue
            label = statement_label(where, index, statement)
            principal = statement["Principal"]
            aws = principal.get("AWS") if isinstance(principal, Mapping) else principal
            for entry in as_list(aws):
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
    if set(as_list(statement.get("Action"))) <= LINK_ACTIONS and account in stack.linking_accounts:
        return None  # the monitoring sink admits the environment's service accounts
    consumer_only = set(as_list(statement.get("Action"))) <= CONSUMER_ACTIONS
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
        f"{named(resource_type, context)}: CORS origin {origin!r} "
        f"{'allows any site' if '*' in str(origin) else 'is not in marketplace:webOrigins'}. "
        f"Fix: CORS only for marketplace:webOrigins "
        f"({', '.join(sorted(allowed)) or 'none set'}); components.cors builds it from them."
        for origin in _cors_origins(resource_type, props)
        if not is_unknown(origin) and origin not in allowed
    ]


def _cors_origins(resource_type: str, props: Mapping[str, Any]) -> list[Any]:
    if resource_type == HTTP_API:
        return as_list(get_path(props, "corsConfiguration", "allowOrigins"))
    rules = props.get("corsRules") if resource_type == BUCKET_CORS else None
    if is_unknown(rules):
        return []
    return [
        origin
        for rule in as_list(rules)
        if isinstance(rule, Mapping)
        for origin in as_list(rule.get("allowedOrigins"))
    ]


def resource_star_only_where_needed(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Allow statements name their resources; ``*`` only for actions that have none.

    KMS key policies are the exception: there ``Resource: "*"`` means the key itself (as in
    an OAM sink policy: the sink).
    """
    if resource_type in (KMS_KEY, OAM_SINK_POLICY):
        return []
    problems = []
    for where, document in policy_documents(props):
        for index, statement in enumerate(statements(document)):
            if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource")):
                continue
            actions = {a for a in as_list(statement.get("Action")) if isinstance(a, str)}
            if actions <= RESOURCELESS_ACTIONS:
                continue
            problems.append(
                f"{named(resource_type, context)}: {statement_label(where, index, statement)} "
                f"allows {sorted(actions - RESOURCELESS_ACTIONS)} on resource '*'. Fix: name the "
                f"resources; '*' only for {', '.join(sorted(RESOURCELESS_ACTIONS))} "
                "(components.iam.Statement enforces it)."
            )
    return problems


LAMBDA_PRINCIPAL = {"Service": "lambda.amazonaws.com"}
CODEDEPLOY_PRINCIPAL = {"Service": "codedeploy.amazonaws.com"}
"""The one other role a stack makes: CodeDeploy's, which shifts the aliases (deployment.py)."""


def roles_trust_lambda_in_own_account(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Roles are function roles (or CodeDeploy's): one service, on behalf of the own account."""
    if resource_type != ROLE or is_unknown(props.get("assumeRolePolicy")):
        return []
    document = parse_json(props.get("assumeRolePolicy"))
    trust = statements(document) if isinstance(document, Mapping) else []
    account = context.stack.account
    fix = (
        "Fix: trust only lambda.amazonaws.com with Condition StringEquals aws:SourceAccount "
        f"{account!r} (components.iam.assume_role_policy)."
    )
    if len(trust) != 1 or trust[0].get("Principal") not in (LAMBDA_PRINCIPAL, CODEDEPLOY_PRINCIPAL):
        principals = [s.get("Principal") for s in trust]
        return [f"{named(resource_type, context)}: trusted by {principals}. {fix}"]
    source = get_path(trust[0], "Condition", "StringEquals", "aws:SourceAccount")
    if is_unknown(source) or source == account:
        return []
    who = "Lambda" if trust[0]["Principal"] == LAMBDA_PRINCIPAL else "CodeDeploy"
    return [f"{named(resource_type, context)}: {who} may assume it for {source!r}. {fix}"]


def roles_carry_permissions_boundary(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """Every role carries the account's boundary (the deploy role cannot create one without)."""
    boundary = props.get("permissionsBoundary")
    if (
        resource_type != ROLE
        or is_unknown(boundary)
        or boundary == context.stack.permissions_boundary
    ):
        return []
    return [
        f"{named(resource_type, context)}: permissions boundary {boundary!r}, not "
        f"{context.stack.permissions_boundary!r}. Fix: the stack transformation "
        "components.iam.permissions_boundary (registered in __main__.py) sets it; the "
        "account gets the policy from bootstrap/."
    ]


def provider_assumes_deploy_role(
    resource_type: str, props: Mapping[str, Any], context: ResourceContext
) -> list[str]:
    """The AWS provider deploys as the service's deploy role, in the environment's region."""
    if resource_type != AWS_PROVIDER:
        return []
    stack = context.stack
    label = named(resource_type, context)
    problems = []
    roles = parse_list(props.get("assumeRoles"))
    if not is_unknown(roles):
        arns = [r.get("roleArn") if isinstance(r, Mapping) else r for r in as_list(roles)]
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
