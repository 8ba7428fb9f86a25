"""The results as one table (with ratios computed from the same run) and as JSON."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.images import Variant
from bench.runner import Runs

SCHEMA_VERSION = 1
TARGET_VARIANTS = ("jpeg-24mp", "jpeg-48mp")
MAX_FLOOR_RATIO = 1.25
MIN_PYVIPS_SPEEDUP = 1.2
MIN_NAIVE_SPEEDUP = 4.0
MAX_RSS_48MP_MB = 200.0
RATIO_KEYS = ("ours_vs_floor", "naive_vs_ours", "pyvips_vs_ours")


def ratios(results: dict[str, Runs]) -> dict[str, dict[str, float] | None]:
    """ours / floor (lower is better), naive / ours and pyvips / ours (speed-ups, higher is
    better), from the wall times of the same run."""
    return {
        "ours_vs_floor": _ratio(results, "ours", "floor"),
        "naive_vs_ours": _ratio(results, "naive", "ours"),
        "pyvips_vs_ours": _ratio(results, "pyvips", "ours"),
    }


def _ratio(results: dict[str, Runs], top: str, bottom: str) -> dict[str, float] | None:
    """`median`: the median over repeats of the ratio within each repeat (the two runs were
    seconds apart, so a burst of load elsewhere hits both); `min`: ratio of the minima;
    `of_medians`: ratio of the medians."""
    if top not in results or bottom not in results:
        return None
    upper, lower = results[top], results[bottom]
    if not upper.runs or not lower.runs or upper.error or lower.error:
        return None
    paired = [a["wall_ms"] / b["wall_ms"] for a, b in zip(upper.runs, lower.runs, strict=False)]
    upper_stat, lower_stat = upper.stat("wall_ms"), lower.stat("wall_ms")
    assert upper_stat and lower_stat
    return {
        "median": round(statistics.median(paired), 3),
        "min": round(upper_stat["min"] / lower_stat["min"], 3),
        "of_medians": round(upper_stat["median"] / lower_stat["median"], 3),
    }


def document(
    variants: list[Variant],
    results: dict[str, dict[str, Runs]],
    settings: dict[str, Any],
) -> dict[str, Any]:
    """The JSON written for CI comparisons (schema in BENCHMARKS.md)."""
    rows = []
    for variant in variants:
        by_implementation = results[variant.name]
        rows.append(
            {
                "name": variant.name,
                "format": variant.format,
                "width": variant.size[0],
                "height": variant.size[1],
                "megapixels": round(variant.megapixels, 1),
                "progressive": variant.progressive,
                "orientation": variant.orientation,
                "limit": variant.limit,
                "file_bytes": settings.get("file_bytes", {}).get(variant.name),
                "results": {name: runs.to_json() for name, runs in by_implementation.items()},
                "ratios": ratios(by_implementation),
            }
        )
    return {
        "schema": SCHEMA_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {key: value for key, value in settings.items() if key != "file_bytes"},
        "variants": rows,
        "targets": targets(rows),
    }


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets on 24 and 48 MP baseline JPEG, from medians; absent rows skipped."""
    checks = []
    for row in rows:
        if row["name"] not in TARGET_VARIANTS:
            continue
        ratio = row["ratios"]
        for key, label, limit, at_most in (
            ("ours_vs_floor", "ours / floor", MAX_FLOOR_RATIO, True),
            ("pyvips_vs_ours", "pyvips / ours", MIN_PYVIPS_SPEEDUP, False),
            ("naive_vs_ours", "naive / ours", MIN_NAIVE_SPEEDUP, False),
        ):
            if ratio.get(key):
                checks.append(_check(row["name"], label, ratio[key]["median"], limit, at_most))
        peak = (row["results"].get("ours") or {}).get("process_peak_rss_mb")
        if row["name"] == "jpeg-48mp" and peak:
            checks.append(
                _check(row["name"], "ours peak RSS MB", peak["max"], MAX_RSS_48MP_MB, True)
            )
    return checks


def _check(variant: str, label: str, value: float, limit: float, at_most: bool) -> dict[str, Any]:
    met = value <= limit if at_most else value >= limit
    return {
        "variant": variant,
        "what": label,
        "value": value,
        "limit": limit,
        "at_most": at_most,
        "met": met,
    }


def table(doc: dict[str, Any]) -> str:
    """One plain-text table: wall ms (min/median), peak RSS, and the three ratios."""
    header = (
        f"{'variant':30s} {'MB':>5s} | {'ours ms':>11s} {'cpu':>4s} {'floor ms':>11s} "
        f"{'naive ms':>11s} {'pyvips ms':>11s} | {'RSS ours':>8s} {'naive':>5s} {'pyvips':>6s} | "
        f"{'ours/floor':>10s} {'naive/ours':>10s} {'pyvips/ours':>11s}"
    )
    lines = [header, "-" * len(header)]
    for row in doc["variants"]:
        results = row["results"]
        times = [_time_cell(results.get(name)) for name in ("ours", "floor", "naive", "pyvips")]
        rss = [_rss_cell(results.get(name)) for name in ("ours", "naive", "pyvips")]
        ratios = [_ratio_cell(row["ratios"][key]) for key in RATIO_KEYS]
        size = f"{(row['file_bytes'] or 0) / 1e6:5.1f}"
        cpu = _cpu_cell(results.get("ours"))
        lines.append(
            f"{row['name']:30s} {size} | {times[0]:>11s} {cpu:>4s} "
            f"{times[1]:>11s} {times[2]:>11s} {times[3]:>11s} | {rss[0]:>8s} {rss[1]:>5s} "
            f"{rss[2]:>6s} | {ratios[0]:>10s} {ratios[1]:>10s} {ratios[2]:>11s}"
        )
    lines.append("")
    lines.append(
        "ms: wall time min/median, one fresh process per run, warm (the image processed once "
        "before); cpu: ours' CPU ms (median); RSS: process peak MB (max over runs); ratios: "
        "median over repeats of the ratio within a repeat; MB: file size."
    )
    return "\n".join(lines)


def targets_text(doc: dict[str, Any]) -> str:
    lines = []
    for check in doc["targets"]:
        relation = "<=" if check["at_most"] else ">="
        verdict = "met" if check["met"] else "MISSED"
        lines.append(
            f"  {check['variant']:10s} {check['what']:17s} {check['value']:8.3f} "
            f"(target {relation} {check['limit']:g}): {verdict}"
        )
    return "\n".join(["Targets (issue 6):", *lines]) if lines else ""


def _time_cell(runs: dict[str, Any] | None) -> str:
    if not runs:
        return "-"
    if "error" in runs:
        return "error"
    wall = runs["wall_ms"]
    if not wall:
        return "-"
    return f"{wall['min']:.0f}/{wall['median']:.0f}"


def _cpu_cell(runs: dict[str, Any] | None) -> str:
    if not runs or "error" in runs or not runs.get("cpu_ms"):
        return "-"
    return f"{runs['cpu_ms']['median']:.0f}"


def _rss_cell(runs: dict[str, Any] | None) -> str:
    if not runs or "error" in runs or not runs.get("process_peak_rss_mb"):
        return "-"
    return f"{runs['process_peak_rss_mb']['max']:.0f}"


def _ratio_cell(ratio: dict[str, float] | None) -> str:
    return f"{ratio['median']:.2f}" if ratio else "-"


def machine() -> dict[str, Any]:
    """What the numbers were measured on: they mean little without it."""
    from PIL import __version__ as pillow_version
    from PIL import features

    return {
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": platform.platform(),
        "pillow": pillow_version,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "libwebp": features.version("webp"),
        "zlib": features.version("zlib"),
        "pyvips": _pyvips_versions(),
        "load_average": os.getloadavg(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _pyvips_versions() -> str | None:
    try:
        import pyvips
    except (ImportError, OSError):
        return None
    libvips = ".".join(str(pyvips.version(i)) for i in range(3))
    return f"pyvips {pyvips.__version__}, libvips {libvips}"
