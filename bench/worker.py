"""One measured run in a fresh interpreter; prints one JSON line.

    python -m bench.worker IMPLEMENTATION IMAGE [--warm-up IMAGE] [--cpu N] [--max-pixels N]
                                                [--revert OPTIMISATION,...]

A fresh process per run, so no run inherits another's heap or caches and the peak RSS is this
run's alone. In it, the implementation's libraries are imported and the image is processed
twice: the first call (reported as `first_wall_ms`) is what the first invocation of a new
Lambda container pays, lazy imports and cache fills included; the second is a warm container's
steady state, which is what most invocations see and what the table reports. The peak-RSS mark
is reset between the two. Wall and CPU time cover only the call, with the input bytes already
in memory (as the processor has them after reading S3). Import time is measured separately
(`python -m bench imports`).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path

from bench import implementations


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})  # before any library starts threads
    run = implementations.load(args.implementation)
    if args.revert:
        from bench import ablation

        ablation.revert(args.revert.split(","))
    data = Path(args.image).read_bytes()
    first = time.perf_counter()
    run(Path(args.warm_up).read_bytes() if args.warm_up else data, args.max_pixels)
    first = time.perf_counter() - first
    gc.collect()
    reset = _reset_peak_rss()
    base_rss = _status_mb("VmRSS")
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    wall, cpu = time.perf_counter(), time.process_time()
    outputs = run(data, args.max_pixels)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    peak_rss = _status_mb("VmHWM") if reset else _maxrss_mb()
    result = {
        "implementation": args.implementation,
        "wall_ms": round(wall * 1000, 2),
        "first_wall_ms": round(first * 1000, 2),
        "cpu_ms": round(cpu * 1000, 2),
        "peak_rss_mb": round(peak_rss, 1),
        "base_rss_mb": round(base_rss, 1),
        "process_peak_rss_mb": round(_maxrss_mb(), 1),
        "minor_faults": faults,
        "outputs": outputs.summary(),
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("implementation", choices=("ours", "floor", "naive", "pyvips"))
    parser.add_argument("image")
    parser.add_argument("--warm-up", help="process this image first instead of IMAGE itself")
    parser.add_argument("--cpu", type=int)
    parser.add_argument("--max-pixels", type=int, default=implementations.MAX_PIXELS)
    parser.add_argument("--revert", help="optimisations to undo first (bench/ablation.py)")
    return parser


def _reset_peak_rss() -> bool:
    """Set the kernel's peak-RSS mark (VmHWM) to the current RSS, so the warm-up's peak and
    the file read do not count; False where /proc does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _status_mb(field: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return _maxrss_mb()


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


if __name__ == "__main__":
    raise SystemExit(main())
