"""The environment's settings (``Pulumi.<env>.yaml``), parsed once into typed, validated values.

Every service stack of an environment shares one config file, so these settings are the
contract between teams: accounts, roles, identity provider, alarm e-mail, sizing. Each
error names the key and what was expected, because the person reading it is editing YAML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from services.contracts.catalogue import SERVICES

NAMESPACE = "marketplace"
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ENV_NAME = re.compile(r"^[a-z][a-z0-9]{1,11}$")
DOMAIN = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}$")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
"""Hosts a web origin may name over plain http (a developer's machine, the local environment)."""
PLACEHOLDER_MARK = "REPLACE-ME"
"""Marks a committed value that is an example, not a real one (``REPLACE-ME-web-client-id``)."""
PLACEHOLDER_ACCOUNT = re.compile(r"^(\d)\1{11}$")
"""``111111111111``-style account ids: the documented placeholders of Pulumi.dev/prod.yaml."""
PLACEHOLDER_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
"""RFC 2606 domains: nobody receives mail there."""


class SettingsError(ValueError):
    """A config value is missing or malformed; the message names the key."""


@dataclass(frozen=True)
class Identity:
    """The JWT issuer every write API trusts, and the audiences it accepts."""

    issuer: str
    audiences: tuple[str, ...]


@dataclass(frozen=True)
class FunctionSizing:
    """Per-function overrides; ``None`` keeps the component's measured default."""

    memory_mb: int | None = None
    timeout_seconds: int | None = None
    reserved_concurrency: int | None = None


@dataclass(frozen=True)
class CdnSigning:
    """CloudFront signing public keys (not secret). The active one signs download URLs.

    Rotation: add the new key here (upload redeploys its key group with both), put the new
    private key in purchase's secret and make it active, then remove the old key.
    """

    active_key: str
    public_keys: Mapping[str, str]


@dataclass(frozen=True)
class Delivery:
    """Where purchase points its signed URLs when set in config (else a StackReference)."""

    domain: str
    key_pair_id: str


@dataclass(frozen=True)
class Settings:
    env: str
    region: str
    accounts: Mapping[str, str]
    deploy_role_name: str
    preview_role_name: str
    identity: Identity
    alarm_email: str
    cdn_signing: CdnSigning
    log_retention_days: int = 30
    deletion_protection: bool = False
    rekognition_labels: bool = True
    rekognition_moderation: bool = True
    delivery: Delivery | None = None
    stack_reference_org: str | None = None
    sizing: Mapping[str, Mapping[str, FunctionSizing]] = field(default_factory=dict)
    web_origins: tuple[str, ...] = ()
    """Browser origins allowed to call the APIs and POST uploads (CORS). Default: none."""

    def account_of(self, service: str) -> str:
        return self.accounts[service]

    def deploy_role_arn(self, service: str) -> str:
        return f"arn:aws:iam::{self.account_of(service)}:role/{self.deploy_role_name}"

    def function_sizing(self, service: str, function: str) -> FunctionSizing:
        return self.sizing.get(service, {}).get(function, FunctionSizing())


Getter = Callable[[str], Any]
"""Returns the decoded value of ``marketplace:<key>``, or ``None`` when it is not set."""


def decode(raw: str | None) -> Any:
    """Pulumi hands structured config values over as JSON text, scalars as plain text."""
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_settings(env: str, get: Getter) -> Settings:
    """Parse and validate every ``marketplace:*`` key of environment ``env``."""
    identity = _mapping(get, "identity")
    retention = _optional(get, "logRetentionDays", int, 30)
    return Settings(
        env=env,
        region=_matching(get, "region", REGION, "an AWS region such as eu-west-1"),
        accounts=_accounts(get),
        deploy_role_name=_matching(get, "deployRoleName", ROLE_NAME, "an IAM role name"),
        preview_role_name=_matching(get, "previewRoleName", ROLE_NAME, "an IAM role name"),
        identity=_identity(identity),
        alarm_email=_matching(get, "alarmEmail", EMAIL, "an e-mail address"),
        cdn_signing=_cdn_signing(_mapping(get, "cdnSigning")),
        log_retention_days=_retention(retention),
        deletion_protection=_optional(get, "deletionProtection", bool, env == "prod"),
        rekognition_labels=_optional(get, "rekognitionLabels", bool, True),
        rekognition_moderation=_optional(get, "rekognitionModeration", bool, True),
        delivery=_delivery(get("delivery")),
        stack_reference_org=_optional(get, "stackReferenceOrg", str, None),
        sizing=_sizing(get("sizing") or {}),
        web_origins=_web_origins(get("webOrigins")),
    )


def key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


def _required(get: Getter, name: str) -> Any:
    value = get(name)
    if value is None or value == "":
        raise SettingsError(f"missing config key {key(name)} (set it in Pulumi.<env>.yaml)")
    return value


def _matching(get: Getter, name: str, pattern: re.Pattern[str], expected: str) -> str:
    value = _required(get, name)
    if not isinstance(value, str) or not pattern.match(value):
        raise SettingsError(f"{key(name)} must be {expected}, got {value!r}")
    return value


def _mapping(get: Getter, name: str) -> Mapping[str, Any]:
    value = _required(get, name)
    if not isinstance(value, Mapping):
        raise SettingsError(f"{key(name)} must be a mapping, got {type(value).__name__}")
    return value


def _optional(get: Getter, name: str, kind: type, default: Any) -> Any:
    value = get(name)
    if value is None:
        return default
    if kind is bool and isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if kind is int and isinstance(value, str) and value.isdigit():
        return int(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise SettingsError(f"{key(name)} must be a {kind.__name__}, got {value!r}")
    return value


def _accounts(get: Getter) -> dict[str, str]:
    accounts = _mapping(get, "accounts")
    missing = sorted(set(SERVICES) - set(accounts))
    if missing:
        raise SettingsError(f"{key('accounts')} has no account for: {', '.join(missing)}")
    unknown = sorted(set(accounts) - set(SERVICES))
    if unknown:
        raise SettingsError(
            f"{key('accounts')} names unknown services {', '.join(unknown)}; "
            f"known services: {', '.join(SERVICES)}"
        )
    for service, account in accounts.items():
        if not isinstance(account, str) or not ACCOUNT_ID.match(account):
            raise SettingsError(
                f"{key('accounts')}.{service} must be a 12-digit AWS account id in quotes, "
                f"got {account!r}"
            )
    return dict(accounts)


def _identity(identity: Mapping[str, Any]) -> Identity:
    issuer = identity.get("issuer")
    if not isinstance(issuer, str) or not issuer.startswith(("https://", "http://127.0.0.1")):
        raise SettingsError(f"{key('identity')}.issuer must be an https:// URL, got {issuer!r}")
    audiences = identity.get("audiences")
    if (
        not isinstance(audiences, list)
        or not audiences
        or not all(isinstance(a, str) and a for a in audiences)
    ):
        raise SettingsError(
            f"{key('identity')}.audiences must be a non-empty list of strings, got {audiences!r}"
        )
    return Identity(issuer=issuer.rstrip("/"), audiences=tuple(audiences))


def _cdn_signing(signing: Mapping[str, Any]) -> CdnSigning:
    keys = signing.get("publicKeys")
    if not isinstance(keys, Mapping) or not keys:
        raise SettingsError(f"{key('cdnSigning')}.publicKeys must map key names to PEM public keys")
    for name, pem in keys.items():
        if not re.match(r"^[A-Za-z0-9_-]{1,64}$", str(name)):
            raise SettingsError(
                f"{key('cdnSigning')}.publicKeys key name {name!r} must be 1-64 of [A-Za-z0-9_-]"
            )
        if not isinstance(pem, str) or "BEGIN PUBLIC KEY" not in pem:
            raise SettingsError(
                f"{key('cdnSigning')}.publicKeys.{name} must be a PEM public key "
                "(-----BEGIN PUBLIC KEY-----)"
            )
    active = signing.get("activeKey")
    if active not in keys:
        raise SettingsError(
            f"{key('cdnSigning')}.activeKey must be one of {', '.join(keys)}, got {active!r}"
        )
    return CdnSigning(active_key=str(active), public_keys=dict(keys))


def _delivery(value: Any) -> Delivery | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise SettingsError(f"{key('delivery')} must be a mapping with domain and keyPairId")
    domain, key_pair_id = value.get("domain"), value.get("keyPairId")
    if not isinstance(domain, str) or not DOMAIN.match(domain):
        raise SettingsError(f"{key('delivery')}.domain must be a host name, got {domain!r}")
    if not isinstance(key_pair_id, str) or not key_pair_id:
        raise SettingsError(f"{key('delivery')}.keyPairId must be a CloudFront public key id")
    return Delivery(domain=domain, key_pair_id=key_pair_id)


def _retention(days: int) -> int:
    allowed = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653)
    if days not in allowed:
        raise SettingsError(
            f"{key('logRetentionDays')} must be one of CloudWatch's values {allowed}, got {days}"
        )
    return days


SIZING_FIELDS = {
    "memoryMb": ("memory_mb", 128, 10240),
    "timeoutSeconds": ("timeout_seconds", 1, 900),
    "reservedConcurrency": ("reserved_concurrency", 0, 1000),
}


def _sizing(value: Any) -> dict[str, dict[str, FunctionSizing]]:
    if not isinstance(value, Mapping):
        raise SettingsError(f"{key('sizing')} must be a mapping service -> function -> sizes")
    result: dict[str, dict[str, FunctionSizing]] = {}
    for service, functions in value.items():
        if service not in SERVICES:
            raise SettingsError(f"{key('sizing')}.{service}: unknown service")
        if not isinstance(functions, Mapping):
            raise SettingsError(f"{key('sizing')}.{service} must map function names to sizes")
        result[service] = {
            function: _function_sizing(f"{key('sizing')}.{service}.{function}", sizes)
            for function, sizes in functions.items()
        }
    return result


def _function_sizing(path: str, sizes: Any) -> FunctionSizing:
    if not isinstance(sizes, Mapping):
        raise SettingsError(f"{path} must be a mapping of {', '.join(SIZING_FIELDS)}")
    values: dict[str, int] = {}
    for name, number in sizes.items():
        if name not in SIZING_FIELDS:
            raise SettingsError(
                f"{path}.{name}: unknown setting; known: {', '.join(SIZING_FIELDS)}"
            )
        attribute, low, high = SIZING_FIELDS[name]
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            raise SettingsError(
                f"{path}.{name} must be an integer in [{low}, {high}], got {number!r}"
            )
        values[attribute] = number
    return FunctionSizing(**values)


def _web_origins(value: Any) -> tuple[str, ...]:
    """``https://host[:port]`` origins exactly as browsers send them (plain http: loopback only)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SettingsError(
            f"{key('webOrigins')} must be a list of origins such as https://app.example.com, "
            f"got {value!r}"
        )
    for index, origin in enumerate(value):
        problem = _origin_problem(origin)
        if problem:
            raise SettingsError(f"{key('webOrigins')}[{index}] {problem}, got {origin!r}")
    if len(set(value)) != len(value):
        raise SettingsError(f"{key('webOrigins')} lists an origin twice: {value!r}")
    return tuple(value)


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
