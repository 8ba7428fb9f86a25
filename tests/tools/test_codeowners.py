"""CODEOWNERS is generated from the event catalogue, the same source as the ``team`` tag."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from components.tagging import required_tags
from services.contracts.catalogue import PLATFORM_TEAM, SERVICES
from tools import codeowners
from tools.codeowners import CODEOWNERS, DEFAULT_ORG, main, render


def owner_of(path: str, text: str) -> str:
    """GitHub's rule for our patterns: the last matching line wins."""
    owner = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, team = line.split()
        if pattern == "*":
            matched = True
        elif pattern.endswith("/"):
            matched = f"/{path}".startswith(pattern)
        else:
            matched = fnmatch.fnmatchcase(f"/{path}", pattern)
        if matched:
            owner = team
    return owner


def test_codeowners_committed_file_is_the_generated_one() -> None:
    # THEN regenerating changes nothing (else: run `python -m tools.codeowners`)
    assert CODEOWNERS.read_text() == render()


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_codeowners_service_code_and_component_belong_to_its_team(service: str) -> None:
    # GIVEN the committed file
    text = CODEOWNERS.read_text()
    # THEN the service's handlers, component and handler tests belong to the team that its
    # resources' `team` tag names
    team = f"@{DEFAULT_ORG}/{required_tags(service, 'dev')['team']}"
    assert owner_of(f"services/{service}/api.py", text) == team
    assert owner_of(f"components/{service}_service.py", text) == team
    assert owner_of(f"tests/services/{service}/test_api.py", text) == team


@pytest.mark.parametrize(
    "path",
    [
        "components/function.py",
        "components/service.py",
        "services/contracts/catalogue.py",
        "services/common/http.py",
        "__main__.py",
        "Pulumi.prod.yaml",
        "policy/rules.py",
        ".github/workflows/deploy.yml",
        "README.md",
    ],
)
def test_codeowners_shared_building_blocks_belong_to_the_platform_team(path: str) -> None:
    assert owner_of(path, CODEOWNERS.read_text()) == f"@{DEFAULT_ORG}/{PLATFORM_TEAM}"


def test_codeowners_org_is_configurable() -> None:
    text = render("acme")
    assert "@acme/" in text and f"@{DEFAULT_ORG}/" not in text
    assert owner_of("services/upload/api.py", text) == f"@acme/{SERVICES['upload'].team}"


def test_codeowners_check_fails_on_a_stale_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a CODEOWNERS that someone edited by hand
    stale = tmp_path / "CODEOWNERS"
    stale.write_text(render() + "/services/upload/ @someone\n")
    monkeypatch.setattr(codeowners, "CODEOWNERS", stale)
    # WHEN checked, THEN it fails; once regenerated, it passes
    assert main(["--check"]) == 1
    assert main([]) == 0
    assert main(["--check"]) == 0
