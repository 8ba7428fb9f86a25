"""python -m bench cost: the monthly bill of the deployed design, line by line.

The services and which functions serve HTTP routes come from the service manifests; settings
come from the stacks themselves (each service's prod stack evaluated under mocks, as the
offline preview does, so sizing overrides count): every function's memory, architecture,
handler and tracing, the
originals' lifecycle transition, tables' billing mode and point-in-time recovery, KMS keys,
alarms, secrets, the API protocol and the Rekognition switches. The processor's duration comes
from the latest benchmark (`bench/results/latest.json`), other durations are documented
defaults (no AWS account here to measure them). Unit prices live in `bench/prices.json` with
their date and region. Volumes default to the workload of seed 000's estimate, whose line items
are printed alongside.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bench.cost_inputs import (
    PRICES,
    SEED_ITEMS,
    SEED_TOTAL,
    Deployment,
    LineItem,
    Measured,
    Workload,
    load_prices,
    read_deployment,
    read_measurements,
)
from bench.cost_model import invocations, line_items, per_thousand_uploads, sizing, vcpu_share
from bench.cost_search import search_items
from bench.settings import RESULTS_DIR

# --------------------------------------------------------------------------------------------
# Output


def report(
    items: list[LineItem],
    workload: Workload,
    deployment: Deployment,
    measured: Measured,
    prices: dict[str, Any],
) -> str:
    lines = [
        f"Monthly cost of the deployed design ({deployment.env} stacks), {prices['region']} "
        f"list prices as of {prices['as_of']} (bench/prices.json), no free tiers",
        f"Workload: {workload.uploads:,} uploads, {workload.searches:,} searches, "
        f"{workload.purchases:,} purchases -> {workload.api_requests / 1e6:.2f} M API requests, "
        f"{_lambda_calls(workload, deployment) / 1e6:.2f} M Lambda invocations; "
        f"{workload.stored_tb:g} TB stored, {workload.cdn_tb:g} TB CloudFront, "
        f"{workload.dynamodb_ops / 1e6:g} M DynamoDB ops, {workload.sqs_requests / 1e6:g} M SQS "
        f"requests, {workload.sns_publishes / 1e6:g} M SNS publishes",
        f"Measured: {measured.source}",
        "",
        f"{'service':16s} {'line item':72s} {'USD/month':>10s}",
        "-" * 100,
    ]
    for item in items:
        lines.append(f"{item.service:16s} {item.what:72s} {item.usd:10.2f}")
    total = sum(item.usd for item in items)
    lines += ["-" * 100, f"{'total':89s} {total:10.2f}", ""]
    lines += _seed_comparison(items, total)
    return "\n".join(lines)


def _lambda_calls(workload: Workload, deployment: Deployment) -> int:
    return sum(invocations(function, workload) for function in deployment.functions)


def _seed_comparison(items: list[LineItem], total: float) -> list[str]:
    ours = {name: 0.0 for name, _ in SEED_ITEMS}
    for item in items:
        if item.seed:
            ours[item.seed] += item.usd
    width = 50
    lines = [f"{'seed 000 line item':{width}s} {'seed USD':>9s} {'this design':>12s}"]
    lines.append("-" * (width + 23))
    for name, seed_usd in SEED_ITEMS:
        lines.append(f"{name:{width}s} {seed_usd:9.2f} {ours[name]:12.2f}")
    other = total - sum(ours.values())
    lines.append(
        f"{'not in the seed (Rekognition, X-Ray, logs, ...)':{width}s} {0:9.2f} {other:12.2f}"
    )
    lines.append(
        f"{'total (as stated; its items add to 725.12)':{width}s} {SEED_TOTAL:9.2f} {total:12.2f}"
    )
    return lines


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    workload = Workload(**{f: getattr(args, f) for f in Workload.__dataclass_fields__})
    prices = load_prices(args.prices)
    deployment = read_deployment(args.env)
    measured = replace(
        read_measurements(args.bench_json, args.imports_json), cpu_slowdown=args.cpu_slowdown
    )
    items = line_items(workload, deployment, measured, prices)
    items += search_items(workload, prices, args.search_json)
    print(report(items, workload, deployment, measured, prices))
    processor = next(f for f in deployment.functions if f.handler_module.endswith(".processor"))
    per_k = per_thousand_uploads(processor.memory_mb, measured, deployment, prices)
    print(
        f"\nProcessor at {processor.memory_mb} MB ({vcpu_share(processor.memory_mb, prices):.2f}"
        f" vCPU): {per_k['duration_ms']:.0f} ms per upload ({per_k['pipeline_ms']:.0f} ms "
        f"pipeline) -> USD {per_k['usd_total']:.4f} per 1,000 uploads "
        f"(pipeline alone USD {per_k['usd_pipeline']:.4f})"
    )
    print("\n" + "\n".join(sizing(measured, deployment, prices)))
    document = {
        "prices": {"region": prices["region"], "as_of": prices["as_of"]},
        "workload": asdict(workload),
        "deployment": asdict(deployment),
        "measured": asdict(measured),
        "items": [asdict(item) for item in items],
        "total_usd": round(sum(item.usd for item in items), 2),
        "seed_total_usd": SEED_TOTAL,
        "processor_per_1000_uploads": per_k,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=1) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench cost", description="Monthly cost of the deployed design."
    )
    defaults = Workload()
    for name, value in asdict(defaults).items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=type(value), default=value, help=f"default {value:,}")
    parser.add_argument("--env", default="prod", help="whose stacks' settings (default prod)")
    parser.add_argument(
        "--cpu-slowdown",
        type=float,
        default=1.0,
        help="Lambda arm64 core time per benchmark-machine core time (default 1.0)",
    )
    parser.add_argument("--prices", type=Path, default=PRICES)
    parser.add_argument("--bench-json", type=Path, default=RESULTS_DIR / "latest.json")
    parser.add_argument("--imports-json", type=Path, default=RESULTS_DIR / "imports.json")
    parser.add_argument("--search-json", type=Path, default=RESULTS_DIR / "search.json")
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "cost.json")
    return parser
