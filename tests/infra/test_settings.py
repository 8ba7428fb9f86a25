"""Config errors name the key and what was expected; the committed files parse."""

from __future__ import annotations

from typing import Any

import pytest

from components.settings import Settings, SettingsError, decode, load_settings
from local.program import REPO_ROOT, load_config
from tests.infra.conftest import evaluate_with


def settings_from(config: dict[str, Any], env: str = "dev") -> Settings:
    values = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("marketplace:")}
    return load_settings(env, values.get)


def dev_config() -> dict[str, Any]:
    return load_config(REPO_ROOT / "Pulumi.dev.yaml")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_committed_environment_files_parse(env: str) -> None:
    settings = settings_from(load_config(REPO_ROOT / f"Pulumi.{env}.yaml"), env)
    assert set(settings.accounts) == {"upload", "catalog", "purchase"}
    assert len(set(settings.accounts.values())) == 3, "one account per service"
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


def test_pulumi_values_are_decoded_like_the_cli_hands_them_over() -> None:
    assert decode('{"upload": "111111111111"}') == {"upload": "111111111111"}
    assert decode("eu-west-1") == "eu-west-1"
    assert decode("true") is True
    assert decode(None) is None


def test_sizing_override_reaches_the_function() -> None:
    evaluation = evaluate_with(
        "upload-dev",
        lambda c: c.update({"marketplace:sizing": {"upload": {"processor": {"memoryMb": 2048}}}}),
    )
    processor = evaluation.named("upload-processor-function")
    assert processor.inputs["memorySize"] == 2048
