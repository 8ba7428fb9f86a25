"""The benchmark's commands, run end to end in fresh processes, so they cannot rot.

`python -m bench --quick` measures one small image once per implementation (the numbers are
not checked, only that the table and the JSON hold them and the ratios); `imports` measures
one handler; `cost` evaluates the dev stacks and prices the quick run's measurements.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
IMPLEMENTATIONS = ("ours", "floor", "naive")


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        env=environment,
        timeout=120,
    )


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any], Path]:
    """One quick run for every test of this module: its stdout, its JSON and the JSON's path."""
    directory = tmp_path_factory.mktemp("bench")
    path = directory / "latest.json"
    completed = run_bench("--quick", "--json", str(path), "--cache", str(directory / "images"))
    assert completed.returncode == 0, completed.stderr
    return completed.stdout, json.loads(path.read_text()), path


def test_bench_quick_prints_one_table_with_every_implementation(
    quick: tuple[str, dict[str, Any], Path],
) -> None:
    # GIVEN the quick run's output
    stdout, _, _ = quick

    # THEN the table has its header, the small image's row, and says how pyvips fared
    header = next(line for line in stdout.splitlines() if line.startswith("variant"))
    for column in ("ours ms", "floor ms", "naive ms", "pyvips ms", "ours/floor", "naive/ours"):
        assert column in header
    row = next(line for line in stdout.splitlines() if line.startswith("jpeg-2mp-quick"))
    assert "error" not in row
    pyvips_missing = "pyvips: not installed" in stdout
    assert pyvips_missing or row.split("|")[-1].split()[-1] != "-"


def test_bench_quick_json_holds_runs_and_ratios(quick: tuple[str, dict[str, Any], Path]) -> None:
    # GIVEN the quick run's JSON
    _, document, _ = quick

    # THEN it names the machine, and the one variant has a run of every implementation
    assert document["machine"]["pillow"] and document["machine"]["nproc"] >= 1
    assert document["settings"]["quick"] is True and document["settings"]["repeats"] == 1
    (variant,) = document["variants"]
    assert variant["name"] == "jpeg-2mp-quick"
    for name in IMPLEMENTATIONS:
        result = variant["results"][name]
        assert result["repeats"] == 1
        assert result["wall_ms"]["min"] > 0 and result["process_peak_rss_mb"]["max"] > 0
    # ... ours made every output at its size, the floor only decoded
    outputs = variant["results"]["ours"]["outputs"]
    assert (outputs["preview"]["width"], outputs["thumbnail"]["width"]) == (1600, 400)
    assert outputs["licensed_bytes"] > 0 and outputs["palette"]
    assert variant["results"]["floor"]["outputs"]["preview"] is None
    # ... and the ratios were computed from this run's numbers
    ours = variant["results"]["ours"]["wall_ms"]["median"]
    floor = variant["results"]["floor"]["wall_ms"]["median"]
    assert variant["ratios"]["ours_vs_floor"]["median"] == pytest.approx(ours / floor, rel=1e-2)
    assert variant["ratios"]["naive_vs_ours"]["median"] > 0


def test_bench_imports_measures_a_handler_module(tmp_path: Path) -> None:
    # GIVEN one handler module
    path = tmp_path / "imports.json"

    # WHEN its import is measured once
    completed = run_bench(
        "imports", "--repeats", "1", "--modules", "services.catalog.api", "--json", str(path)
    )

    # THEN the table names it and the JSON holds a positive import time against the limit
    assert "services.catalog.api" in completed.stdout, completed.stderr
    (module,) = json.loads(path.read_text())["modules"]
    assert module["module"] == "services.catalog.api"
    assert module["import_ms"]["min"] > 0 and module["limit_ms"] == 300


def test_bench_cost_prices_the_stacks_next_to_the_seed(
    quick: tuple[str, dict[str, Any], Path], tmp_path: Path
) -> None:
    # GIVEN the quick run's measurements (no 24 MP row: documented defaults are used)
    _, _, bench_json = quick
    path = tmp_path / "cost.json"

    # WHEN the dev stacks are priced
    completed = run_bench(
        "cost", "--env", "dev", "--bench-json", str(bench_json), "--json", str(path)
    )

    # THEN line items, the seed's estimate and the processor's price per 1,000 uploads print
    assert completed.returncode == 0, completed.stderr
    assert "721.73" in completed.stdout and "per 1,000 uploads" in completed.stdout
    document = json.loads(path.read_text())
    services = {item["service"] for item in document["items"]}
    assert {"Lambda", "S3", "DynamoDB", "CloudFront", "API Gateway"} <= services
    assert document["total_usd"] == pytest.approx(sum(i["usd"] for i in document["items"]), 0.01)
    assert document["processor_per_1000_uploads"]["usd_total"] > 0


def test_bench_without_pyvips_says_so_and_measures_the_rest(tmp_path: Path) -> None:
    # GIVEN an interpreter where pyvips cannot be imported (a module that fails, first on the path)
    hidden = tmp_path / "hide"
    hidden.mkdir()
    (hidden / "pyvips.py").write_text("raise ModuleNotFoundError(\"No module named 'pyvips'\")\n")
    path = tmp_path / "latest.json"
    environment = {**os.environ, "PYTHONPATH": f"{hidden}{os.pathsep}{REPO_ROOT}"}

    # WHEN the quick benchmark runs
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--json",
            str(path),
            "--cache",
            str(tmp_path / "images"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        env=environment,
        timeout=120,
    )

    # THEN it says so, and still measures and compares the others
    assert completed.returncode == 0, completed.stderr
    assert "pyvips: not installed" in completed.stdout
    (variant,) = json.loads(path.read_text())["variants"]
    assert set(variant["results"]) == {"ours", "floor", "naive"}
    assert variant["ratios"]["pyvips_vs_ours"] is None
    assert variant["ratios"]["naive_vs_ours"]["median"] > 0


def test_bench_emulator_prints_both_variants_and_their_ratio_per_size() -> None:
    # WHEN two catalogue sizes are measured twice each
    completed = run_bench("emulator", "--images", "0,2", "--repeats", "2")
    assert completed.returncode == 0, completed.stderr
    # THEN one row per operation and size: images, items, moto's ms, ours, their ratio
    rows = [line.rsplit(None, 5) for line in completed.stdout.splitlines()[1:5]]
    assert [(row[0].split(" (")[0], row[1], row[2]) for row in rows] == [
        ("transaction", "0", "0"),
        ("query", "0", "0"),
        ("transaction", "2", "320"),
        ("query", "2", "320"),
    ]
    for row in rows:
        shipped, ours = float(row[3]), float(row[4])
        assert shipped > 0 and ours > 0
        assert row[5].endswith("x") and float(row[5][:-1]) > 0  # of the unrounded times
