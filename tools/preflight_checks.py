"""What an account must provide before a stack's first ``pulumi up``, one check per function.

Each check returns a ``Result``: a name, whether it passed, what it found and, on failure,
the fix (the setting, command or document to act on), because the person reading it is about
to deploy and needs the next step, not a stack trace. Checks on the account run as the
stack's deploy role, the identity ``pulumi up`` will use; the caller only has to be able to
assume it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from bootstrap.stack import bootstrap_stack_name
from components.naming import StackName, topic_arn
from components.settings import Placeholder, Settings, key, placeholders
from services.contracts.catalogue import SERVICES
from tools.permissions_boundary import boundary_document
from tools.reserved_concurrency import evaluate_stack, reserved_by_function

MIN_UNRESERVED = 100
"""Lambda refuses reservations that leave fewer unreserved executions than this."""
CONCURRENCY_QUOTA_CODE = "L-B99A9384"
"""Service Quotas code of Lambda's "Concurrent executions"."""
BOOTSTRAP_DOC = "docs/deploy-roles/README.md ('Bootstrapping a new account')"
HTTP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Result:
    """One check's outcome; ``fix`` says what to change when it failed."""

    name: str
    passed: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Target:
    """The stack being checked, its environment's settings and the caller's credentials."""

    stack: StackName
    settings: Settings
    config: Mapping[str, Any]
    """The environment file's ``config:`` map (full keys), to evaluate the program with."""
    config_file: str
    """The environment file's name as the user passes it (named in fixes)."""
    caller: boto3.Session
    endpoint_url: str | None = None

    @property
    def account(self) -> str:
        return self.settings.account_of(self.stack.service)

    def client(self, session: boto3.Session, service: str) -> Any:
        return session.client(
            service,
            region_name=self.settings.region,
            endpoint_url=self.endpoint_url,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5),
        )


def _passed(name: str, detail: str) -> Result:
    return Result(name, True, detail)


def _failed(name: str, detail: str, fix: str) -> Result:
    return Result(name, False, detail, fix)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


# --- the deploy role ---------------------------------------------------------------------


def deploy_role(target: Target) -> tuple[Result, boto3.Session | None]:
    """The deploy role exists, the caller can assume it, and it lives in the stack's account.

    Returns the assumed role's session for the checks that look into the account.
    """
    name = "deploy-role"
    settings, service = target.settings, target.stack.service
    role_arn = settings.deploy_role_arn(service)
    account_placeholder = placeholders_under(settings, _account_key(target))
    if account_placeholder:
        expected = f"the id of the AWS account that hosts {target.stack}"
        return _placeholder_result(target, name, account_placeholder, expected), None
    sts = target.client(target.caller, "sts")
    try:
        caller_arn = sts.get_caller_identity()["Arn"]
    except (ClientError, BotoCoreError) as error:
        fix = "pass --profile NAME, or set AWS credentials (e.g. `aws sso login --profile NAME`)"
        return _failed(name, f"no usable AWS credentials: {error}", fix), None
    try:
        credentials = sts.assume_role(
            RoleArn=role_arn, RoleSessionName=f"preflight-{target.stack}"
        )["Credentials"]
    except ClientError as error:
        detail = f"{caller_arn} cannot assume {role_arn} ({_error_code(error)})"
        fix = (
            f"create {settings.deploy_role_name} in account {target.account} ({BOOTSTRAP_DOC}, "
            f"step 2) and admit {caller_arn} in its trust policy; or correct "
            f"{key('deployRoleName')} / {key('accounts')}.{service} in {target.config_file}"
        )
        return _failed(name, detail, fix), None
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=settings.region,
    )
    identity = target.client(session, "sts").get_caller_identity()
    if identity["Account"] != target.account:
        detail = f"{role_arn} was assumed as {identity['Arn']}, in account {identity['Account']}"
        fix = f"set {key('accounts')}.{service} in {target.config_file} to the stack's account"
        return _failed(name, detail, fix), None
    problem = _role_problem(target, session)
    if problem is not None:
        return problem, None
    return _passed(name, f"{caller_arn} assumed {role_arn}"), session


def _role_problem(target: Target, session: boto3.Session) -> Result | None:
    """The role must exist and carry the ``env``/``service`` tags its policy is scoped by.

    AWS's AssumeRole already proves the role exists; reading it (``iam:GetRole`` on itself)
    also shows its tags. Where that read is not granted, the tags stay unverified.
    """
    name, role = "deploy-role", target.settings.deploy_role_name
    try:
        found = target.client(session, "iam").get_role(RoleName=role)["Role"]
    except ClientError as error:
        if _error_code(error) != "NoSuchEntity":
            return None
        fix = f"create it ({BOOTSTRAP_DOC}, step 2), or correct {key('deployRoleName')}"
        return _failed(name, f"role {role} does not exist in account {target.account}", fix)
    tags = {tag["Key"]: tag["Value"] for tag in found.get("Tags", [])}
    wanted = {"env": target.stack.env, "service": target.stack.service}
    if all(tags.get(k) == v for k, v in wanted.items()):
        return None
    command = f"aws iam tag-role --role-name {role} --tags " + " ".join(
        f"Key={k},Value={v}" for k, v in wanted.items()
    )
    detail = f"role {role} is tagged {tags or 'with nothing'}; its policy matches resources by tag"
    return _failed(name, detail, f"{command} (see {BOOTSTRAP_DOC}, step 2)")


# --- Lambda concurrency ------------------------------------------------------------------


def lambda_concurrency(target: Target, deploy: boto3.Session) -> Result:
    """After the stack's reservations, the account keeps ``MIN_UNRESERVED`` executions free."""
    name = "lambda-concurrency"
    reserved = reserved_by_function(evaluate_stack(target.stack, target.settings, target.config))
    lambda_ = target.client(deploy, "lambda")
    try:
        limits = lambda_.get_account_settings()["AccountLimit"]
        held = sum(_current_reservation(lambda_, function) for function in reserved)
    except ClientError as error:
        fix = "grant the deploy role lambda:GetAccountSettings (resource *)"
        return _failed(name, f"cannot read the account's Lambda settings: {error}", fix)
    quota = int(limits["ConcurrentExecutions"])
    wanted = sum(reserved.values())
    left = int(limits["UnreservedConcurrentExecutions"]) + held - wanted
    detail = (
        f"quota {quota}, the stack reserves {wanted}"
        f"{_listing(reserved)}: {left} left unreserved (Lambda requires {MIN_UNRESERVED})"
    )
    if left >= MIN_UNRESERVED:
        return _passed(name, detail)
    needed = quota + MIN_UNRESERVED - left
    fix = (
        f"raise the quota to at least {needed}: aws service-quotas "
        f"request-service-quota-increase --service-code lambda --quota-code "
        f"{CONCURRENCY_QUOTA_CODE} --desired-value {needed} (in account {target.account}); "
        f"or lower {key('sizing')}.{target.stack.service}.<function>.reservedConcurrency "
        f"in {target.config_file}"
    )
    return _failed(name, detail, fix)


def _current_reservation(lambda_: Any, function: str) -> int:
    """What ``function`` reserves today (0 before the first deploy), already off the quota."""
    try:
        response = lambda_.get_function_concurrency(FunctionName=function)
    except ClientError as error:
        if _error_code(error) == "ResourceNotFoundException":
            return 0
        raise
    return int(response.get("ReservedConcurrentExecutions") or 0)


def _listing(reserved: Mapping[str, int]) -> str:
    if not reserved:
        return ""
    return " (" + ", ".join(f"{f}={n}" for f, n in sorted(reserved.items())) + ")"


# --- the permissions boundary ------------------------------------------------------------


def permissions_boundary(target: Target, deploy: boto3.Session) -> Result:
    """The boundary every role of the stack must carry exists and is the bootstrap's current one.

    The deploy role may create a role only with this boundary (``iam:PermissionsBoundary``
    condition), so an account never bootstrapped fails the first role of the first ``pulumi
    up``, and one bootstrapped by an older version bounds the roles by an outdated ceiling.
    """
    name = "permissions-boundary"
    arn = target.settings.permissions_boundary_arn(target.stack.service)
    bootstrap = bootstrap_stack_name(target.stack.service, target.stack.env)
    fix = (
        f"bootstrap account {target.account} with its administrator's credentials: "
        f"`pulumi up -s {bootstrap}` in bootstrap/ ({BOOTSTRAP_DOC}, step 2)"
    )
    iam = target.client(deploy, "iam")
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        version = policy["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    except ClientError as error:
        code = _error_code(error)
        if code == "NoSuchEntity":
            return _failed(name, f"{arn} is missing in account {target.account}", fix)
        detail = f"cannot read {arn} ({code}): the deploy role predates its read grant"
        return _failed(name, detail, fix)
    changed = changed_statements(policy_json(document["Document"]), boundary_document())
    if changed:
        detail = (
            f"{arn} (version {version}) differs from the bootstrap's current boundary "
            f"(tools/permissions_boundary.py) in {', '.join(changed)}"
        )
        return _failed(name, detail, fix)
    return _passed(name, f"{arn} (version {version}) is the bootstrap's current boundary")


def policy_json(document: Any) -> Any:
    """A policy version's document parsed: IAM returns it URL-encoded (boto3 decodes it)."""
    if isinstance(document, str):
        return json.loads(urllib.parse.unquote(document))
    return document


def changed_statements(found: Any, wanted: Mapping[str, Any]) -> list[str]:
    """The Sids (or top-level keys) where ``found`` differs from ``wanted``, sorted."""
    if not isinstance(found, Mapping):
        return ["the whole document"]
    statements = {
        str(s.get("Sid")): s for s in _as_list(found.get("Statement")) if isinstance(s, Mapping)
    }
    expected = {str(s["Sid"]): s for s in wanted["Statement"]}
    keys = {k for k in {*found, *wanted} if k != "Statement" and found.get(k) != wanted.get(k)}
    sids = {sid for sid in {*statements, *expected} if statements.get(sid) != expected.get(sid)}
    if found.get("Statement") != wanted["Statement"] and not sids:
        sids.add("the order of its statements")
    return sorted(keys) + [f"statement {sid}" for sid in sorted(sids)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- producer topics ---------------------------------------------------------------------


def producer_topics(target: Target, deploy: boto3.Session) -> list[Result]:
    """For a consumer: every producer topic it subscribes to exists and admits its account.

    The consumer reads the topic in the producer's account with ``sns:GetTopicAttributes``;
    AWS allows that only when the producer's topic policy grants it to the consumer account.
    """
    producers = sorted(
        p for p in SERVICES[target.stack.service].consumes if p != target.stack.service
    )
    if not producers:
        return [_passed("producer-topics", f"{target.stack} subscribes to no producer")]
    sns = target.client(deploy, "sns")
    return [_producer_topic(target, sns, producer) for producer in producers]


def _producer_topic(target: Target, sns: Any, producer: str) -> Result:
    name = f"producer-topic:{producer}"
    arn = topic_arn(target.settings, producer)
    producer_stack = f"{producer}-{target.stack.env}"
    try:
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    except ClientError as error:
        code = _error_code(error)
        if code == "NotFound":
            fix = f"deploy {producer_stack} first (producers before consumers)"
            return _failed(name, f"{arn} does not exist", fix)
        fix = (
            f"allow sns:GetTopicAttributes on {arn} to account {target.account} in the "
            f"{producer} topic's policy and to the deploy role, or, if the topic is missing, "
            f"deploy {producer_stack} first"
        )
        return _failed(name, f"cannot read {arn} ({code})", fix)
    if not admits_subscription(attributes.get("Policy", ""), target.account):
        fix = (
            f"redeploy {producer_stack} with {key('accounts')}.{target.stack.service} = "
            f"{target.account} in {target.config_file} (its topic policy admits the consumer "
            "accounts named there)"
        )
        return _failed(name, f"{arn} exists but its policy does not let us subscribe", fix)
    return _passed(name, f"{arn} exists and admits account {target.account}")


def admits_subscription(policy_text: str, account: str) -> bool:
    """Whether a topic policy allows ``account`` (its root or the account id) sns:Subscribe."""
    try:
        statements = json.loads(policy_text or "{}").get("Statement", [])
    except (ValueError, AttributeError):
        return False
    principals = {account, f"arn:aws:iam::{account}:root"}
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = {a.lower() for a in _strings(statement.get("Action"))}
        allowed = {p for p in _strings((statement.get("Principal") or {}).get("AWS"))}
        if (
            statement.get("Effect") == "Allow"
            and actions & {"sns:subscribe", "sns:*", "*"}
            and allowed & principals
        ):
            return True
    return False


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value or [] if isinstance(v, str)]


# --- identity provider -------------------------------------------------------------------


def identity_issuer(target: Target) -> Result:
    """The issuer's OIDC discovery document answers, names the issuer, and its JWKS answers."""
    name = "identity-issuer"
    issuer = target.settings.identity.issuer
    discovery_url = f"{issuer}/.well-known/openid-configuration"
    fix = f"set {key('identity')}.issuer in {target.config_file} to your identity provider's issuer"
    found = placeholders_under(target.settings, f"{key('identity')}.issuer")
    if found:
        return _placeholder_result(target, name, found, "your identity provider's issuer URL")
    try:
        document = fetch_json(discovery_url)
        if not isinstance(document, Mapping) or "jwks_uri" not in document:
            return _failed(name, f"{discovery_url} has no jwks_uri", fix)
        if str(document.get("issuer", "")).rstrip("/") != issuer:
            detail = f"{discovery_url} names issuer {document.get('issuer')!r}, not {issuer!r}"
            return _failed(name, detail, fix)
        keys = fetch_json(str(document["jwks_uri"]))
    except FetchError as error:
        return _failed(name, str(error), fix)
    if not isinstance(keys, Mapping) or not keys.get("keys"):
        return _failed(name, f"{document['jwks_uri']} lists no signing keys", fix)
    return _passed(name, f"{discovery_url} and its jwks_uri ({len(keys['keys'])} keys) answer")


class FetchError(Exception):
    """An HTTP document could not be read as JSON; the message names the URL."""


def fetch_json(url: str) -> Any:
    """GET ``url`` and parse it as JSON (the identity provider's public documents)."""
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise FetchError(f"{url} answered HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        raise FetchError(f"{url} did not answer: {error}") from error
    except ValueError as error:
        raise FetchError(f"{url} is not JSON: {error}") from error


def identity_audiences(target: Target) -> Result:
    """Every audience is a real client id, not the committed example's."""
    found = placeholders_under(target.settings, f"{key('identity')}.audiences")
    expected = "your identity provider's app client id(s) (Cognito: the user pool client id)"
    return _placeholder_result(target, "identity-audiences", found, expected)


# --- alarm e-mail ------------------------------------------------------------------------


def alarm_email(target: Target) -> Result:
    """Alarms need a mailbox someone reads (the settings loader already requires one)."""
    found = placeholders_under(target.settings, key("alarmEmail"))
    expected = "a mailbox your team reads (then confirm the subscription e-mail AWS sends)"
    return _placeholder_result(target, "alarm-email", found, expected)


# --- every other placeholder -------------------------------------------------------------


def other_placeholders(target: Target) -> Result:
    """No other setting holds an example value (other services' accounts, web origins...)."""
    reported = (key("identity"), key("alarmEmail"), _account_key(target))
    found = [
        p
        for p in placeholders(target.settings)
        if not any(_is_under(p.key, setting) for setting in reported)
    ]
    return _placeholder_result(target, "settings-placeholders", found, "real values")


def placeholders_under(settings: Settings, setting: str) -> list[Placeholder]:
    """The placeholders at ``setting`` or inside it (``marketplace:identity.audiences[0]``)."""
    return [p for p in placeholders(settings) if _is_under(p.key, setting)]


def _is_under(path: str, setting: str) -> bool:
    return path == setting or path.startswith((f"{setting}.", f"{setting}["))


def _account_key(target: Target) -> str:
    return f"{key('accounts')}.{target.stack.service}"


def _placeholder_result(
    target: Target, name: str, found: list[Placeholder], expected: str
) -> Result:
    if not found:
        return _passed(name, "no placeholder")
    detail = "; ".join(f"{p.key} = {p.value!r} is a placeholder ({p.reason})" for p in found)
    keys = ", ".join(sorted({p.key for p in found}))
    return _failed(name, detail, f"set {keys} in {target.config_file} to {expected}")
