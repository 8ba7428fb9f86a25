"""The README stays true: its commands exist and its architecture picture is the program's."""

from __future__ import annotations

import re
import subprocess
import sys

from local.graph_diagram import build_diagram, load_resources, to_mermaid
from local.program import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_architecture_is_the_generated_graph(tmp_path) -> None:
    # GIVEN the diagram drawn from the dev stacks evaluated offline
    stacks, accounts = load_resources("dev", graph_file=tmp_path / "absent.json")
    generated = to_mermaid(build_diagram(stacks, accounts))
    # THEN the README embeds exactly that (regenerate with ./dev graph --env dev)
    embedded = re.search(r"```mermaid\n(.*?)```", README, re.S)
    assert embedded is not None
    assert embedded.group(1) == generated


def test_readme_quick_start_is_two_commands_that_exist() -> None:
    assert "./dev demo" in README and "./dev test" in README
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./dev test" in ci
    help_text = subprocess.run(
        [sys.executable, "-m", "local", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("demo", "up", "preview", "graph", "down"):
        assert command in help_text
