"""local/status.py's arithmetic and log reading, without an environment."""

from __future__ import annotations

import json
from pathlib import Path

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
