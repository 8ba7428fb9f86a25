"""``./dev preflight``: each check passes on a ready account and fails, naming its fix, on one
that lacks what it checks.

The accounts live in the embedded emulator (moto on 127.0.0.1, one account per service); the
team's credentials come from an AWS profile written for the test; the identity provider is a
tiny HTTP server on 127.0.0.1 serving an OIDC discovery document and a JWKS.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from components import aws_types
from components.naming import parse_stack_name, topic_name
from components.settings import NAMESPACE, load_settings
from local.emulator import lambda_account_settings
from local.emulator.cloud import EmbeddedCloud
from local.emulator.deployer import bootstrap_accounts
from local.program import REPO_ROOT, load_config
from services.contracts.catalogue import SERVICES
from tools import preflight
from tools.permissions_boundary import boundary_document
from tools.reserved_concurrency import evaluate_stack

ENV = "dev"
ACCOUNTS = {service: f"2000000001{i:02d}" for i, service in enumerate(SERVICES, start=1)}
"""Emulated accounts of this module only (moto's state is shared by the whole process)."""
AUDIENCE = "4hmvq2f0preflighttestclient"
ROLE = "marketplace-deploy"
BOUNDARY = "marketplace-boundary"


# --- the identity provider ---------------------------------------------------------------


@dataclass
class IdentityProvider:
    """Serves ``/.well-known/openid-configuration`` and ``/jwks.json``; ``missing`` paths 404."""

    issuer: str = ""
    missing: set[str] = field(default_factory=set)

    def document(self, path: str) -> dict[str, Any] | None:
        if path in self.missing:
            return None
        if path == "/.well-known/openid-configuration":
            return {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks.json"}
        if path == "/jwks.json":
            return {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "n": "AQAB", "e": "AQAB"}]}
        return None


@pytest.fixture
def identity_provider() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            document = provider.document(self.path)
            body = json.dumps(document).encode() if document is not None else b"not found"
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider
    server.shutdown()
    server.server_close()


# --- the accounts ------------------------------------------------------------------------


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedCloud]:
    monkeypatch.delenv(lambda_account_settings.QUOTA_VARIABLE, raising=False)
    lambda_account_settings.install()
    with EmbeddedCloud() as embedded:
        yield embedded


@pytest.fixture
def team_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An AWS profile with the team's own (emulated) keys; nothing from the environment."""
    return write_profile(tmp_path, monkeypatch, "teamkey", "team")


def write_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, secret: str) -> str:
    """The AWS profile ``team`` with these keys, and no credentials from the environment."""
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(f"[team]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
    config = tmp_path / "aws-config"
    config.write_text("[profile team]\nregion = eu-west-1\n")
    for variable in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    return "team"


def create_deploy_role(
    cloud: EmbeddedCloud, service: str, tags: dict[str, str] | None = None
) -> None:
    """The role step 2 of docs/deploy-roles/README.md creates, tagged with env and service."""
    tags = {"env": ENV, "service": service} if tags is None else tags
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    cloud.client("iam", ACCOUNTS[service]).create_role(
        RoleName=ROLE,
        AssumeRolePolicyDocument=json.dumps(trust),
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )


def create_boundary(cloud: EmbeddedCloud, service: str) -> str:
    """The permissions boundary the bootstrap creates (its current document), as admin."""
    iam = cloud.client("iam", ACCOUNTS[service])
    document = json.dumps(boundary_document())
    return str(iam.create_policy(PolicyName=BOUNDARY, PolicyDocument=document)["Policy"]["Arn"])


def create_producer_topic(cloud: EmbeddedCloud, producer: str, accounts: dict[str, str]) -> str:
    """The producer's topic with the policy the program gives it when ``accounts`` are set."""
    sns = cloud.client("sns", ACCOUNTS[producer])
    arn = sns.create_topic(Name=topic_name(ENV, producer))["TopicArn"]
    policy = program_topic_policy(producer, json.dumps(accounts, sort_keys=True))
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=policy)
    return arn


@cache
def program_topic_policy(producer: str, accounts: str) -> str:
    """The topic policy of ``producer-dev`` evaluated under mocks (cached: ~1 s each)."""
    config = load_config(REPO_ROOT / f"Pulumi.{ENV}.yaml")
    config[f"{NAMESPACE}:accounts"] = json.loads(accounts)
    settings = load_settings(ENV, lambda k: config.get(f"{NAMESPACE}:{k}"))
    evaluation = evaluate_stack(parse_stack_name(f"{producer}-{ENV}"), settings, config)
    [topic_policy] = evaluation.of_type(aws_types.TOPIC_POLICY)
    return str(topic_policy.inputs["policy"])


# --- the environment file ----------------------------------------------------------------


def environment(identity_provider: IdentityProvider) -> dict[str, Any]:
    """The committed dev settings with this test's accounts, issuer, audience and mailbox."""
    config = load_config(REPO_ROOT / f"Pulumi.{ENV}.yaml")
    config[f"{NAMESPACE}:accounts"] = dict(ACCOUNTS)
    config[f"{NAMESPACE}:identity"] = {
        **config[f"{NAMESPACE}:identity"],
        "issuer": identity_provider.issuer,
        "audiences": [AUDIENCE],
    }
    config[f"{NAMESPACE}:alarmEmail"] = "platform-alarms@marketplace.internal"
    config.pop(f"{NAMESPACE}:webOrigins", None)
    return config


def write_environment(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / f"Pulumi.{ENV}.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


@dataclass
class Run:
    exit_code: int
    checks: dict[str, dict[str, Any]]

    def failed(self) -> dict[str, dict[str, Any]]:
        return {name: check for name, check in self.checks.items() if not check["passed"]}


def run_preflight(
    stack: str,
    config: dict[str, Any],
    tmp_path: Path,
    cloud: EmbeddedCloud,
    profile: str,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    config_file = write_environment(tmp_path, config)
    argv = [stack, "--json", "--profile", profile, "--config-file", str(config_file)]
    exit_code = preflight.main([*argv, "--endpoint-url", cloud.endpoint])
    document = json.loads(capsys.readouterr().out)
    return Run(exit_code, {check["name"]: check for check in document["checks"]})


@pytest.fixture
def ready(cloud: EmbeddedCloud, identity_provider: IdentityProvider) -> dict[str, Any]:
    """Every account bootstrapped and every producer deployed: what preflight should pass."""
    config = environment(identity_provider)
    for service in ACCOUNTS:
        create_deploy_role(cloud, service)
        create_boundary(cloud, service)
    for producer in ("upload", "purchase"):
        create_producer_topic(cloud, producer, ACCOUNTS)
    return config


# --- a ready account passes ----------------------------------------------------------------


def test_preflight_passes_every_check_on_a_ready_account(
    ready: dict[str, Any], cloud: EmbeddedCloud, team_profile: str, tmp_path: Path, capsys
) -> None:
    # GIVEN bootstrapped accounts, both producers deployed, a live issuer, real values
    # WHEN the consumer that subscribes to both producers runs preflight
    run = run_preflight("catalog-dev", ready, tmp_path, cloud, team_profile, capsys)

    # THEN every check passes, producer topics included, and the exit code says so
    assert run.failed() == {}
    assert set(run.checks) == {
        "deploy-role",
        "permissions-boundary",
        "lambda-concurrency",
        "producer-topic:purchase",
        "producer-topic:upload",
        "identity-issuer",
        "identity-audiences",
        "alarm-email",
        "settings-placeholders",
    }
    assert run.exit_code == 0


def test_preflight_prints_one_line_per_check(
    ready: dict[str, Any], cloud: EmbeddedCloud, team_profile: str, tmp_path: Path, capsys
) -> None:
    config_file = write_environment(tmp_path, ready)
    argv = ["upload-dev", "--profile", team_profile, "--config-file", str(config_file)]

    exit_code = preflight.main([*argv, "--endpoint-url", cloud.endpoint])

    lines = capsys.readouterr().out.splitlines()
    assert exit_code == 0
    assert [line.split()[:2] for line in lines] == [
        ["PASS", name]
        for name in (
            "deploy-role",
            "permissions-boundary",
            "lambda-concurrency",
            "producer-topics",
            "identity-issuer",
            "identity-audiences",
            "alarm-email",
            "settings-placeholders",
        )
    ]


# --- each check fails, naming its fix ------------------------------------------------------


def test_preflight_fails_when_the_deploy_role_is_missing(
    cloud: EmbeddedCloud, identity_provider: IdentityProvider, team_profile: str, tmp_path, capsys
) -> None:
    # GIVEN an account nobody bootstrapped
    config = environment(identity_provider)

    run = run_preflight("upload-dev", config, tmp_path, cloud, team_profile, capsys)

    failure = run.failed()["deploy-role"]
    assert f"does not exist in account {ACCOUNTS['upload']}" in failure["detail"]
    assert "docs/deploy-roles/README.md" in failure["fix"]
    assert "marketplace:deployRoleName" in failure["fix"]
    # the checks that run as the deploy role say so instead of failing obscurely
    for check in ("permissions-boundary", "lambda-concurrency", "producer-topics"):
        assert "deploy-role check first" in run.failed()[check]["fix"]
    assert run.exit_code == 1


def test_preflight_fails_when_the_deploy_role_lacks_its_scope_tags(
    cloud: EmbeddedCloud, identity_provider: IdentityProvider, team_profile: str, tmp_path, capsys
) -> None:
    # GIVEN a deploy role tagged for another service (its policy would match nothing here)
    create_deploy_role(cloud, "upload", tags={"env": ENV, "service": "catalog"})

    run = run_preflight(
        "upload-dev", environment(identity_provider), tmp_path, cloud, team_profile, capsys
    )

    fix = run.failed()["deploy-role"]["fix"]
    assert "aws iam tag-role --role-name marketplace-deploy" in fix
    assert "Key=service,Value=upload" in fix


def test_preflight_fails_when_the_permissions_boundary_is_missing(
    ready: dict[str, Any], cloud: EmbeddedCloud, team_profile: str, tmp_path: Path, capsys
) -> None:
    # GIVEN an account whose deploy role exists but whose boundary was never created
    arn = f"arn:aws:iam::{ACCOUNTS['upload']}:policy/{BOUNDARY}"
    cloud.client("iam", ACCOUNTS["upload"]).delete_policy(PolicyArn=arn)

    run = run_preflight("upload-dev", ready, tmp_path, cloud, team_profile, capsys)

    # THEN the check names the policy as missing and the bootstrap as the fix
    failure = run.failed()["permissions-boundary"]
    assert f"{arn} is missing in account {ACCOUNTS['upload']}" in failure["detail"]
    assert "`pulumi up -s bootstrap-upload-dev` in bootstrap/" in failure["fix"]
    assert "docs/deploy-roles/README.md" in failure["fix"]
    assert set(run.failed()) == {"permissions-boundary"}
    assert run.exit_code == 1


def test_preflight_fails_when_the_permissions_boundary_differs(
    ready: dict[str, Any], cloud: EmbeddedCloud, team_profile: str, tmp_path: Path, capsys
) -> None:
    # GIVEN a boundary whose default version is not the current one (an older bootstrap)
    older = boundary_document()
    older["Statement"] = [s for s in older["Statement"] if s["Sid"] != "OwnAccountBuckets"]
    arn = f"arn:aws:iam::{ACCOUNTS['upload']}:policy/{BOUNDARY}"
    cloud.client("iam", ACCOUNTS["upload"]).create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(older), SetAsDefault=True
    )

    run = run_preflight("upload-dev", ready, tmp_path, cloud, team_profile, capsys)

    # THEN the check says it differs, where, and names the bootstrap as the fix
    failure = run.failed()["permissions-boundary"]
    assert f"{arn} (version v2) differs" in failure["detail"]
    assert "in statement OwnAccountBuckets" in failure["detail"]
    assert "`pulumi up -s bootstrap-upload-dev` in bootstrap/" in failure["fix"]
    assert set(run.failed()) == {"permissions-boundary"}


def test_preflight_passes_on_an_account_the_bootstrap_program_made_with_iam_enforced(
    cloud: EmbeddedCloud,
    identity_provider: IdentityProvider,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
) -> None:
    # GIVEN the accounts bootstrapped by bootstrap/ (the roles and the boundary it makes), IAM
    # enforced, and a team whose credentials may only assume roles (the emulator's operator)
    config = environment(identity_provider)
    bootstrap_accounts(cloud, ENV, config, cloud.region)
    cloud.enforce_iam()
    operator = cloud.operator_credentials
    profile = write_profile(
        tmp_path, monkeypatch, operator["aws_access_key_id"], operator["aws_secret_access_key"]
    )

    # WHEN a producer's team runs preflight (its deploy role reads the boundary itself)
    run = run_preflight("upload-dev", config, tmp_path, cloud, profile, capsys)

    # THEN the deploy role, as the bootstrap made it, may read the boundary, which is current
    assert run.checks["deploy-role"]["passed"]
    boundary = run.checks["permissions-boundary"]
    assert boundary["passed"], boundary
    assert "is the bootstrap's current boundary" in boundary["detail"]
    # AND the only failure is moto's, not a grant's: it refuses every Lambda GET under IAM
    # enforcement (local/emulator/lambda_reads.py); when it stops, expect no failure here
    assert set(run.failed()) == {"lambda-concurrency"}
    assert "SignatureDoesNotMatch" in run.failed()["lambda-concurrency"]["detail"]


def test_preflight_fails_when_the_concurrency_quota_is_a_new_accounts(
    ready: dict[str, Any],
    cloud: EmbeddedCloud,
    team_profile: str,
    tmp_path: Path,
    capsys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN an account with the concurrency quota new accounts often get
    monkeypatch.setenv(lambda_account_settings.QUOTA_VARIABLE, "10")

    run = run_preflight("upload-dev", ready, tmp_path, cloud, team_profile, capsys)

    failure = run.failed()["lambda-concurrency"]
    assert "quota 10" in failure["detail"]
    assert "request-service-quota-increase" in failure["fix"]
    assert "--quota-code L-B99A9384 --desired-value 100" in failure["fix"]
    assert set(run.failed()) == {"lambda-concurrency"}
    assert run.exit_code == 1


def test_preflight_counts_the_stacks_own_reserved_concurrency(
    ready: dict[str, Any], cloud: EmbeddedCloud, team_profile: str, tmp_path: Path, capsys
) -> None:
    # GIVEN the default quota, and sizing that reserves most of it for one function
    ready[f"{NAMESPACE}:sizing"] = {"upload": {"processor": {"reservedConcurrency": 950}}}

    run = run_preflight("upload-dev", ready, tmp_path, cloud, team_profile, capsys)

    failure = run.failed()["lambda-concurrency"]
    assert "marketplace-dev-upload-processor=950" in failure["detail"]
    assert "50 left unreserved" in failure["detail"]
    assert "marketplace:sizing.upload.<function>.reservedConcurrency" in failure["fix"]
    assert "--desired-value 1050" in failure["fix"]


def test_preflight_fails_when_the_issuer_has_no_discovery_document(
    ready: dict[str, Any],
    cloud: EmbeddedCloud,
    identity_provider: IdentityProvider,
    team_profile: str,
    tmp_path: Path,
    capsys,
) -> None:
    # GIVEN an issuer URL that serves no OIDC discovery document
    identity_provider.missing.add("/.well-known/openid-configuration")

    run = run_preflight("upload-dev", ready, tmp_path, cloud, team_profile, capsys)

    failure = run.failed()["identity-issuer"]
    assert "/.well-known/openid-configuration answered HTTP 404" in failure["detail"]
    assert "marketplace:identity.issuer" in failure["fix"]
    assert set(run.failed()) == {"identity-issuer"}


def test_preflight_fails_when_the_issuers_keys_do_not_answer(
    ready: dict[str, Any],
    cloud: EmbeddedCloud,
    identity_provider: IdentityProvider,
    team_profile: str,
    tmp_path: Path,
    capsys,
) -> None:
    identity_provider.missing.add("/jwks.json")

    run = run_preflight("upload-dev", ready, tmp_path, cloud, team_profile, capsys)

    failure = run.failed()["identity-issuer"]
    assert "/jwks.json answered HTTP 404" in failure["detail"]
    assert "marketplace:identity.issuer" in failure["fix"]


def test_preflight_fails_when_an_audience_is_a_placeholder(
    ready: dict[str, Any], cloud: EmbeddedCloud, team_profile: str, tmp_path: Path, capsys
) -> None:
    # GIVEN the committed example audience left in place
    ready[f"{NAMESPACE}:identity"]["audiences"] = ["REPLACE-ME-dev-web-client-id"]

    run = run_preflight("upload-dev", ready, tmp_path, cloud, team_profile, capsys)

    failure = run.failed()["identity-audiences"]
    assert "REPLACE-ME-dev-web-client-id" in failure["detail"]
    assert "set marketplace:identity.audiences[0] in Pulumi.dev.yaml" in failure["fix"]
    assert set(run.failed()) == {"identity-audiences"}


def test_preflight_fails_when_a_producer_topic_does_not_exist(
    cloud: EmbeddedCloud, identity_provider: IdentityProvider, team_profile: str, tmp_path, capsys
) -> None:
    # GIVEN purchase bootstrapped (role and boundary), but upload (its producer) never deployed
    create_deploy_role(cloud, "purchase")
    create_boundary(cloud, "purchase")

    run = run_preflight(
        "purchase-dev", environment(identity_provider), tmp_path, cloud, team_profile, capsys
    )

    failure = run.failed()["producer-topic:upload"]
    assert "marketplace-dev-upload-events does not exist" in failure["detail"]
    assert "deploy upload-dev first" in failure["fix"]
    assert set(run.failed()) == {"producer-topic:upload"}


def test_preflight_fails_when_a_producer_topic_does_not_admit_the_consumer(
    cloud: EmbeddedCloud, identity_provider: IdentityProvider, team_profile: str, tmp_path, capsys
) -> None:
    # GIVEN upload deployed while the settings named another account for purchase
    create_deploy_role(cloud, "purchase")
    create_boundary(cloud, "purchase")
    create_producer_topic(cloud, "upload", {**ACCOUNTS, "purchase": "200000000099"})

    run = run_preflight(
        "purchase-dev", environment(identity_provider), tmp_path, cloud, team_profile, capsys
    )

    failure = run.failed()["producer-topic:upload"]
    assert "does not let us subscribe" in failure["detail"]
    fix = f"redeploy upload-dev with marketplace:accounts.purchase = {ACCOUNTS['purchase']}"
    assert fix in failure["fix"]


def test_preflight_fails_when_the_alarm_email_is_a_placeholder(
    ready: dict[str, Any], cloud: EmbeddedCloud, team_profile: str, tmp_path: Path, capsys
) -> None:
    ready[f"{NAMESPACE}:alarmEmail"] = "marketplace-dev-alarms@example.com"

    run = run_preflight("upload-dev", ready, tmp_path, cloud, team_profile, capsys)

    failure = run.failed()["alarm-email"]
    assert "example.com receives no mail" in failure["detail"]
    assert "set marketplace:alarmEmail in Pulumi.dev.yaml" in failure["fix"]
    assert set(run.failed()) == {"alarm-email"}


def test_preflight_fails_when_another_setting_is_a_placeholder(
    ready: dict[str, Any], cloud: EmbeddedCloud, team_profile: str, tmp_path: Path, capsys
) -> None:
    # GIVEN the committed example account left in place for another service
    ready[f"{NAMESPACE}:accounts"] = {**ACCOUNTS, "catalog": "222222222222"}

    run = run_preflight("upload-dev", ready, tmp_path, cloud, team_profile, capsys)

    failure = run.failed()["settings-placeholders"]
    assert "'222222222222' is a placeholder" in failure["detail"]
    assert "set marketplace:accounts.catalog in Pulumi.dev.yaml" in failure["fix"]
    assert set(run.failed()) == {"settings-placeholders"}


def test_preflight_refuses_a_missing_alarm_email_naming_the_key(
    ready: dict[str, Any], cloud: EmbeddedCloud, team_profile: str, tmp_path: Path, capsys
) -> None:
    del ready[f"{NAMESPACE}:alarmEmail"]

    with pytest.raises(SystemExit) as exit_:
        run_preflight("upload-dev", ready, tmp_path, cloud, team_profile, capsys)

    assert exit_.value.code == 2
    assert "missing config key marketplace:alarmEmail" in capsys.readouterr().err


def test_preflight_refuses_a_bad_stack_name(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        preflight.main(["billing-dev"])

    assert exit_.value.code == 2
    assert "names unknown service 'billing'" in capsys.readouterr().err


def test_preflight_refuses_an_environment_without_settings_file(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        preflight.main(["upload-staging"])

    assert exit_.value.code == 2
    assert "no settings file" in capsys.readouterr().err


# --- the emulator workaround -------------------------------------------------------------


def test_moto_still_lacks_get_account_settings() -> None:
    """Fails the day moto answers Lambda GetAccountSettings itself: then delete
    local/emulator/lambda_account_settings.py and its install() calls."""
    assert not lambda_account_settings.moto_implements_it()
