"""Lint, format and types are part of the suite, so CI holds every change to them."""

from __future__ import annotations

import subprocess
import sys

from local.program import REPO_ROOT


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_finds_no_lint_errors() -> None:
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_ruff_formatted() -> None:
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_components_and_services_type_check() -> None:
    # mypy is configured in pyproject.toml ([tool.mypy]: components and services)
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
