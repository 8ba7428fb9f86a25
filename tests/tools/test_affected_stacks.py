"""Which stacks a change touches: the matrix the preview and deploy workflows run."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from local.program import config_file_for, load_config
from services.contracts.catalogue import SERVICES, ServiceSpec
from tools import affected_stacks
from tools.affected_stacks import (
    affected_stacks as stacks_for,
)
from tools.affected_stacks import (
    all_stacks,
    changed_paths,
    deploy_order,
    impact_of,
    main,
    matrix,
)

ALL_DEV_AND_PROD = all_stacks(("dev", "prod"))


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_affected_stacks_handler_change_touches_only_that_service(service: str) -> None:
    # GIVEN a change to one service's handler code
    paths = [f"services/{service}/api.py"]
    # WHEN the affected stacks are computed
    stacks = stacks_for(paths)
    # THEN exactly that service's dev and prod stacks are affected
    assert stacks == [f"{service}-dev", f"{service}-prod"]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_affected_stacks_service_component_touches_only_that_service(service: str) -> None:
    assert stacks_for([f"components/{service}_service.py"]) == [
        f"{service}-dev",
        f"{service}-prod",
    ]


@pytest.mark.parametrize(
    "path",
    [
        "components/function.py",
        "components/service.py",
        "components/event_subscription.py",
        "services/contracts/catalogue.py",
        "services/contracts/schemas/image.published.json",
        "services/common/http.py",
        "services/__init__.py",
        "__main__.py",
        "Pulumi.yaml",
        "requirements/lambda.txt",
        "requirements/deploy.txt",
        "requirements/constraints.txt",
        "policy/rules.py",
    ],
)
def test_affected_stacks_shared_building_block_touches_every_stack(path: str) -> None:
    # WHEN a shared building block, contract, the program or its pins change
    stacks = stacks_for([path])
    # THEN every stack of every deployed environment is previewed
    assert stacks == ALL_DEV_AND_PROD


def test_affected_stacks_environment_file_touches_every_stack_of_that_env() -> None:
    assert stacks_for(["Pulumi.prod.yaml"]) == all_stacks(("prod",))
    assert stacks_for(["Pulumi.dev.yaml"]) == all_stacks(("dev",))


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "docs/pull-requests-and-deploys.md",
        "services/README.md",
        "components/README.md",
        "tests/infra/test_security.py",
        "tests/services/upload/test_api.py",
        "local/preview.py",
        "tools/affected_stacks.py",
        ".github/workflows/preview.yml",
        "requirements/dev.txt",
        "Pulumi.local.yaml",
        "",
    ],
)
def test_affected_stacks_docs_tests_and_tooling_touch_nothing(path: str) -> None:
    assert stacks_for([path]) == []


def test_affected_stacks_env_filter_keeps_only_requested_envs() -> None:
    # GIVEN a shared change, WHEN only dev is asked for
    stacks = stacks_for(["components/table.py"], envs=("dev",))
    # THEN only dev stacks come back
    assert stacks == all_stacks(("dev",))
    assert all(s.endswith("-dev") for s in stacks)


def test_affected_stacks_union_of_paths_is_ordered_env_then_producers_first() -> None:
    stacks = stacks_for(["services/catalog/api.py", "services/upload/processor.py"])
    assert stacks == ["upload-dev", "catalog-dev", "upload-prod", "catalog-prod"]


def test_deploy_order_puts_every_producer_before_its_consumers() -> None:
    order = deploy_order()
    assert sorted(order) == sorted(SERVICES)
    for consumer, spec in SERVICES.items():
        for producer in spec.consumes:
            assert order.index(producer) < order.index(consumer), (producer, consumer)


def test_affected_stacks_new_catalogue_service_needs_no_code_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a service added to the catalogue only
    services = {**SERVICES, "billing": ServiceSpec("billing", "team-billing", consumes={})}
    monkeypatch.setattr(affected_stacks, "SERVICES", services)
    # WHEN its handler changes
    stacks = stacks_for(["services/billing/api.py", "components/billing_service.py"])
    # THEN its stacks are affected, with no list of services to update anywhere
    assert stacks == ["billing-dev", "billing-prod"]
    assert impact_of("components/billing_service.py").services == {"billing"}


def test_matrix_carries_account_region_and_roles_from_the_env_file() -> None:
    # WHEN the matrix of two stacks is built
    include = matrix(["purchase-dev", "catalog-prod"])["include"]
    # THEN each entry has what its job needs, from Pulumi.<env>.yaml
    dev = load_config(config_file_for("purchase-dev"))
    assert include[0] == {
        "stack": "purchase-dev",
        "service": "purchase",
        "env": "dev",
        "team": SERVICES["purchase"].team,
        "account": dev["marketplace:accounts"]["purchase"],
        "region": dev["marketplace:region"],
        "config_file": "Pulumi.dev.yaml",
        "deploy_role": dev["marketplace:deployRoleName"],
        "preview_role": dev["marketplace:previewRoleName"],
    }
    prod = load_config(config_file_for("catalog-prod"))
    assert include[1]["account"] == prod["marketplace:accounts"]["catalog"]


def test_main_writes_matrix_and_count_to_github_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a GitHub output file
    output = tmp_path / "github_output"
    # WHEN the script runs on two changed paths, dev only
    code = main(
        ["--env", "dev", "--github-output", str(output), "services/upload/x.py", "README.md"]
    )
    # THEN it prints the matrix and appends matrix= and matrix-count= lines
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert [e["stack"] for e in printed["include"]] == ["upload-dev"]
    lines = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert json.loads(lines["matrix"]) == printed
    assert lines["matrix-count"] == "1"


def test_main_reads_paths_from_stdin_when_none_are_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["--env", "prod"], stdin=io.StringIO("docs/x.md\nservices/purchase/api.py\n"))
    assert code == 0
    assert [e["stack"] for e in json.loads(capsys.readouterr().out)["include"]] == ["purchase-prod"]


def test_main_all_lists_every_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--all"]) == 0
    stacks = [e["stack"] for e in json.loads(capsys.readouterr().out)["include"]]
    assert stacks == ALL_DEV_AND_PROD


def test_changed_paths_first_push_of_a_branch_means_everything() -> None:
    # GitHub sends 40 zeros as `before` on a new branch: nothing to diff against
    assert changed_paths("0" * 40, "HEAD") is None


def test_changed_paths_unknown_commit_means_everything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a base the checkout does not have (shallow clone, force push)
    paths = changed_paths("f" * 40, "HEAD")
    # THEN every stack counts as affected, with a warning saying why
    assert paths is None
    assert "treating every stack as affected" in capsys.readouterr().err


def test_changed_paths_lists_files_changed_since_the_merge_base() -> None:
    # GIVEN the repository's own history, WHEN diffing HEAD against itself
    paths = changed_paths("HEAD", "HEAD")
    # THEN git answered (an empty list, not "unknown")
    assert paths == []
