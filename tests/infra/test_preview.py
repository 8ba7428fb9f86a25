"""The offline preview prints every stack's tree once, cleanly, and fails loudly when broken."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter

import pytest

from local.__main__ import main
from local.preview import evaluate_for_preview, render_tree
from local.program import REPO_ROOT, Evaluation, Resource
from tests.infra.conftest import STACKS

TREE_LINE = re.compile(r"^(?P<indent>(?:    )*)\+ (?P<type>\S+)  (?P<name>\S+)(?:  \[\d{12}\])?$")
"""``    + aws:sqs/queue:Queue  upload-ingest-queue  [111111111111]``."""


def parse_tree(lines: list[str]) -> list[tuple[int, str, str, tuple[str, str] | None]]:
    """(depth, type, name, (type, name) of the line it is nested under) of each tree line."""
    parsed, open_at_depth = [], {}
    for line in lines:
        match = TREE_LINE.match(line)
        assert match, f"not a tree line: {line!r}"
        depth = len(match["indent"]) // 4
        node = (match["type"], match["name"])
        parsed.append((depth, *node, open_at_depth.get(depth - 1)))
        open_at_depth[depth] = node
    return parsed


def expected_tree(evaluation: Evaluation) -> Counter[tuple[int, str, str, tuple[str, str] | None]]:
    """What each resource's line must be, from its parent URN chain (the stack at depth 0)."""
    by_urn: dict[str, Resource] = {r.urn: r for r in evaluation.resources}
    stack = ("pulumi:pulumi:Stack", f"marketplace-{evaluation.stack}")

    def depth(resource: Resource) -> int:
        return 1 if resource.parent is None else depth(by_urn[resource.parent]) + 1

    def parent(resource: Resource) -> tuple[str, str]:
        if resource.parent is None:
            return stack
        return (by_urn[resource.parent].type, by_urn[resource.parent].name)

    lines = [(depth(r), r.type, r.name, parent(r)) for r in evaluation.resources]
    return Counter([(0, *stack, None), *lines])


@pytest.mark.parametrize("stack_name", STACKS)
def test_preview_prints_each_resource_once_under_its_own_parent(stack_name: str) -> None:
    # GIVEN a committed stack evaluated as the preview evaluates it
    evaluation = evaluate_for_preview(stack_name)
    assert len({r.urn for r in evaluation.resources}) == len(evaluation.resources)
    # WHEN its tree is rendered
    printed = parse_tree(list(render_tree(evaluation)))
    # THEN every resource has exactly one line, nested under the component that owns it
    # (names repeat across components: purchase-completion is a Function and a StreamSource)
    duplicates = [line for line, n in Counter(printed).items() if n > 1]
    assert duplicates == [], f"printed more than once: {duplicates}"
    assert Counter(printed) == expected_tree(evaluation)


@pytest.mark.parametrize("stack_name", STACKS)
def test_preview_prints_tree_with_accounts_and_counts(
    stack_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # WHEN the offline preview runs for a committed stack
    code = main(["preview", stack_name])
    out = capsys.readouterr().out
    # THEN it exits 0 and shows nested resources with their account, counts and outputs
    assert code == 0
    assert out.startswith(f"+ pulumi:pulumi:Stack  marketplace-{stack_name}")
    assert "    + pulumi:providers:aws" in out
    assert "        + marketplace:" in out
    assert "Resources: " in out and re.search(r"(apiUrl|url): https://", out)


@pytest.mark.parametrize("stack_name", ["purchase-prod", "upload-dev"])
def test_preview_command_writes_nothing_to_stderr_on_success(stack_name: str) -> None:
    # GIVEN the command a newcomer runs, in a fresh interpreter that shows every unclosed
    # resource (an event loop left open fails in its finaliser at exit, nondeterministically)
    environment = {**os.environ, "PYTHONWARNINGS": "always::ResourceWarning"}
    # WHEN it previews a stack (purchase also evaluates upload, whose outputs it references)
    result = subprocess.run(
        [sys.executable, "-m", "local", "preview", stack_name],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # THEN it succeeds, and stderr has no traceback and no unclosed event loop
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"+ pulumi:pulumi:Stack  marketplace-{stack_name}")
    for symptom in ("Traceback", "Exception ignored", "unclosed event loop", "Invalid file"):
        assert symptom not in result.stderr, result.stderr


def test_preview_exits_non_zero_naming_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["preview", "billing-dev"])
    assert code == 1
    assert "unknown service 'billing'" in capsys.readouterr().err
