"""``python -m local status`` against the running environment: live figures, not a mock-up."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

from local.program import REPO_ROOT
from local.runtime.environment import LocalEnvironment
from local.status import snapshot


def _table(lines: list[str], name: str) -> list[str]:
    return [line for line in lines if line.startswith(name)]


def test_status_counts_invocations_errors_and_lists_queues(local_env: LocalEnvironment) -> None:
    # GIVEN the running environment, its catalog API called three times
    assert local_env.graph is not None and local_env.runtime is not None
    log_dir = local_env.state_dir / "logs"
    name = "marketplace-local-catalog-api"
    before = _table(snapshot(local_env.graph, log_dir), name)[0].split()
    for _ in range(3):
        with urllib.request.urlopen(f"{local_env.api_url('catalog')}/tags", timeout=30) as r:
            assert r.status == 200
    # ... and the indexer handed an event it cannot take (an invocation error)
    failed = local_env.runtime.functions["marketplace-local-catalog-indexer"].invoke("not an event")
    assert not failed.ok

    # WHEN status reads the environment
    screen = snapshot(local_env.graph, log_dir)

    # THEN the API's invocations grew by three, without errors, with a p95
    row = _table(screen, name)[0].split()
    assert int(row[1]) == int(before[1]) + 3 and row[2] == before[2] and row[3] != "-"
    indexer = _table(screen, "marketplace-local-catalog-indexer")[0].split()
    assert int(indexer[2]) >= 1
    # every work queue is listed with its depth and its DLQ's depth
    queues = _table(screen, "marketplace-local-catalog-upload-events")
    assert queues and queues[0].split()[-1].isdigit()
    # and the failure is the newest recent failure
    failures = screen[screen.index("recent failures (newest first)") + 1 :]
    assert "marketplace-local-catalog-indexer" in failures[0]


def test_status_command_prints_the_figures(local_env: LocalEnvironment) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "local",
            "status",
            "--graph",
            str(local_env.state_dir / "graph.json"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "marketplace-local-purchase-completion" in result.stdout
    assert "marketplace-local-upload-ingest" in result.stdout
