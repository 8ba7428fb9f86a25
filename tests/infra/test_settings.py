"""Config errors name the key and what was expected; the committed files parse."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.settings import (
    NAMESPACE,
    Settings,
    SettingsError,
    config_getter,
    load_settings,
)
from local.program import REPO_ROOT, load_config
from services.contracts.catalogue import SERVICES
from tests.infra.conftest import evaluate_with


def settings_from(config: dict[str, Any], env: str = "dev") -> Settings:
    values = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("marketplace:")}
    return load_settings(env, values.get)


def dev_config() -> dict[str, Any]:
    return load_config(REPO_ROOT / "Pulumi.dev.yaml")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_committed_environment_files_parse(env: str) -> None:
    settings = settings_from(load_config(REPO_ROOT / f"Pulumi.{env}.yaml"), env)
    assert set(settings.accounts) == set(SERVICES)
    assert len(set(settings.accounts.values())) == len(SERVICES), "one account per service"
    assert settings.deletion_protection is (env == "prod")


def test_committed_account_ids_are_obvious_placeholders() -> None:
    for env in ("dev", "prod"):
        accounts = settings_from(load_config(REPO_ROOT / f"Pulumi.{env}.yaml"), env).accounts
        assert all(len(set(a)) == 1 for a in accounts.values()), accounts


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.pop("marketplace:region"), "missing config key marketplace:region"),
        (
            lambda c: c.update({"marketplace:region": "Ireland"}),
            "marketplace:region must be an AWS region",
        ),
        (
            lambda c: c["marketplace:accounts"].pop("catalog"),
            "marketplace:accounts has no account for: catalog",
        ),
        (
            lambda c: c["marketplace:accounts"].update(upload="1234"),
            "marketplace:accounts.upload must be a 12-digit",
        ),
        (
            lambda c: c["marketplace:accounts"].update(billing="777777777777"),
            "unknown services billing",
        ),
        (
            lambda c: c.pop("marketplace:deployRoleName"),
            "missing config key marketplace:deployRoleName",
        ),
        (
            lambda c: c["marketplace:identity"].update(issuer="ftp://x"),
            "marketplace:identity.issuer must be an https:// URL",
        ),
        (
            lambda c: c["marketplace:identity"].update(audiences=[]),
            "marketplace:identity.audiences must be a non-empty list",
        ),
        (
            lambda c: c.update({"marketplace:alarmEmail": "nobody"}),
            "marketplace:alarmEmail must be an e-mail address",
        ),
        (
            lambda c: c.update({"marketplace:logRetentionDays": 10}),
            "marketplace:logRetentionDays must be one of",
        ),
        (
            lambda c: c["marketplace:cdnSigning"].update(activeKey="nope"),
            "marketplace:cdnSigning.activeKey must be one of k2026a",
        ),
        (
            lambda c: c["marketplace:cdnSigning"]["publicKeys"].update(k2026a="abc"),
            "must be a PEM public key",
        ),
        (
            lambda c: c.update({"marketplace:sizing": {"upload": {"processor": {"memoryMb": 64}}}}),
            "marketplace:sizing.upload.processor.memoryMb must be an integer in [128, 10240]",
        ),
        (
            lambda c: c.update({"marketplace:sizing": {"upload": {"processor": {"ram": 1}}}}),
            "marketplace:sizing.upload.processor.ram: unknown setting",
        ),
        (
            lambda c: c.update({"marketplace:delivery": {"domain": "x"}}),
            "marketplace:delivery.domain must be a host name",
        ),
        (
            lambda c: c.update({"marketplace:deletionProtection": "maybe"}),
            "marketplace:deletionProtection must be a bool",
        ),
        (
            lambda c: c.update({"marketplace:identity": "https://issuer"}),
            "marketplace:identity must be a mapping",
        ),
        (
            lambda c: c.update({"marketplace:delivery": {"domain": "cdn.example.org"}}),
            "missing config key marketplace:delivery.keyPairId",
        ),
        (
            lambda c: c.update({"marketplace:sizing": {"billing": {}}}),
            "marketplace:sizing.billing: unknown service",
        ),
        (
            lambda c: c.update({"marketplace:logRetentionDays": "a month"}),
            "marketplace:logRetentionDays must be an int, got 'a month'",
        ),
        (
            lambda c: c.update({"marketplace:stackReferenceOrg": ["acme"]}),
            "marketplace:stackReferenceOrg must be a string",
        ),
    ],
)
def test_config_error_names_the_key(change: Any, message: str) -> None:
    # GIVEN the dev environment with one mistake
    config = dev_config()
    change(config)
    # WHEN it is parsed / THEN the error names the key and what was expected
    with pytest.raises(SettingsError) as error:
        settings_from(config)
    assert message in str(error.value)


def test_program_surfaces_config_errors_before_creating_anything() -> None:
    with pytest.raises(SettingsError, match=r"marketplace:accounts\.purchase must be a 12-digit"):
        evaluate_with("catalog-dev", lambda c: c["marketplace:accounts"].update(purchase="12"))


def as_the_cli_hands_it_over(value: Any) -> str:
    """The CLI passes every config value as text: objects and lists as JSON, scalars as typed."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_program_reads_the_settings_the_yaml_states(env: str) -> None:
    # GIVEN the committed environment file, handed to Pulumi's own config store as text
    values = load_config(REPO_ROOT / f"Pulumi.{env}.yaml")
    pulumi.runtime.set_all_config({k: as_the_cli_hands_it_over(v) for k, v in values.items()})
    config = pulumi.Config(NAMESPACE)
    try:
        # WHEN the settings are read the way __main__.py reads them
        from_program = load_settings(env, config_getter(config))
    finally:
        pulumi.runtime.set_all_config({})
    # THEN they are exactly what the YAML says (maps, lists, booleans and numbers included)
    assert from_program == settings_from(values, env)
    assert from_program.deletion_protection is (env == "prod")
    assert isinstance(from_program.log_retention_days, int)


def test_sizing_override_reaches_the_function() -> None:
    evaluation = evaluate_with(
        "upload-dev",
        lambda c: c.update({"marketplace:sizing": {"upload": {"processor": {"memoryMb": 2048}}}}),
    )
    processor = evaluation.named("upload-processor-function")
    assert processor.inputs["memorySize"] == 2048


def test_program_reads_text_settings_as_text_and_the_rest_as_objects() -> None:
    # GIVEN an organisation name that looks like a number, and a boolean, as the CLI hands them
    values = dev_config() | {
        "marketplace:stackReferenceOrg": "2026",
        "marketplace:rekognitionLabels": False,
    }
    pulumi.runtime.set_all_config({k: as_the_cli_hands_it_over(v) for k, v in values.items()})
    try:
        # WHEN the program reads them
        settings = load_settings("dev", config_getter(pulumi.Config(NAMESPACE)))
    finally:
        pulumi.runtime.set_all_config({})
    # THEN the text stays text (get_object would make it a number) and the boolean is one
    assert settings.stack_reference_org == "2026"
    assert settings.rekognition_labels is False
