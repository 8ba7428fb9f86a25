"""Placeholders: accepted by the settings (mocks, offline preview), listed by placeholders()."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings import Settings, load_settings, placeholders
from local.program import REPO_ROOT, load_config
from services.contracts.catalogue import SERVICES


def settings_of(env: str, **changes: Any) -> Settings:
    config = load_config(REPO_ROOT / f"Pulumi.{env}.yaml")
    config.update({f"marketplace:{k}": v for k, v in changes.items()})
    return load_settings(env, lambda k: config.get(f"marketplace:{k}"))


def real_values() -> dict[str, Any]:
    return {
        "accounts": {service: f"40293847561{i}" for i, service in enumerate(SERVICES)},
        "identity": {
            "issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyZ",
            "audiences": ["4p1k0m2n3b4v5c6x7z8l9k0j1h"],
            "signInUrl": "https://marketplace.auth.eu-west-1.amazoncognito.com",
        },
        "alarmEmail": "platform-oncall@marketplace.io",
    }


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_committed_environments_list_every_placeholder(env: str) -> None:
    # GIVEN the committed dev/prod settings (they load: mocks and previews need no real ids)
    found = {p.key: p for p in placeholders(settings_of(env))}
    # THEN every example value is listed, by key
    assert set(found) == {
        *(f"marketplace:accounts.{service}" for service in SERVICES),
        "marketplace:identity.issuer",
        "marketplace:identity.signInUrl",
        "marketplace:identity.audiences[0]",
        "marketplace:alarmEmail",
    }
    assert found["marketplace:identity.audiences[0]"].value.startswith("REPLACE-ME-")
    assert "REPLACE-ME" in found["marketplace:identity.issuer"].reason
    assert "account" in found["marketplace:accounts.upload"].reason


def test_real_values_are_not_placeholders() -> None:
    assert placeholders(settings_of("dev", **real_values())) == []


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"upload": "999999999999"}, "marketplace:accounts.upload"),
        ({"catalog": "000000000000"}, "marketplace:accounts.catalog"),
    ],
)
def test_repeated_digit_accounts_are_placeholders(change: dict[str, str], key: str) -> None:
    values = real_values()
    values["accounts"] = {**values["accounts"], **change}
    assert [p.key for p in placeholders(settings_of("dev", **values))] == [key]


def test_marked_web_origin_and_example_email_are_placeholders() -> None:
    values = {
        **real_values(),
        "webOrigins": ["https://app.marketplace.io", "https://replace-me-admin.marketplace.io"],
        "alarmEmail": "alarms@example.org",
    }
    found = placeholders(settings_of("dev", **values))
    assert [(p.key, p.value) for p in found] == [
        ("marketplace:webOrigins[1]", "https://replace-me-admin.marketplace.io"),
        ("marketplace:alarmEmail", "alarms@example.org"),
    ]
    assert "example.org" in found[1].reason
