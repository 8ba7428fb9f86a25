"""Run every (variant, implementation) pair in fresh processes and summarise the runs."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.images import Variant, ensure

REPO_ROOT = Path(__file__).resolve().parent.parent
IMPLEMENTATIONS = ("ours", "floor", "naive", "pyvips")
LIMIT_IMPLEMENTATIONS = ("ours", "floor")
"""Memory-sizing rows at the pixel limit: naive/pyvips there would only cost minutes."""
RUN_TIMEOUT_SECONDS = 600


@dataclass
class Runs:
    """Every run of one implementation on one variant; `error` when it could not run."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    def stat(self, key: str) -> dict[str, float] | None:
        values = [run[key] for run in self.runs]
        if not values:
            return None
        return {"min": min(values), "median": statistics.median(values), "max": max(values)}

    def to_json(self) -> dict[str, Any]:
        if self.error:
            return {"error": self.error}
        return {
            "repeats": len(self.runs),
            "wall_ms": self.stat("wall_ms"),
            "first_wall_ms": self.stat("first_wall_ms"),
            "cpu_ms": self.stat("cpu_ms"),
            "peak_rss_mb": self.stat("peak_rss_mb"),
            "base_rss_mb": self.stat("base_rss_mb"),
            "process_peak_rss_mb": self.stat("process_peak_rss_mb"),
            "minor_faults": self.stat("minor_faults"),
            "runs_wall_ms": [run["wall_ms"] for run in self.runs],
            "outputs": self.runs[-1]["outputs"] if self.runs else None,
        }


def pyvips_available() -> str | None:
    """None when pyvips and its libvips load in a fresh interpreter, else why not."""
    probe = "import pyvips; pyvips.Image.black(1, 1).avg()"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=REPO_ROOT
    )
    if result.returncode == 0:
        return None
    last = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
    return "not installed" if "No module named" in last else last


def measure(
    variants: list[Variant],
    implementations: Iterable[str],
    *,
    repeats: int,
    cache_dir: Path,
    cpu: int | None,
    max_pixels: int,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Runs]]:
    """{variant name: {implementation: Runs}}.

    Repeats are the outer loop and implementations the inner one, so a burst of load from
    elsewhere on the machine hits every implementation of a variant alike.
    """
    implementations = list(implementations)
    paths = {variant.name: ensure(variant, cache_dir) for variant in variants}
    results = {
        variant.name: {name: Runs() for name in _applicable(variant, implementations)}
        for variant in variants
    }
    for repeat in range(repeats):
        for variant in variants:
            for name, runs in results[variant.name].items():
                if runs.error:
                    continue
                try:
                    runs.runs.append(run_child(name, paths[variant.name], cpu, max_pixels))
                except RuntimeError as error:
                    runs.error = str(error)
                if progress:
                    progress(_progress_line(repeat, repeats, variant, name, runs))
    return results


def _applicable(variant: Variant, implementations: list[str]) -> list[str]:
    return [n for n in implementations if not variant.limit or n in LIMIT_IMPLEMENTATIONS]


def _progress_line(repeat: int, repeats: int, variant: Variant, name: str, runs: Runs) -> str:
    shown = f"error: {runs.error}" if runs.error else f"{runs.runs[-1]['wall_ms']:8.1f} ms"
    return f"[{repeat + 1}/{repeats}] {variant.name:32s} {name:7s} {shown}"


def run_child(
    implementation: str,
    image: Path,
    cpu: int | None,
    max_pixels: int,
    revert: list[str] | None = None,
    root: Path = REPO_ROOT,
) -> dict[str, Any]:
    """One fresh-process run of `bench.worker`: its JSON line (RuntimeError when it failed).

    `root`: the checkout whose `services` package is measured (another one than this, for a
    before/after comparison); the worker itself always comes from this checkout.
    """
    command = [sys.executable, "-m", "bench.worker", implementation, str(image)]
    command += ["--max-pixels", str(max_pixels)]
    if revert:
        command += ["--revert", ",".join(revert)]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env=environment,
        timeout=RUN_TIMEOUT_SECONDS,
    )
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{implementation} failed: {last}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result
