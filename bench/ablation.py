"""python -m bench ablation: what each optimisation of the pipeline buys, one at a time.

Each optimisation has a revert: patches that put back what it replaced. Compute-only
optimisations are measured in one fresh process per optimisation that alternates ours as it is
and ours reverted, call after call (both warmed first): the median of the paired differences
resolves a millisecond even on a loaded machine, where separate processes could not. What is
about memory (the glibc tuning, the WebP decode) is measured across fresh processes instead,
exactly like the main benchmark, with the minor page faults and the peak RSS it is about.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from bench import images, implementations, runner, settings

Patch = tuple[object, str, object]


@dataclass(frozen=True)
class Optimisation:
    name: str
    replaced: str
    variant: str
    patches: Callable[[], list[Patch]]
    fresh_processes: bool = False
    """Measured across fresh processes (memory effects) rather than alternating in one."""


def _half_scale_dct() -> list[Patch]:
    from services.upload.pipeline import decode

    return [(decode, "_prefer_three_eighths", lambda image, original, size: None)]


def _hamming_resize() -> list[Patch]:
    from PIL import Image

    from services.upload.pipeline import renditions

    return [(renditions, "RESAMPLE", Image.Resampling.HAMMING)]


def _whole_stamp() -> list[Patch]:
    from services.upload.pipeline import process, watermark

    def stamp(image: Any) -> None:
        ink, mask = watermark.stamp_for(max(image.size))
        image.paste(ink, (0, 0), mask)

    return [(process, "stamp", stamp)]


def _no_exact_reduction() -> list[Patch]:
    from services.upload.pipeline import renditions

    return [(renditions, "exact_reduction", lambda source, target: None)]


def _palette_sample_64() -> list[Patch]:
    from services.upload.pipeline import palette

    return [(palette, "SAMPLE_SIDE", 64)]


def _regex_scan() -> list[Patch]:
    from services.upload.pipeline import jpeg_segments

    def end_of_scan(self: Any, position: int) -> int:
        found = jpeg_segments._MARKER_IN_SCAN.search(self._data, position)
        return found.start() if found else len(self._data)

    return [(jpeg_segments._ScanEnds, "end_of_scan", end_of_scan)]


def _default_malloc() -> list[Patch]:
    from services.upload.pipeline import process

    return [(process, "keep_freed_memory", lambda: False)]


def _whole_conversion() -> list[Patch]:
    from services.upload.pipeline import renditions

    return [(renditions, "needs_conversion", lambda image: False)]


def _pillow_webp() -> list[Patch]:
    from services.upload.pipeline import decode

    return [(decode, "decode_scaled", lambda data, size: None)]


OPTIMISATIONS = (
    Optimisation(
        "dct-3/8", "decoding at 1/2 (Pillow's own draft scales)", "jpeg-24mp", _half_scale_dct
    ),
    Optimisation(
        "box-resize", "HAMMING for the last (< 2x) step of the resize", "jpeg-24mp", _hamming_resize
    ),
    Optimisation("stamp-pieces", "pasting the whole square stamp", "jpeg-24mp", _whole_stamp),
    Optimisation(
        "exact-reduce", "resize(reducing_gap) for the thumbnail", "jpeg-24mp", _no_exact_reduction
    ),
    Optimisation("palette-32px", "quantizing a 64 px sample", "jpeg-24mp", _palette_sample_64),
    Optimisation(
        "find-scan", "a regular expression over the entropy-coded data", "jpeg-24mp", _regex_scan
    ),
    Optimisation(
        "keep-freed-memory",
        "glibc's default: freed buffers go back to the kernel",
        "jpeg-24mp",
        _default_malloc,
        fresh_processes=True,
    ),
    Optimisation(
        "banded-conversion",
        "converting a palette image to RGBA whole before reducing it",
        "png-100mp-palette-limit",
        _whole_conversion,
        fresh_processes=True,
    ),
    Optimisation(
        "webp-scaled-decode",
        "Pillow's full WebP decode",
        "webp-24mp",
        _pillow_webp,
        fresh_processes=True,
    ),
)
BY_NAME = {optimisation.name: optimisation for optimisation in OPTIMISATIONS}


@contextlib.contextmanager
def reverted(names: list[str]) -> Iterator[None]:
    """The pipeline with the optimisations called `names` undone, until the block ends."""
    with contextlib.ExitStack() as stack:
        for name in names:
            for target, attribute, value in BY_NAME[name].patches():
                stack.enter_context(mock.patch.object(target, attribute, value))
        yield


def revert(names: list[str]) -> None:
    """Undo the optimisations for the rest of this process (a worker's `--revert`)."""
    for name in names:
        for target, attribute, value in BY_NAME[name].patches():
            setattr(target, attribute, value)


# --------------------------------------------------------------------------------------------
# Measuring


def measure(names: list[str], repeats: int, cpu: int | None) -> list[dict[str, Any]]:
    limits = images.limit_variants(settings.max_image_pixels())
    candidates = images.jpeg_variants([24]) + images.other_variants([24]) + limits
    variants = {v.name: v for v in candidates}
    cache = settings.RESULTS_DIR / "images"
    rows = []
    for name in names:
        optimisation = BY_NAME[name]
        path = images.ensure(variants[optimisation.variant], cache)
        if optimisation.fresh_processes:
            rows.append(_across_processes(optimisation, path, repeats, cpu))
        else:
            rows.append(_alternating(optimisation, path, repeats, cpu))
    return rows


def _alternating(
    optimisation: Optimisation, path: Path, repeats: int, cpu: int | None
) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.ablation", "--child", optimisation.name, str(path)]
    command += ["--repeats", str(repeats), "--cpu", "none" if cpu is None else str(cpu)]
    environment = {**os.environ, "PYTHONPATH": str(runner.REPO_ROOT)}
    completed = subprocess.run(
        command, capture_output=True, text=True, check=True, cwd=runner.REPO_ROOT, env=environment
    )
    pairs = json.loads(completed.stdout)
    return _row(optimisation, "alternating in one process", pairs["with"], pairs["without"])


def _across_processes(
    optimisation: Optimisation, path: Path, repeats: int, cpu: int | None
) -> dict[str, Any]:
    max_pixels = settings.max_image_pixels()
    with_it, without = [], []
    for _ in range(repeats):
        with_it.append(runner.run_child("ours", path, cpu, max_pixels))
        without.append(runner.run_child("ours", path, cpu, max_pixels, [optimisation.name]))
    row = _row(
        optimisation,
        "fresh processes",
        [run["cpu_ms"] for run in with_it],
        [run["cpu_ms"] for run in without],
    )
    row |= {
        "faults_with": statistics.median(run["minor_faults"] for run in with_it),
        "faults_without": statistics.median(run["minor_faults"] for run in without),
        "peak_rss_mb_with": max(run["process_peak_rss_mb"] for run in with_it),
        "peak_rss_mb_without": max(run["process_peak_rss_mb"] for run in without),
    }
    return row


VERSUS_VARIANTS = ("jpeg-24mp", "jpeg-48mp", "png-24mp", "webp-24mp")


def versus(root: Path, repeats: int, cpu: int | None) -> list[dict[str, Any]]:
    """Ours from another checkout (`root`, e.g. an export of the last commit) against ours from
    this one, fresh processes alternating, on the images of the targets and the other formats."""
    variants = {v.name: v for v in images.jpeg_variants([24, 48]) + images.other_variants([24])}
    cache, max_pixels = settings.RESULTS_DIR / "images", settings.max_image_pixels()
    rows = []
    for name in VERSUS_VARIANTS:
        path = images.ensure(variants[name], cache)
        before, after = [], []
        for _ in range(repeats):
            before.append(runner.run_child("ours", path, cpu, max_pixels, root=root))
            after.append(runner.run_child("ours", path, cpu, max_pixels))
        rows.append(
            {
                "variant": name,
                **{
                    f"{key}_{label}": statistics.median(run[key] for run in runs)
                    for key in ("wall_ms", "cpu_ms", "minor_faults")
                    for label, runs in (("before", before), ("after", after))
                },
                "peak_rss_mb_before": max(run["process_peak_rss_mb"] for run in before),
                "peak_rss_mb_after": max(run["process_peak_rss_mb"] for run in after),
            }
        )
    return rows


def versus_table(rows: list[dict[str, Any]], root: Path) -> str:
    header = (
        f"{'variant':12s} {'wall ms before':>14s} {'after':>6s} {'cpu before':>10s} "
        f"{'after':>6s} {'faults before':>13s} {'after':>6s} {'RSS MB before':>13s} {'after':>6s}"
    )
    lines = [f"ours from {root} (before) vs this checkout (after)", header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['variant']:12s} {row['wall_ms_before']:14.1f} {row['wall_ms_after']:6.1f} "
            f"{row['cpu_ms_before']:10.1f} {row['cpu_ms_after']:6.1f} "
            f"{row['minor_faults_before']:13.0f} {row['minor_faults_after']:6.0f} "
            f"{row['peak_rss_mb_before']:13.0f} {row['peak_rss_mb_after']:6.0f}"
        )
    lines.append("")
    lines.append("Medians of fresh processes (warm call), alternating before / after.")
    return "\n".join(lines)


def _row(
    optimisation: Optimisation, method: str, with_it: list[float], without: list[float]
) -> dict[str, Any]:
    differences = [before - after for before, after in zip(without, with_it, strict=True)]
    return {
        "optimisation": optimisation.name,
        "replaced": optimisation.replaced,
        "variant": optimisation.variant,
        "method": method,
        "cpu_ms_with": statistics.median(with_it),
        "cpu_ms_without": statistics.median(without),
        "saved_ms": statistics.median(differences),
        "saved_min_ms": round(min(without) - min(with_it), 2),
        "runs": len(with_it),
    }


def _child(name: str, path: Path, repeats: int) -> dict[str, list[float]]:
    """Alternate ours and ours reverted on `path`; CPU ms of each call."""
    run = implementations.load("ours")
    data = path.read_bytes()
    timings: dict[str, list[float]] = {"with": [], "without": []}
    run(data, settings.max_image_pixels())
    with reverted([name]):
        run(data, settings.max_image_pixels())
    for _ in range(repeats):
        for key in ("with", "without"):
            with reverted([name] if key == "without" else []):
                start = time.process_time()
                run(data, settings.max_image_pixels())
                timings[key].append(round((time.process_time() - start) * 1000, 2))
    return timings


# --------------------------------------------------------------------------------------------
# Output


def table(rows: list[dict[str, Any]]) -> str:
    header = (
        f"{'optimisation':19s} {'on':24s} {'ms without':>10s} {'with':>7s} {'saved':>6s} "
        f"{'(min)':>6s} "
        f"{'faults w/o':>10s} {'with':>5s} {'RSS w/o':>7s} {'with':>5s}  replaced"
    )
    lines = [header, "-" * 125]
    for row in rows:
        faults = (
            f"{row['faults_without']:10.0f} {row['faults_with']:5.0f} "
            f"{row['peak_rss_mb_without']:7.0f} {row['peak_rss_mb_with']:5.0f}"
            if "faults_with" in row
            else f"{'':10s} {'':5s} {'':7s} {'':5s}"
        )
        lines.append(
            f"{row['optimisation']:19s} {row['variant']:24s} {row['cpu_ms_without']:10.1f} "
            f"{row['cpu_ms_with']:7.1f} {row['saved_ms']:6.1f} {row['saved_min_ms']:6.1f} "
            f"{faults}  {row['replaced']}"
        )
    lines.append("")
    lines.append(
        "CPU ms of ours per image, median, with the optimisation reverted (w/o) and as it is; "
        "saved: median of paired differences, (min): difference of the minima. Alternating in "
        "one process, or across fresh processes for memory effects (minor page faults of the "
        "call, process peak RSS MB)."
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench ablation", description="What each pipeline optimisation buys."
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--only", help="comma-separated optimisation names")
    parser.add_argument("--cpu", default=str(settings.default_cpu()))
    parser.add_argument("--json", type=Path, default=settings.RESULTS_DIR / "ablation.json")
    parser.add_argument("--child", nargs=2, metavar=("NAME", "IMAGE"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--versus",
        type=Path,
        metavar="ROOT",
        help="compare ours with the pipeline of another checkout, e.g. "
        "`git archive HEAD | tar -x -C /tmp/head` then --versus /tmp/head",
    )
    args = parser.parse_args(argv)
    cpu = None if args.cpu.lower() == "none" else int(args.cpu)
    if args.versus:
        rows = versus(args.versus.resolve(), args.repeats, cpu)
        print(versus_table(rows, args.versus))
        path = args.json.with_name("versus.json")
        path.write_text(json.dumps({"root": str(args.versus), "rows": rows}, indent=1) + "\n")
        print(f"\nwritten: {path}")
        return 0
    if args.child:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        print(json.dumps(_child(args.child[0], Path(args.child[1]), args.repeats)))
        return 0
    names = args.only.split(",") if args.only else list(BY_NAME)
    rows = measure(names, args.repeats, cpu)
    print(table(rows))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"repeats": args.repeats, "rows": rows}, indent=1) + "\n")
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
