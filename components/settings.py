"""The environment's settings (``Pulumi.<env>.yaml``), parsed once into typed, validated values.

Every service stack of an environment shares one config file, so these settings are the
contract between teams: accounts, roles, identity provider, alarm e-mail, sizing. The shape is
a pydantic model (field aliases are the config keys); each check states what it expects, and
every error names the key and what was expected, because the person reading it is editing YAML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic.alias_generators import to_camel

from services.contracts.catalogue import SERVICES

if TYPE_CHECKING:
    import pulumi

NAMESPACE = "marketplace"
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,11}$")
DOMAIN = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}$")
KEY_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
"""Hosts a web origin may name over plain http (a developer's machine, the local environment)."""
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653)
"""The retention periods CloudWatch Logs accepts."""
PLACEHOLDER_MARK = "REPLACE-ME"
"""Marks a committed value that is an example, not a real one (``REPLACE-ME-web-client-id``)."""
PLACEHOLDER_ACCOUNT = re.compile(r"^(\d)\1{11}$")
"""``111111111111``-style account ids: the documented placeholders of Pulumi.dev/prod.yaml."""
PLACEHOLDER_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
"""RFC 2606 domains: nobody receives mail there."""
ALL_AT_ONCE = "AllAtOnce"
"""Deployment preference: the alias moves to the new version in ``pulumi up`` (no CodeDeploy)."""
TRAFFIC_SHIFTS = (
    "Canary10Percent5Minutes",
    "Canary10Percent10Minutes",
    "Canary10Percent15Minutes",
    "Canary10Percent30Minutes",
    "Linear10PercentEvery1Minute",
    "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes",
    "Linear10PercentEvery10Minutes",
)
"""CodeDeploy's predefined Lambda configurations (``CodeDeployDefault.Lambda<name>``)."""
DEFAULT_PROD_SHIFT = "Canary10Percent5Minutes"
"""Without ``marketplace:deploymentPreference``: prod shifts 10 % for 5 min, others all at once."""


class SettingsError(ValueError):
    """A config value is missing or malformed; the message names the key."""


# -- value checks: each raises ValueError with the rest of the sentence after the key ----------


def _matching(pattern: re.Pattern[str], expected: str) -> BeforeValidator:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise ValueError(f"must be {expected}, got {value!r}")
        return value

    return BeforeValidator(check)


def _flag(value: Any) -> bool:
    """YAML booleans, or the ``true``/``false`` text the CLI hands scalars over as."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise ValueError(f"must be a bool, got {value!r}")


def _whole_number(value: Any) -> int:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be an int, got {value!r}")
    return value


def _bounded(low: int, high: int) -> BeforeValidator:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be an integer in [{low}, {high}], got {value!r}")
        return value

    return BeforeValidator(check)


def _retention(days: int) -> int:
    if days not in RETENTION_DAYS:
        raise ValueError(f"must be one of CloudWatch's values {RETENTION_DAYS}, got {days}")
    return days


Flag = Annotated[bool, BeforeValidator(_flag)]
RoleName = Annotated[str, _matching(ROLE_NAME, "an IAM role name")]


class _Model(BaseModel):
    """Frozen, camelCase config keys; unknown keys inside a setting are ignored."""

    model_config = ConfigDict(
        frozen=True, alias_generator=to_camel, populate_by_name=True, extra="ignore"
    )


class Identity(_Model):
    """The JWT issuer every write API trusts, and the audiences it accepts."""

    issuer: str
    audiences: tuple[str, ...]
    sign_in_url: str | None = None
    """Base URL of the issuer's OAuth 2.0 endpoints (Cognito's hosted UI domain): the web app
    signs in with the code flow + PKCE at ``<signInUrl>/oauth2/authorize``. Web stack only."""

    @field_validator("sign_in_url", mode="before")
    @classmethod
    def _sign_in_url(cls, url: Any) -> str:
        if not isinstance(url, str) or not url.startswith(("https://", "http://127.0.0.1")):
            raise ValueError(f"must be an https:// URL, got {url!r}")
        return url.rstrip("/")

    @field_validator("issuer", mode="before")
    @classmethod
    def _issuer(cls, issuer: Any) -> str:
        if not isinstance(issuer, str) or not issuer.startswith(("https://", "http://127.0.0.1")):
            raise ValueError(f"must be an https:// URL, got {issuer!r}")
        return issuer.rstrip("/")

    @field_validator("audiences", mode="before")
    @classmethod
    def _audiences(cls, audiences: Any) -> Any:
        if (
            not isinstance(audiences, list)
            or not audiences
            or not all(isinstance(a, str) and a for a in audiences)
        ):
            raise ValueError(f"must be a non-empty list of strings, got {audiences!r}")
        return audiences


class FunctionSizing(_Model):
    """Per-function overrides; ``None`` keeps the component's measured default."""

    model_config = ConfigDict(extra="forbid")

    memory_mb: Annotated[int | None, _bounded(128, 10240)] = None
    timeout_seconds: Annotated[int | None, _bounded(1, 900)] = None
    reserved_concurrency: Annotated[int | None, _bounded(0, 1000)] = None


class CdnSigning(_Model):
    """CloudFront signing public keys (not secret). The active one signs download URLs.

    Rotation: add the new key here (upload redeploys its key group with both), put the new
    private key in purchase's secret and make it active, then remove the old key.
    """

    public_keys: dict[str, str]
    active_key: str
    """After ``public_keys``: fields are checked in order, and this one is checked against it."""

    @field_validator("public_keys", mode="before")
    @classmethod
    def _public_keys(cls, keys: Any) -> Any:
        if not isinstance(keys, Mapping) or not keys:
            raise ValueError("must map key names to PEM public keys")
        for name, pem in keys.items():
            if not KEY_NAME.match(str(name)):
                raise ValueError(f"key name {name!r} must be 1-64 of [A-Za-z0-9_-]")
            if not isinstance(pem, str) or "BEGIN PUBLIC KEY" not in pem:
                raise ValueError(f".{name} must be a PEM public key (-----BEGIN PUBLIC KEY-----)")
        return keys

    @field_validator("active_key", mode="before")
    @classmethod
    def _active_key(cls, active: Any, info: Any) -> str:
        keys = info.data.get("public_keys", {})
        if active not in keys:
            raise ValueError(f"must be one of {', '.join(keys)}, got {active!r}")
        return str(active)


GROUP_NAME = re.compile(r"^[^\s\[\]]{1,128}$")
"""A Cognito group name, without the brackets API Gateway wraps the groups claim in."""


class CircuitBreaker(_Model):
    """Upload's circuit breaker around Rekognition (``marketplace:rekognitionCircuit``).

    ``failureThreshold`` failed calls within ``windowSeconds`` open it; while open, images go
    to review without calling Rekognition; after ``cooldownSeconds`` one probe call is let
    through, whose success closes it. Defaults: 5 failures in 60 s, a 300 s cool-down.
    """

    model_config = ConfigDict(extra="forbid")

    failure_threshold: Annotated[int, _bounded(1, 1000)] = 5
    window_seconds: Annotated[int, _bounded(1, 3600)] = 60
    cooldown_seconds: Annotated[int, _bounded(1, 86400)] = 300


class Delivery(_Model):
    """Where purchase points its signed URLs when set in config (else a StackReference)."""

    domain: Annotated[str, _matching(DOMAIN, "a host name")]
    key_pair_id: Annotated[str, _matching(re.compile(r"^\S+$"), "a CloudFront public key id")]


class GitHub(_Model):
    """The repository whose workflows may assume the deploy and preview roles (OIDC trust)."""

    repository: Annotated[str, _matching(GITHUB_REPOSITORY, "owner/name of a GitHub repository")]
    audience: str = "sts.amazonaws.com"
    """The ``aud`` claim aws-actions/configure-aws-credentials asks GitHub for."""


COGNITO_ISSUER = re.compile(
    r"^https://cognito-idp\.(?P<region>[a-z]{2}(-[a-z]+)+-\d)\.amazonaws\.com/(?P<pool>[\w-]+)$"
)
"""A Cognito user pool's issuer: the notification service looks addresses up in that pool."""
SES_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Notification(_Model):
    """The notification service's mail settings (``marketplace:notification``).

    The lookup role lives in the identity account (Cognito has no resource policies, so a
    cross-account read goes through a role there): services/notification/README.md.
    """

    sender: Annotated[str, _matching(EMAIL, "an e-mail address (the From of every e-mail)")]
    sender_identity: str | None = None
    """The SES identity verified for the sender: its domain or the address (default)."""
    configuration_set: Annotated[str, _matching(SES_NAME, "an SES configuration set name")]
    identity_account: Annotated[str, _matching(ACCOUNT_ID, "a 12-digit AWS account id in quotes")]
    """The account of the Cognito user pool the identity issuer names."""
    lookup_role_name: RoleName = "marketplace-notification-user-lookup"
    """Role in the identity account allowed only cognito-idp:AdminGetUser on the pool."""

    @field_validator("sender_identity", mode="before")
    @classmethod
    def _sender_identity(cls, value: Any, info: Any) -> str:
        sender = str(info.data.get("sender", ""))
        if value in (sender, sender.rsplit("@", 1)[-1]):
            return str(value)
        raise ValueError(f"must be the sender {sender!r} or its domain, got {value!r}")

    @property
    def identity(self) -> str:
        return self.sender_identity or self.sender

    @property
    def lookup_role_arn(self) -> str:
        return f"arn:aws:iam::{self.identity_account}:role/{self.lookup_role_name}"


MONITORING = "monitoring"
"""The optional monitoring account's stack: ``monitoring-<env>`` (components.observability)."""
OAM_SINK_ARN = re.compile(r"^arn:aws:oam:[a-z0-9-]+:\d{12}:sink/[\w-]+$")


class Monitoring(_Model):
    """The optional monitoring account (``marketplace:monitoring``): CloudWatch cross-account
    observability. ``sinkArn`` is the ``monitoring-<env>`` stack's output; once set, every
    service stack links its account to that sink."""

    account: Annotated[str, _matching(ACCOUNT_ID, "a 12-digit AWS account id in quotes")]
    sink_arn: Annotated[
        str | None, _matching(OAM_SINK_ARN, "an OAM sink ARN (arn:aws:oam:<region>:<acct>:sink/..)")
    ] = None


class Settings(_Model):
    env: str
    region: Annotated[str, _matching(REGION, "an AWS region such as eu-west-1")]
    accounts: dict[str, str]
    deploy_role_name: RoleName
    preview_role_name: RoleName
    identity: Identity
    alarm_email: Annotated[str, _matching(EMAIL, "an e-mail address")]
    cdn_signing: CdnSigning
    log_retention_days: Annotated[
        int, BeforeValidator(_whole_number), AfterValidator(_retention)
    ] = 30
    deletion_protection: Flag = False
    rekognition_labels: Flag = True
    rekognition_moderation: Flag = True
    rekognition_circuit: CircuitBreaker = CircuitBreaker()
    """Thresholds of upload's Rekognition circuit breaker. Default: 5 failures/60 s, 300 s."""
    admin_group: Annotated[str, _matching(GROUP_NAME, "an identity provider group name")] = "admins"
    """The identity provider group (token claim ``cognito:groups``) whose members moderate."""
    delivery: Delivery | None = None
    monitoring: Monitoring | None = None
    """The monitoring account receiving every service account's telemetry. Default: none."""
    stack_reference_org: str | None = None
    sizing: dict[str, dict[str, FunctionSizing]] = Field(default_factory=dict)
    web_origins: tuple[str, ...] = ()
    """Browser origins allowed to call the APIs and POST uploads (CORS). Default: none."""
    deployment_preference: dict[str, str] = Field(default_factory=dict)
    """How a new function version takes traffic: ``{default|<service>: AllAtOnce|<shift>}``."""
    keep_versions: Annotated[int, _bounded(0, 50)] = 3
    """Published versions kept before the ``live`` one for a rollback (tools/prune_versions.py)."""
    notification: Notification | None = None
    """Mail settings of the notification service (required by ``notification-<env>`` only)."""
    permissions_boundary_name: RoleName = "marketplace-boundary"
    """Managed policy every role a stack creates carries (created by ``bootstrap/``)."""
    github: GitHub = GitHub(repository="REPLACE-ME-org/marketplace")
    """Whose workflows the bootstrap's OIDC trust admits. Default: a placeholder."""
    state_backend: Flag = False
    """Bootstrap a bucket + KMS key per account for ``pulumi login s3://``. Default: off."""

    @field_validator("accounts", mode="before")
    @classmethod
    def _accounts(cls, accounts: Any) -> Any:
        if not isinstance(accounts, Mapping):
            raise ValueError(f"must be a mapping, got {type(accounts).__name__}")
        missing = sorted(set(SERVICES) - set(accounts))
        if missing:
            raise ValueError(f"has no account for: {', '.join(missing)}")
        unknown = sorted(set(accounts) - set(SERVICES))
        if unknown:
            known = ", ".join(SERVICES)
            raise ValueError(
                f"names unknown services {', '.join(unknown)}; known services: {known}"
            )
        for service, account in accounts.items():
            if not isinstance(account, str) or not ACCOUNT_ID.match(account):
                raise ValueError(
                    f".{service} must be a 12-digit AWS account id in quotes, got {account!r}"
                )
        return accounts

    @field_validator("sizing", mode="before")
    @classmethod
    def _sizing(cls, sizing: Any) -> Any:
        if not isinstance(sizing, Mapping):
            raise ValueError("must be a mapping service -> function -> sizes")
        for service, functions in sizing.items():
            if service not in SERVICES:
                raise ValueError(f".{service}: unknown service")
            if not isinstance(functions, Mapping):
                raise ValueError(f".{service} must map function names to sizes")
        return sizing

    @field_validator("web_origins", mode="before")
    @classmethod
    def _web_origins(cls, value: Any) -> Any:
        """``https://host[:port]`` origins exactly as browsers send them (plain http: loopback)."""
        if not isinstance(value, list):
            raise ValueError(
                f"must be a list of origins such as https://app.example.com, got {value!r}"
            )
        for index, origin in enumerate(value):
            problem = _origin_problem(origin)
            if problem:
                raise ValueError(f"[{index}] {problem}, got {origin!r}")
        if len(set(value)) != len(value):
            raise ValueError(f"lists an origin twice: {value!r}")
        return value

    @field_validator("deployment_preference", mode="before")
    @classmethod
    def _deployment_preference(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError("must map default or a service name to a deployment preference")
        choices = (ALL_AT_ONCE, *TRAFFIC_SHIFTS)
        for name, preference in value.items():
            if name != "default" and name not in SERVICES:
                raise ValueError(f".{name}: unknown service (use default or a service name)")
            if preference not in choices:
                raise ValueError(f".{name} must be one of {', '.join(choices)}, got {preference!r}")
        return value

    def account_of(self, service: str) -> str:
        if service == MONITORING:
            if self.monitoring is None:
                raise SettingsError(
                    f"{key('monitoring')}.account is not set: environment {self.env!r} has no "
                    f"monitoring account (set it in Pulumi.{self.env}.yaml)"
                )
            return self.monitoring.account
        return self.accounts[service]

    def deploy_role_arn(self, service: str) -> str:
        return f"arn:aws:iam::{self.account_of(service)}:role/{self.deploy_role_name}"

    def permissions_boundary_arn(self, service: str) -> str:
        return f"arn:aws:iam::{self.account_of(service)}:policy/{self.permissions_boundary_name}"

    def user_pool(self) -> tuple[str, str]:
        """(region, pool id) of the Cognito user pool the identity issuer names."""
        match = COGNITO_ISSUER.match(self.identity.issuer)
        if not match:
            raise SettingsError(
                f"{key('identity')}.issuer must be a Cognito user pool issuer "
                f"(https://cognito-idp.<region>.amazonaws.com/<pool id>) for the notification "
                f"service's address lookup, got {self.identity.issuer!r}"
            )
        return match["region"], match["pool"]

    def function_sizing(self, service: str, function: str) -> FunctionSizing:
        return self.sizing.get(service, {}).get(function, FunctionSizing())

    def deployment_of(self, service: str) -> str:
        """``AllAtOnce`` or the CodeDeploy shift for ``service``'s new function versions."""
        fallback = DEFAULT_PROD_SHIFT if self.env == "prod" else ALL_AT_ONCE
        preference = self.deployment_preference
        return preference.get(service) or preference.get("default") or fallback


def _origin_problem(origin: Any) -> str | None:
    if not isinstance(origin, str) or not origin:
        return "must be an origin string such as https://app.example.com"
    if "*" in origin:
        return "must name one origin: wildcards would let any site call the APIs as the user"
    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "must be scheme://host[:port]"
    if origin != f"{parts.scheme}://{parts.netloc}" or not parts.hostname:
        return "must be scheme://host[:port] with no path or trailing slash (as browsers send it)"
    if origin != origin.lower():
        return "must be lower case (browsers send the origin lower-cased)"
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return None
    return "must use https (plain http only for 127.0.0.1 or localhost)"


# -- loading -----------------------------------------------------------------------------------

Getter = Callable[[str], Any]
"""Returns the value of ``marketplace:<key>`` (maps and lists as such), or ``None`` if unset."""

CONFIG_KEYS = tuple(
    field.alias or name for name, field in Settings.model_fields.items() if name != "env"
)
"""Every ``marketplace:*`` key the settings read."""


def load_settings(env: str, get: Getter) -> Settings:
    """Parse and validate every ``marketplace:*`` key of environment ``env``."""
    values = {name: get(name) for name in CONFIG_KEYS}
    values = {name: value for name, value in values.items() if value is not None}
    values.setdefault("deletionProtection", env == "prod")
    try:
        return Settings.model_validate({"env": env, **values})
    except ValidationError as error:
        raise _settings_error(error) from None


def config_getter(config: pulumi.Config) -> Getter:
    """Reads ``config`` the way the CLI stores it: text settings as text, the rest as JSON.

    The CLI hands every value over as text; ``Config.get_object`` parses the structured ones
    (maps, lists, booleans, numbers), and the text ones are read as they are.
    """
    text_keys = {
        field.alias or name
        for name, field in Settings.model_fields.items()
        if field.annotation is str or set(get_args(field.annotation)) == {str, type(None)}
    }

    def get(name: str) -> Any:
        return config.get(name) if name in text_keys else config.get_object(name)

    return get


def key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


def _settings_error(error: ValidationError) -> SettingsError:
    """The first problem, as a sentence that starts with the full config key."""
    problem = error.errors(include_url=False)[0]
    path = key(_path(problem["loc"]))
    kind, value = problem["type"], problem.get("input")
    if kind == "missing":
        return SettingsError(f"missing config key {path} (set it in Pulumi.<env>.yaml)")
    if kind in ("value_error", "assertion_error"):
        tail = str(problem["ctx"]["error"])
        return SettingsError(path + ("" if tail[:1] in ".[:" else " ") + tail)
    if kind == "extra_forbidden":
        known = ", ".join(f.alias or n for n, f in FunctionSizing.model_fields.items())
        return SettingsError(f"{path}: unknown setting; known: {known}")
    expected = _EXPECTED.get(kind)
    if expected:
        return SettingsError(f"{path} must be {expected}, got {value!r}")
    return SettingsError(f"{path}: {problem['msg']}, got {value!r}")


_EXPECTED = {
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "string_type": "a string",
    "list_type": "a list",
    "tuple_type": "a list",
    "int_type": "an int",
    "int_parsing": "an int",
}


def _path(loc: Sequence[int | str]) -> str:
    """``("sizing", "upload", "processor")`` -> ``sizing.upload.processor``; indexes as ``[i]``."""
    parts = [f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc]
    return "".join(parts).lstrip(".")


@dataclass(frozen=True)
class Placeholder:
    """A setting still holding an example value: where it is, and why it counts as one."""

    key: str
    value: str
    reason: str


def placeholders(settings: Settings) -> list[Placeholder]:
    """Every value of ``settings`` that is an example, not a real one.

    The settings accept them (mocks and the offline preview need no real accounts); a real
    deploy does not: the preflight command reports this list before a team's first ``pulumi
    up``. Placeholders are values containing ``REPLACE-ME``, ``111111111111``-style account
    ids and e-mail addresses at the RFC 2606 example domains.
    """
    found = [
        Placeholder(f"{key('accounts')}.{service}", account, "repeated-digit example account id")
        for service, account in sorted(settings.accounts.items())
        if PLACEHOLDER_ACCOUNT.match(account)
    ]
    marked = [
        (key("identity") + ".issuer", settings.identity.issuer),
        (key("identity") + ".signInUrl", settings.identity.sign_in_url or ""),
        *(
            (f"{key('identity')}.audiences[{i}]", audience)
            for i, audience in enumerate(settings.identity.audiences)
        ),
        *((f"{key('webOrigins')}[{i}]", origin) for i, origin in enumerate(settings.web_origins)),
        (key("alarmEmail"), settings.alarm_email),
    ]
    found += [
        Placeholder(name, value, f"marked {PLACEHOLDER_MARK}")
        for name, value in marked
        if PLACEHOLDER_MARK.lower() in value.lower()
    ]
    domain = settings.alarm_email.rsplit("@", 1)[-1].lower()
    if domain in PLACEHOLDER_EMAIL_DOMAINS and key("alarmEmail") not in {p.key for p in found}:
        found.append(
            Placeholder(key("alarmEmail"), settings.alarm_email, f"{domain} receives no mail")
        )
    return found
