"""The GitHub Actions workflows, checked offline (they cannot run here: no GitHub, no CLI)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.layer import LAMBDA_PYTHON
from tools.affected_stacks import matrix

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
NAMES = ("test", "preview", "deploy")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+)*|[0-9a-f]{40})$")
PREVIEW_COMMAND = (
    'pulumi preview --diff -s ${{ matrix.stack }} --config-file "$config" --policy-pack policy'
)
UP_COMMAND = (
    'pulumi up --yes --diff -s ${{ matrix.stack }} --config-file "$config" --policy-pack policy'
)
STACK_SELECT = 'pulumi stack select --create ${{ matrix.stack }} --config-file "$config"'
CONFIG_COPY = 'cp Pulumi.${{ matrix.env }}.yaml "$config"'


def workflow(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text())
    # YAML 1.1 reads the key `on` as True
    document["on"] = document.pop(True, document.get("on"))
    return document


def steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def uses(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").startswith(f"{action}@")]


@pytest.mark.parametrize("name", NAMES)
def test_workflow_parses_with_triggers_and_jobs(name: str) -> None:
    document = workflow(name)
    assert document["name"] == name
    assert document["on"], f"{name}.yml has no trigger"
    assert document["jobs"] and all(job.get("steps") for job in document["jobs"].values())


@pytest.mark.parametrize("name", NAMES)
def test_workflow_pins_every_action_to_a_version(name: str) -> None:
    used = [step["uses"] for step in steps(workflow(name)) if "uses" in step]
    assert used
    for action in used:
        assert PINNED.match(action), f"{name}.yml: {action} is not pinned to vX.Y.Z or a SHA"


@pytest.mark.parametrize("name", NAMES)
def test_workflow_grants_least_permissions(name: str) -> None:
    document = workflow(name)
    assert document["permissions"] == {"contents": "read"}
    for job_name, job in document["jobs"].items():
        granted = job.get("permissions", {})
        assert set(granted.values()) <= {"read", "write"}, job_name
        if granted.get("id-token") == "write":
            # only jobs that assume a role get an OIDC token
            assert uses(job, "aws-actions/configure-aws-credentials"), job_name


def test_test_workflow_runs_the_ci_command_exactly() -> None:
    # GIVEN .ci/run, which ends with the README's test command
    ci = (REPO_ROOT / ".ci" / "run").read_text().strip().splitlines()[-1].strip()
    assert ci == "./dev test"
    # THEN the test job runs .ci/run itself after checkout and Python, and nothing else
    [job] = workflow("test")["jobs"].values()
    commands = [step["run"].strip() for step in job["steps"] if "run" in step]
    assert commands == ["bash .ci/run"]
    [python] = uses(job, "actions/setup-python")
    # Lambda's runtime: ./dev refuses another Python under CI (handlers are tested on it)
    assert python["with"]["python-version"] == LAMBDA_PYTHON


def test_preview_workflow_gets_its_matrix_from_our_script() -> None:
    jobs = workflow("preview")["jobs"]
    assert "python -m tools.affected_stacks" in runs(jobs["affected"])
    assert "--github-output" in runs(jobs["affected"])
    assert jobs["preview"]["strategy"]["matrix"] == "${{ fromJSON(needs.affected.outputs.matrix) }}"
    assert jobs["preview"]["needs"] == "affected"
    assert jobs["preview"]["strategy"]["fail-fast"] is False


def test_preview_workflow_runs_offline_then_pulumi_preview_with_the_policy_pack() -> None:
    job = workflow("preview")["jobs"]["preview"]
    commands = runs(job)
    # THEN the credential-free offline preview runs first, then the real one per stack
    assert "./dev preview ${{ matrix.stack }}" in commands
    assert PREVIEW_COMMAND in commands
    assert commands.index("./dev preview") < commands.index("pulumi preview")
    assert (REPO_ROOT / "policy" / "PulumiPolicy.yaml").exists()
    # the program's provider is pointed at the read-only role for the preview
    assert "--config marketplace:deployRoleName=${{ matrix.preview_role }}" in commands


def test_preview_workflow_assumes_the_read_only_role_through_oidc() -> None:
    job = workflow("preview")["jobs"]["preview"]
    [credentials] = uses(job, "aws-actions/configure-aws-credentials")
    assert credentials["with"]["role-to-assume"] == (
        "arn:aws:iam::${{ matrix.account }}:role/${{ matrix.preview_role }}"
    )
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(credentials["with"])
    assert job["permissions"]["id-token"] == "write"
    assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert job["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"


def test_preview_workflow_posts_the_output_on_the_pull_request_even_on_failure() -> None:
    job = workflow("preview")["jobs"]["preview"]
    [comment] = uses(job, "actions/github-script")
    assert comment["if"].startswith("always()")
    assert "preview.txt" in comment["with"]["script"]
    assert "createComment" in comment["with"]["script"]
    assert job["permissions"]["pull-requests"] == "write"
    assert "tee preview.txt" in runs(job)


def test_deploy_workflow_runs_dev_before_prod_and_prod_needs_approval() -> None:
    document = workflow("deploy")
    jobs = document["jobs"]
    assert set(document["on"]) == {"push", "workflow_dispatch"}
    assert document["on"]["push"]["branches"] == ["main"]
    dev, prod = jobs["deploy-dev"], jobs["deploy-prod"]
    # THEN prod waits for dev, and for the `prod` environment's reviewers
    assert "deploy-dev" in prod["needs"]
    assert prod["environment"] == "prod"
    assert dev["environment"] == "dev"
    assert "needs.deploy-dev.result == 'success'" in prod["if"]
    for job, env in ((dev, "dev"), (prod, "prod")):
        # one stack at a time, in the script's order (producers first)
        assert job["strategy"]["max-parallel"] == 1
        assert job["strategy"]["matrix"] == f"${{{{ fromJSON(needs.affected.outputs.{env}) }}}}"
        assert UP_COMMAND in runs(job)
        [credentials] = uses(job, "aws-actions/configure-aws-credentials")
        assert credentials["with"]["role-to-assume"] == (
            "arn:aws:iam::${{ matrix.account }}:role/${{ matrix.deploy_role }}"
        )
    affected = runs(jobs["affected"])
    assert "python -m tools.affected_stacks --env dev" in affected
    assert "python -m tools.affected_stacks --env prod" in affected


def test_deploy_workflow_deploys_everything_changed_since_the_last_successful_deploy() -> None:
    # GIVEN queued runs get cancelled by newer ones and failed runs must be retried
    job = workflow("deploy")["jobs"]["affected"]
    [base] = uses(job, "actions/github-script")
    # THEN the diff starts at the last successful deploy's commit, not at this push's parent
    assert "status: 'success'" in base["with"]["script"]
    assert "workflow_id: 'deploy.yml'" in base["with"]["script"]
    assert '--changed-from "${{ steps.base.outputs.result }}"' in runs(job)
    assert "github.event.before" not in (WORKFLOWS / "deploy.yml").read_text()
    assert job["permissions"]["actions"] == "read"


@pytest.mark.parametrize("name", ["preview", "deploy"])
def test_workflow_uses_only_matrix_keys_our_script_provides(name: str) -> None:
    text = (WORKFLOWS / f"{name}.yml").read_text()
    provided = set(matrix(["upload-dev"])["include"][0])
    used = set(re.findall(r"matrix\.(\w+)", text))
    assert used and used <= provided, used - provided


@pytest.mark.parametrize("name", ["preview", "deploy"])
def test_workflow_pulumi_cli_matches_the_sdk_pin(name: str) -> None:
    # GIVEN the pulumi SDK version the program is pinned to
    pins = (REPO_ROOT / "requirements" / "deploy.txt").read_text()
    sdk = re.search(r"^pulumi==([\d.]+)$", pins, re.MULTILINE)
    assert sdk
    # THEN every job installs the same CLI version
    for job in workflow(name)["jobs"].values():
        for step in uses(job, "pulumi/actions"):
            assert step["with"]["pulumi-version"] == sdk[1]


# -- Pulumi commands: stacks created on first use, shared env files never written ----------------

PULUMI_JOBS = [("preview", "preview", "pulumi preview"), ("deploy", "deploy-dev", "pulumi up"),
               ("deploy", "deploy-prod", "pulumi up")]  # fmt: skip


def pulumi_step(job: dict[str, Any], command: str) -> dict[str, Any]:
    [step] = [s for s in job["steps"] if command in s.get("run", "")]
    return step


@pytest.mark.parametrize(("name", "job_name", "command"), PULUMI_JOBS)
def test_workflow_creates_the_stack_before_its_first_preview_or_up(
    name: str, job_name: str, command: str
) -> None:
    script = pulumi_step(workflow(name)["jobs"][job_name], command)["run"]
    # THEN a stack that was never deployed is created (or selected) first
    assert STACK_SELECT in script
    assert script.index("pulumi login") < script.index(STACK_SELECT) < script.index(command)


@pytest.mark.parametrize(("name", "job_name", "command"), PULUMI_JOBS)
def test_workflow_gives_pulumi_a_copy_of_the_shared_env_file(
    name: str, job_name: str, command: str
) -> None:
    job = workflow(name)["jobs"][job_name]
    script = pulumi_step(job, command)["run"]
    # THEN every file Pulumi may write into is a throw-away copy in the runner's temp folder
    assert 'config="$RUNNER_TEMP/' in script
    assert script.index(CONFIG_COPY) < script.index("pulumi ")
    given = re.findall(r"--config-file\s+(\S+)", runs(job))
    assert given and set(given) == {'"$config"'}, given
    assert not re.search(r"--config-file\s+\S*Pulumi\.", runs(job))
    # AND a last step fails the job if a shared env file changed anyway
    check = job["steps"][job["steps"].index(pulumi_step(job, command)) + 1]
    assert check["run"].strip() == "git diff --exit-code -- 'Pulumi*.yaml'"
    assert job["env"]["PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER"] == "true"


FAKE_PULUMI = """\
#!{python}
'''Records its arguments; writes into --config-file what the real CLI writes there.'''
import json, os, sys
import yaml

args = sys.argv[1:]
with open(os.environ["FAKE_PULUMI_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if "--config-file" in args:
    path = args[args.index("--config-file") + 1]
    with open(path) as f:
        document = yaml.safe_load(f)
    if os.environ.get("PULUMI_CONFIG_PASSPHRASE"):
        document.setdefault("encryptionsalt", "v1:c2FsdA==:v1:bm9uY2U=:Y2lwaGVy")
    for index, arg in enumerate(args):
        if arg == "--config":
            key, value = args[index + 1].split("=", 1)
            document["config"][key] = value
    with open(path, "w") as f:
        yaml.safe_dump(document, f)
print("Previewing update (fake)")
"""


def run_script(script: str, job: dict[str, Any], work: Path, tmp_path: Path) -> list[list[str]]:
    """Run a workflow step's shell as the runner would, with a fake ``pulumi`` on PATH."""
    values = matrix(["upload-dev"])["include"][0]
    for key, value in values.items():
        script = script.replace(f"${{{{ matrix.{key} }}}}", str(value))
    assert "${{" not in script, script
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(FAKE_PULUMI.format(python=sys.executable))
    fake.chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    log = tmp_path / "calls.jsonl"
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner_temp),
        "PULUMI_BACKEND_URL": "s3://state-bucket",
        "PULUMI_CONFIG_PASSPHRASE": "passphrase",
        "FAKE_PULUMI_LOG": str(log),
    }
    subprocess.run(["bash", "-e", "-c", script], cwd=work, env=environment, check=True)
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.parametrize(("name", "job_name", "command"), PULUMI_JOBS)
def test_workflow_pulumi_step_leaves_the_shared_env_file_unchanged(
    name: str, job_name: str, command: str, tmp_path: Path
) -> None:
    # GIVEN a checkout holding the shared env file, and a pulumi that writes into its
    # --config-file as the real one does (--config values, a passphrase backend's salt)
    work = tmp_path / "checkout"
    work.mkdir()
    shared = REPO_ROOT / "Pulumi.dev.yaml"
    (work / "Pulumi.dev.yaml").write_bytes(shared.read_bytes())
    job = workflow(name)["jobs"][job_name]
    # WHEN the step's script runs
    calls = run_script(pulumi_step(job, command)["run"], job, work, tmp_path)
    # THEN it logged in, created the stack, then ran the command, all on the copy
    assert [c[0] for c in calls] == ["login", "stack", command.split()[1]]
    assert calls[1][:4] == ["stack", "select", "--create", "upload-dev"]
    copies = {c[c.index("--config-file") + 1] for c in calls if "--config-file" in c}
    assert len(copies) == 1
    copy = Path(copies.pop())
    assert copy.parent == tmp_path / "runner-temp"
    # AND the shared file is byte for byte what it was; the copy took the writes
    assert (work / "Pulumi.dev.yaml").read_bytes() == shared.read_bytes()
    written = yaml.safe_load(copy.read_text())
    assert "encryptionsalt" in written
    if name == "preview":
        assert written["config"]["marketplace:deployRoleName"] == "marketplace-preview"


@pytest.mark.parametrize("job_name", ["deploy-dev", "deploy-prod"])
def test_deploy_shifts_traffic_after_pulumi_up(job_name: str) -> None:
    # GIVEN the deploy job of an environment
    steps = workflow("deploy")["jobs"][job_name]["steps"]
    runs_in_order = [step.get("run", "") for step in steps]
    up = next(i for i, run in enumerate(runs_in_order) if "pulumi up" in run)
    shift = next(i for i, run in enumerate(runs_in_order) if "tools.shift_traffic" in run)
    # THEN the aliases move (CodeDeploy in prod) only after the update published the versions
    assert shift > up
    assert "${{ matrix.stack }}" in runs_in_order[shift]
