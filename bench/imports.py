"""python -m bench imports: cold-start import time of every Lambda handler module.

Each module is imported in a fresh interpreter under ``python -X importtime``, with the
environment Lambda gives it: the variables its component sets (dummy values, services/README.md),
a region, and ``LAMBDA_TASK_ROOT`` (without it the X-Ray SDK believes it runs outside Lambda
and builds an X-Ray client for centralized sampling, ~100 ms that Lambda never pays); test-only
packages a Lambda bundle lacks are hidden (NOT_IN_LAMBDA). The
module's cumulative import time is what its INIT phase spends before the first event, module
level clients included. The handler modules are read from the components, so a new function
is measured without editing this file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.settings import REPO_ROOT, RESULTS_DIR
from services.contracts.manifest import all_manifests

LIMIT_MS = 300.0
"""Issue 6: every handler module imports in at most this, on the benchmark machine."""
_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s+)(\S+)\s*$")
_ACCOUNT = "123456789012"
DUMMY_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_LAMBDA_FUNCTION_NAME": "bench",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "LAMBDA_TASK_ROOT": str(REPO_ROOT),
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "Marketplace",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "MARKETPLACE_ENV": "bench",
    "TABLE_NAME": "bench-table",
    "ORIGINALS_BUCKET": "bench-originals",
    "RENDITIONS_BUCKET": "bench-renditions",
    "LICENSED_BUCKET": "bench-licensed",
    "PUBLIC_CDN_DOMAIN": "cdn.example.com",
    "DELIVERY_CDN_DOMAIN": "delivery.example.com",
    "EVENTS_TOPIC_ARN": f"arn:aws:sns:us-east-1:{_ACCOUNT}:bench-events",
    "MAX_IMAGE_PIXELS": "100000000",
    "MAX_UPLOAD_BYTES": "104857600",
    "UPLOAD_URL_TTL_SECONDS": "900",
    "REKOGNITION_LABELS": "false",
    "REKOGNITION_MODERATION": "false",
    "SIGNING_KEY_SECRET_ARN": f"arn:aws:secretsmanager:us-east-1:{_ACCOUNT}:secret:bench",
    "SIGNING_KEY_PAIR_ID": "KBENCH",
    "DOWNLOAD_URL_TTL_SECONDS": "300",
    "ADMIN_GROUP": "admins",
    "CIRCUIT_FAILURE_THRESHOLD": "5",
    "CIRCUIT_WINDOW_SECONDS": "60",
    "CIRCUIT_COOLDOWN_SECONDS": "300",
    "MAIL_SENDER": "no-reply@bench.example.com",
    "MAIL_CONFIGURATION_SET": "bench-mail",
    "WEB_ORIGIN": "https://bench.example.com",
    "USER_POOL_ID": "us-east-1_bench",
    "USER_POOL_REGION": "us-east-1",
    "LOOKUP_ROLE_ARN": f"arn:aws:iam::{_ACCOUNT}:role/bench-lookup",
}
NOT_IN_LAMBDA = ("requests",)
"""Installed here for the tests (moto, schemathesis) but not in a Lambda bundle: the X-Ray SDK
patches whatever it can import, so the probe hides them as Lambda would not have them."""
_PROBE = (
    "import resource, sys; sys.modules.update(dict.fromkeys(sys.argv[2:])); "
    "__import__(sys.argv[1]); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)


@dataclass
class ModuleTimes:
    module: str
    import_ms: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    heaviest: list[tuple[str, float]] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.error:
            return {"module": self.module, "error": self.error}
        return {
            "module": self.module,
            "import_ms": _stats(self.import_ms),
            "runs_ms": self.import_ms,
            "rss_mb": _stats(self.rss_mb),
            "heaviest_imports_ms": dict(self.heaviest),
            "limit_ms": LIMIT_MS,
            "within_limit": min(self.import_ms) <= LIMIT_MS,
        }


def handler_modules() -> list[str]:
    """Every handler module the service manifests declare, sorted."""
    return sorted({f.module for m in all_manifests() for f in m.functions})


def measure(
    modules: list[str], repeats: int, roots: tuple[Path, ...] = (REPO_ROOT,)
) -> list[list[ModuleTimes]]:
    """Every module of every checkout in `roots`, `repeats` times: one list per root. Repeats
    are the outer loop and roots the inner one, so a burst of load elsewhere on the machine
    falls on every module and checkout alike."""
    results = [[ModuleTimes(module) for module in modules] for _ in roots]
    for _ in range(repeats):
        for index in range(len(modules)):
            for root, times in zip(roots, results, strict=True):
                if not times[index].error:
                    _measure_once(times[index], root)
    return results


def _measure_once(times: ModuleTimes, root: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _PROBE, times.module, *NOT_IN_LAMBDA],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env=_environment(root),
    )
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines()
        errors = [line for line in lines if not line.startswith("import time:")]
        times.error = (errors or ["failed"])[-1]
        return
    cumulative, heaviest = _parse(completed.stderr, times.module)
    import_ms = round(cumulative / 1000, 1)
    if not times.import_ms or import_ms <= min(times.import_ms):
        times.heaviest = heaviest  # from the least disturbed run
    times.import_ms.append(import_ms)
    times.rss_mb.append(round(int(completed.stdout.split()[-1]) / 1024, 1))


def _environment(root: Path = REPO_ROOT) -> dict[str, str]:
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_", "_X_AMZN"))
    }
    return {**inherited, **DUMMY_ENVIRONMENT, "PYTHONPATH": str(root)}


def _parse(stderr: str, module: str) -> tuple[int, list[tuple[str, float]]]:
    """The module's cumulative microseconds and its three heaviest direct imports (ms)."""
    rows = []
    for line in stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            rows.append((int(match[2]), len(match[3]), match[4]))
    total = next(cumulative for cumulative, _, name in rows if name == module)
    depth = next(indent for _, indent, name in rows if name == module)
    children = [(name, cumulative) for cumulative, indent, name in rows if indent == depth + 2]
    children.sort(key=lambda child: -child[1])
    return total, [(name, round(micros / 1000, 1)) for name, micros in children[:3]]


def _stats(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def table(results: list[ModuleTimes]) -> str:
    header = (
        f"{'handler module':30s} {'import ms min/med':>18s} {'RSS MB':>7s}  {'heaviest imports'}"
    )
    lines = [header, "-" * 110]
    for times in results:
        if times.error:
            lines.append(f"{times.module:30s} error: {times.error}")
            continue
        stats = _stats(times.import_ms)
        verdict = "" if stats["min"] <= LIMIT_MS else f"  OVER {LIMIT_MS:g} ms"
        heaviest = ", ".join(f"{name} {ms:g}" for name, ms in times.heaviest)
        lines.append(
            f"{times.module:30s} {stats['min']:8.0f} /{stats['median']:6.0f}   "
            f"{max(times.rss_mb):7.0f}  {heaviest}{verdict}"
        )
    lines.append("")
    lines.append(
        "import ms: -X importtime cumulative, fresh interpreter, min/median; limit "
        f"{LIMIT_MS:g} ms (min, the least disturbed run, is held to it). RSS: peak after import."
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench imports", description="Cold-start import time of every handler."
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--modules", help="comma-separated handler modules (default: all)")
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "imports.json")
    parser.add_argument(
        "--versus",
        type=Path,
        metavar="ROOT",
        help="also measure another checkout's handlers, interleaved (before/after)",
    )
    args = parser.parse_args(argv)
    modules = args.modules.split(",") if args.modules else handler_modules()
    roots = (REPO_ROOT, args.versus.resolve()) if args.versus else (REPO_ROOT,)
    results, *others = measure(modules, args.repeats, roots)
    print(table(results))
    if others:
        print(f"\nthe same handlers in {args.versus}, measured alternately with these:\n")
        print(table(others[0]))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "limit_ms": LIMIT_MS,
        "modules": [times.to_json() for times in results],
    }
    if others:
        document["versus"] = {
            "root": str(args.versus),
            "modules": [times.to_json() for times in others[0]],
        }
    args.json.write_text(json.dumps(document, indent=1) + "\n")
    print(f"\nwritten: {args.json}")
    over = [t for t in results if t.error or min(t.import_ms) > LIMIT_MS]
    return 1 if over else 0
