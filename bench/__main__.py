"""python -m bench [run] | imports | cost | ablation | search | emulator: bench/__init__.py,
BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench import images, report, runner, settings

SUBCOMMANDS = ("run", "imports", "cost", "ablation", "search", "emulator")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv and argv[0] in SUBCOMMANDS else "run"
    if command == "imports":
        from bench import imports

        return imports.main(argv)
    if command == "cost":
        from bench import cost

        return cost.main(argv)
    if command == "ablation":
        from bench import ablation

        return ablation.main(argv)
    if command == "search":
        from bench import search

        return search.main(argv)
    if command == "emulator":
        from bench import emulator

        return emulator.main(argv)
    return run(argv)


def run(argv: list[str]) -> int:
    args = _run_parser().parse_args(argv)
    repeats = args.repeats or (1 if args.quick else settings.DEFAULT_REPEATS)
    variants = _variants(args)
    implementations = list(runner.IMPLEMENTATIONS)
    unavailable = runner.pyvips_available() if "pyvips" in implementations else None
    if unavailable:
        print(f"pyvips: {unavailable}; measuring without it", file=sys.stderr)
        implementations.remove("pyvips")
    cpu = None if args.cpu.lower() == "none" else int(args.cpu)
    max_pixels = settings.max_image_pixels()
    results = runner.measure(
        variants,
        implementations,
        repeats=repeats,
        cache_dir=args.cache,
        cpu=cpu,
        max_pixels=max_pixels,
        progress=_print_progress if args.verbose else None,
    )
    doc = report.document(
        variants,
        results,
        {
            "quick": args.quick,
            "repeats": repeats,
            "cpu_affinity": cpu,
            "max_pixels": max_pixels,
            "pyvips": unavailable or "available",
            "file_bytes": {v.name: images.ensure(v, args.cache).stat().st_size for v in variants},
        },
    )
    print(report.table(doc))
    if unavailable:
        print(f"pyvips: {unavailable}")
    targets = report.targets_text(doc)
    if targets:
        print(targets)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"written: {args.json}")
    return 0


def _print_progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _variants(args: argparse.Namespace) -> list[images.Variant]:
    if args.quick:
        return [images.quick_variant()]
    sizes = sorted({int(size) for size in args.sizes.split(",") if size})
    variants = images.jpeg_variants(sizes) + images.other_variants(sizes)
    if not args.no_limit:
        variants += images.limit_variants(settings.max_image_pixels())
    if args.only:
        variants = [v for v in variants if any(part in v.name for part in args.only.split(","))]
    return variants


def _run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Image pipeline benchmark: ours vs naive Pillow vs pyvips vs the decode "
        "floor, each run in a fresh process. Subcommands: run (default), imports, cost, ablation.",
    )
    parser.add_argument("--quick", action="store_true", help="smoke mode: one small image, once")
    parser.add_argument("--repeats", type=int, default=None, help="fresh-process runs per pair")
    parser.add_argument("--sizes", default="12,24,48", help="JPEG sizes in megapixels")
    parser.add_argument("--only", help="comma-separated substrings of variant names to keep")
    parser.add_argument("--no-limit", action="store_true", help="skip the pixel-limit rows")
    parser.add_argument(
        "--cpu",
        default=str(settings.default_cpu()),
        help="pin every run to this CPU (like a Lambda with at most 1 vCPU), or 'none'",
    )
    parser.add_argument("--json", type=Path, default=settings.RESULTS_DIR / "latest.json")
    parser.add_argument("--cache", type=Path, default=settings.RESULTS_DIR / "images")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every run")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
