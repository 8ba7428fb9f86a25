"""The deploy's prune step keeps what a rollback needs and deletes the rest of each function's
versions (in moto's Lambda), never during a shift; the deploy role may do it, only in its stack."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws
from moto.iam.access_control import IAMPolicy, PermissionResult

from components.settings import SettingsError, load_settings
from local.program import REPO_ROOT, config_file_for, load_config
from tools import prune_versions, shift_traffic
from tools.affected_stacks import environment_config
from tools.deploy_role import ACCOUNT, DEPLOY_POLICY, ENV, PREVIEW_POLICY, SERVICE
from tools.prune_versions import plan, prune
from tools.shift_traffic import published_versions, stack_functions

REGION = "eu-west-1"
FUNCTION = "marketplace-dev-upload-api"


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return None\n")
    return buffer.getvalue()


@pytest.fixture
def lambda_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield boto3.client("lambda", region_name=REGION)


def deploy(client: Any, function: str, versions: int, live: str | None = None) -> None:
    """``function`` with ``versions`` published versions (one per deploy) and its live alias."""
    trust = {"Version": "2012-10-17", "Statement": []}
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName=f"{function}-role", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    client.create_function(
        FunctionName=function, Runtime="python3.13", Role=role, Handler="handler.handle",
        Code={"ZipFile": _code()},
    )  # fmt: skip
    for deploy_number in range(1, versions + 1):
        client.update_function_configuration(FunctionName=function, Description=f"{deploy_number}")
        client.publish_version(FunctionName=function)
    client.create_alias(FunctionName=function, Name="live", FunctionVersion=live or str(versions))


@pytest.mark.parametrize(
    ("keep", "deleted"), [(3, (7,)), (2, (3, 7)), (0, (3, 4, 5, 7))], ids=["3", "2", "0"]
)
def test_prune_keeps_aliases_newest_and_n_before_live(
    lambda_client: Any, keep: int, deleted: tuple[int, ...]
) -> None:
    # GIVEN 8 deploys, live on 6 (7 was rolled back, 8 is the newest) and another alias on 2
    # that still sends a share of its traffic to 1
    deploy(lambda_client, FUNCTION, versions=8, live="6")
    lambda_client.create_alias(
        FunctionName=FUNCTION, Name="pinned", FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
    )  # fmt: skip
    # WHEN the step prunes, keeping `keep` versions before live
    pruning = plan(lambda_client, FUNCTION, keep)
    prune(lambda_client, pruning)
    # THEN the versions no rollback and no alias needs are gone from Lambda, the rest stay
    remaining = tuple(sorted(published_versions(lambda_client, FUNCTION)))
    assert pruning.deleted == deleted
    assert remaining == pruning.kept == tuple(v for v in range(1, 9) if v not in deleted)
    assert {1, 2, 6, 8} <= set(remaining)
    # AND the aliases still resolve (live's version was not touched)
    assert lambda_client.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"] == "6"
    assert pruning.line(dry_run=False) == (
        f"{FUNCTION}: kept {', '.join(map(str, remaining))}; deleted {', '.join(map(str, deleted))}"
    )


def test_a_young_function_keeps_everything(lambda_client: Any) -> None:
    # GIVEN three deploys: live on 3, fewer versions before it than keepVersions
    deploy(lambda_client, FUNCTION, versions=3)
    # WHEN the step prunes with the default
    pruning = plan(lambda_client, FUNCTION, keep=3)
    prune(lambda_client, pruning)
    # THEN nothing goes
    assert (pruning.kept, pruning.deleted) == ((1, 2, 3), ())
    assert sorted(published_versions(lambda_client, FUNCTION)) == [1, 2, 3]
    assert pruning.line(dry_run=False) == f"{FUNCTION}: kept 1, 2, 3; deleted none"


def test_a_function_mid_shift_is_skipped(lambda_client: Any) -> None:
    # GIVEN CodeDeploy shifting live from 6 to 8: the alias has a routing config
    deploy(lambda_client, FUNCTION, versions=8, live="6")
    lambda_client.update_alias(
        FunctionName=FUNCTION, Name="live", RoutingConfig={"AdditionalVersionWeights": {"8": 0.1}}
    )
    # WHEN the step prunes
    pruning = plan(lambda_client, FUNCTION, keep=0)
    prune(lambda_client, pruning)
    # THEN it deletes nothing of that function and says why
    assert pruning.deleted == ()
    assert sorted(published_versions(lambda_client, FUNCTION)) == list(range(1, 9))
    assert pruning.line(dry_run=False) == (
        f"{FUNCTION}: skipped, live is shifting to 8 (CodeDeploy deployment running)"
    )


def test_the_command_prunes_every_function_of_the_stack_and_dry_run_deletes_nothing(
    lambda_client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN every function of upload-dev deployed 6 times, live on the newest
    settings = load_settings("dev", environment_config("dev").get)
    functions = stack_functions(settings, "upload")
    for function in functions:
        deploy(lambda_client, function, versions=6)
    # WHEN the deploy runs the step with --dry-run
    assert prune_versions.main(["upload-dev", "--dry-run"]) == 0
    # THEN it says per function what would go and deletes nothing
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{f}: kept 3, 4, 5, 6; would delete 1, 2" for f in functions]
    assert all(len(published_versions(lambda_client, f)) == 6 for f in functions)
    # WHEN it runs for real (keepVersions: the default 3)
    assert settings.keep_versions == 3
    assert prune_versions.main(["upload-dev"]) == 0
    # THEN each function keeps live and the three before it
    assert capsys.readouterr().out.splitlines() == [
        f"{f}: kept 3, 4, 5, 6; deleted 1, 2" for f in functions
    ]
    for function in functions:
        assert sorted(published_versions(lambda_client, function)) == [3, 4, 5, 6]


@pytest.mark.parametrize("bad", [-1, 51, "three", 2.5, True])
def test_a_bad_keep_versions_setting_names_the_key(bad: Any) -> None:
    config = environment_config("dev") | {"keepVersions": bad}
    with pytest.raises(SettingsError, match=r"^marketplace:keepVersions must be an integer in"):
        load_settings("dev", config.get)


def test_the_command_fails_on_a_bad_setting_before_calling_aws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN an environment file whose keepVersions is not a number (no AWS here at all)
    config = environment_config("dev") | {"keepVersions": "three"}
    monkeypatch.setattr(shift_traffic, "environment_config", lambda env: config)
    # THEN the step stops with the key's name
    with pytest.raises(SettingsError, match="marketplace:keepVersions"):
        prune_versions.main(["upload-dev"])


def _policy(path: Any, stack: str) -> IAMPolicy:
    """A committed role policy as IAM evaluates it for ``stack``'s role (account and tags)."""
    service, env = stack.split("-")
    account = load_config(config_file_for(stack))["marketplace:accounts"][service]
    text = path.read_text()
    for variable, value in ((ACCOUNT, account), (ENV, env), (SERVICE, service)):
        text = text.replace(variable, value)
    return IAMPolicy(text)


def _function_arn(stack: str, function: str) -> str:
    service = stack.split("-")[0]
    account = load_config(config_file_for(stack))["marketplace:accounts"][service]
    return f"arn:aws:lambda:{REGION}:{account}:function:{function}"


def test_the_deploy_role_may_prune_its_own_functions_only() -> None:
    # GIVEN upload-dev's deploy role and preview role, as moto's IAM evaluates them
    deploy_role = _policy(DEPLOY_POLICY, "upload-dev")
    preview_role = _policy(PREVIEW_POLICY, "upload-dev")
    own = _function_arn("upload-dev", FUNCTION)
    # THEN the deploy role may read the aliases and versions and delete an old version
    for action in ("lambda:ListAliases", "lambda:GetAlias", "lambda:ListVersionsByFunction"):
        assert deploy_role.is_action_permitted(action, own) == PermissionResult.PERMITTED
    allowed = deploy_role.is_action_permitted("lambda:DeleteFunction", f"{own}:3")
    assert allowed == PermissionResult.PERMITTED
    # AND not another stack's versions: another service, another environment, another name
    others = [
        _function_arn("catalog-dev", "marketplace-dev-catalog-api") + ":3",
        _function_arn("upload-dev", "marketplace-dev-catalog-api") + ":3",
        _function_arn("upload-dev", "marketplace-prod-upload-api") + ":3",
        _function_arn("upload-dev", "someone-elses-function") + ":3",
    ]
    for arn in others:
        refused = deploy_role.is_action_permitted("lambda:DeleteFunction", arn)
        assert refused != PermissionResult.PERMITTED, arn
    # AND the read-only preview role may list but never delete
    listed = preview_role.is_action_permitted("lambda:ListAliases", own)
    assert listed == PermissionResult.PERMITTED
    deleted = preview_role.is_action_permitted("lambda:DeleteFunction", f"{own}:3")
    assert deleted != PermissionResult.PERMITTED


@pytest.mark.parametrize("job_name", ["deploy-dev", "deploy-prod"])
def test_the_deploy_prunes_right_after_the_shift(job_name: str) -> None:
    # GIVEN the deploy job of an environment (AllAtOnce in dev, shifting in prod)
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows/deploy.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"][job_name]["steps"]]
    shift = next(i for i, run in enumerate(runs) if "tools.shift_traffic" in run)
    # THEN the next step prunes the same stack (it runs only when the shift succeeded)
    assert runs[shift + 1] == ".venv/bin/python -m tools.prune_versions ${{ matrix.stack }}"
