"""local/status.py's arithmetic and log reading, without an environment."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from components import aws_types
from local.graph import Graph
from local.program import REPO_ROOT
from local.runtime.invocation_log import InvocationLog, read_invocations
from local.status import function_figures, p95, recent_failures


def test_p95_is_the_nearest_rank() -> None:
    assert p95([]) is None
    assert p95([5.0]) == 5.0
    assert p95([float(v) for v in range(1, 101)]) == 95.0
    assert p95([float(v) for v in range(1, 21)]) == 19.0


def test_invocation_log_round_trips_and_figures_count_errors(tmp_path: Path) -> None:
    log = InvocationLog(tmp_path / "invocations.jsonl")
    log.record("f", True, 10.0, "r1")
    log.record("f", False, 30.0, "r2", "Boom: no")
    (tmp_path / "invocations.jsonl").open("a").write('{"half": ')  # a half-written line
    records = list(read_invocations(tmp_path / "invocations.jsonl"))
    figures = function_figures(["f", "g"], records)
    assert [(f.name, f.invocations, f.errors, f.p95_ms) for f in figures] == [
        ("f", 2, 1, 30.0),
        ("g", 0, 0, None),
    ]


def test_recent_failures_carry_the_correlation_id_the_function_logged(tmp_path: Path) -> None:
    log = InvocationLog(tmp_path / "invocations.jsonl")
    log.record("fn", False, 5.0, "req-1", "Boom: no")
    entry = {"function_request_id": "req-1", "correlation_id": "corr-9", "message": "x"}
    (tmp_path / "fn.log").write_text("not json req-1\n" + json.dumps(entry) + "\n")
    failures = recent_failures(list(read_invocations(tmp_path / "invocations.jsonl")), tmp_path)
    assert [(f.function, f.correlation_id, f.error) for f in failures] == [
        ("fn", "corr-9", "Boom: no")
    ]


def test_status_watch_redraws_until_interrupted(tmp_path: Path) -> None:
    # GIVEN a recorded environment with one function invoked once (no queues: no emulator)
    function = {"type": aws_types.FUNCTION, "inputs": {"name": "fn"}, "account": "1"}
    graph = Graph(endpoint="http://127.0.0.1:9", region="eu-west-1", stacks={"s": [function]})
    graph_path = graph.save(tmp_path / "graph.json")
    InvocationLog(tmp_path / "logs" / "invocations.jsonl").record("fn", True, 12.0, "r1")
    command = [sys.executable, "-m", "local", "status", "--graph", str(graph_path)]
    # WHEN status runs with --watch every 0.2 s, then gets Ctrl-C
    watch = subprocess.Popen(
        [*command, "--watch", "--interval", "0.2"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3)
    finally:
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=30)
    # THEN it cleared and redrew the screen more than once, each time with the figures
    assert watch.returncode == 0, err
    screens = out.split("\033[2J\033[H")[1:]
    assert len(screens) >= 2
    assert all(screen.splitlines()[1].split()[:4] == ["fn", "1", "0", "12"] for screen in screens)
    # and without --watch it prints once and exits
    once = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert once.returncode == 0 and "\033[2J" not in once.stdout and "fn" in once.stdout
