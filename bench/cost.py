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
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.settings import REPO_ROOT, RESULTS_DIR
from components import aws_types
from services.contracts.manifest import all_manifests, load_manifest

PRICES = REPO_ROOT / "bench" / "prices.json"
SEED_ITEMS = (
    ("S3 and S3 Glacier storage, 1 TB", 33.40),
    ("API Gateway REST API, 3 M requests", 10.50),
    ("Lambda, 5 M calls of 400 ms", 27.47),
    ("CloudFront, 10 TB/month", 2.00),
    ("Step Functions", 0.00),
    ("DynamoDB, 5 M read/write operations", 138.75),
    ("SQS, 5 M calls", 2.00),
    ("SNS, 5 M notifications", 63.00),
    ("KMS key storage", 20.00),
    ("CloudSearch c4.2xlarge", 428.00),
)
LAMBDA_SEED = "Lambda, 5 M calls of 400 ms"
SEED_TOTAL = 721.73
"""As the seed states it (its items add up to 725.12)."""
SERVICES = tuple(m.name for m in all_manifests())
SECONDS_PER_MONTH = 730 * 3600

# Documented defaults for what cannot be measured without AWS (BENCHMARKS.md, "Cost").
DEFAULT_PIPELINE_CPU_MS = 130.0
"""ours on a 24 MP JPEG, CPU ms on the benchmark machine; used when no benchmark JSON exists."""
PROCESSOR_IO_MS = 250.0
"""Reading a ~10 MB original from S3 and writing three objects, DynamoDB and SNS calls."""
REKOGNITION_CALL_MS = 400.0
"""One DetectLabels / DetectModerationLabels round trip on a ~300 KB preview."""
HANDLER_MS = {"api": 40.0, "consumer": 50.0}
"""Warm duration of a function serving HTTP routes (its manifest routes some to it) / of any
other function (an event consumer): one to three DynamoDB calls."""
COLD_START_SHARE = 0.01
"""Invocations that start a new execution environment (INIT is billed since August 2025)."""
DEFAULT_INIT_MS = 400.0
"""Import time plus runtime start when `python -m bench imports` has not been run."""
LOG_KB_PER_INVOCATION = 1.5
"""Lambda's START/END/REPORT lines and two or three structured Powertools log lines."""
XRAY_RESERVOIR_PER_SECOND = 1.0
XRAY_SAMPLED_SHARE = 0.05
"""X-Ray's default sampling rule: the first request each second, then 5 %."""
CDN_ORIGIN_MISS_SHARE = 0.05
DYNAMODB_GB = 5.0
"""Upload records, catalog items and tag listings, purchases and idempotency records."""
DATA_KEY_REQUESTS_PER_TOPIC = 2 * 12 * 730
"""KMS data-key requests of an encrypted topic, with data keys reused for five minutes."""
HANDLER_OVERHEAD_MB = 45.0
"""What the processor holds beyond the benchmark's worker: its module's RSS after import
(~64 MB, `python -m bench imports`: boto3, Powertools, X-Ray SDK) minus the pipeline's own
imports (~20 MB), which the benchmark's peak already includes."""
SIZING_CANDIDATES_MB = (768, 1024, 1536, 1769, 2048)
DEFAULT_SIZES = {"original": 10.0e6, "licensed": 10.0e6, "preview": 0.31e6, "thumbnail": 0.022e6}
"""Bytes of a 24 MP JPEG upload and of what it becomes, when no benchmark JSON exists."""
INVOCATIONS_PER = {
    "services.upload.api": {"uploads": 2},
    "services.upload.processor": {"uploads": 1},
    "services.catalog.api": {"searches": 1},
    "services.catalog.indexer": {"uploads": 1, "purchases": 1},
    "services.purchase.api": {"purchases": 3},
    "services.purchase.offers": {"uploads": 1},
    "services.purchase.completion": {"purchases": 1},
}
"""Invocations of each handler per upload / search / purchase: an upload is a POST and a GET of
its status and one processor run, its image.published reaches the catalog indexer and
purchase's offers consumer; a purchase is a POST, a GET and a download, its stream record
reaches the completion function and its purchase.completed the catalog indexer."""
API_REQUESTS_PER = {"uploads": 2, "searches": 1, "purchases": 3}


@dataclass(frozen=True)
class Workload:
    """Monthly volumes; the defaults reproduce seed 000's workload (3 M API requests and
    5 M Lambda calls from these uploads, searches and purchases)."""

    uploads: int = 500_000
    searches: int = 1_250_000
    purchases: int = 250_000
    stored_tb: float = 1.0
    cdn_tb: float = 10.0
    dynamodb_ops: int = 5_000_000
    dynamodb_write_share: float = 0.5
    sqs_requests: int = 5_000_000
    sns_publishes: int = 5_000_000
    library_months: int = 12
    """The stored volume built up evenly over this many months (for the Glacier share)."""

    def count(self, per: dict[str, int]) -> int:
        return sum(getattr(self, volume) * times for volume, times in per.items())

    @property
    def api_requests(self) -> int:
        return self.count(API_REQUESTS_PER)


@dataclass(frozen=True)
class FunctionSettings:
    name: str
    handler_module: str
    memory_mb: int
    architecture: str
    tracing: bool
    routed: bool = False
    """Serves HTTP routes (from the service's manifest)."""


@dataclass
class Deployment:
    """What the cost depends on, read from the evaluated stacks."""

    env: str
    functions: list[FunctionSettings] = field(default_factory=list)
    transition_days: int | None = None
    transition_class: str | None = None
    http_apis: int = 0
    rest_apis: int = 0
    kms_keys: int = 0
    alarms: int = 0
    secrets: int = 0
    topics: int = 0
    tables_with_pitr: int = 0
    tables: int = 0
    rekognition_labels: bool = False
    rekognition_moderation: bool = False


@dataclass(frozen=True)
class Measured:
    pipeline_cpu_ms: float
    sizes: dict[str, float]
    init_ms: dict[str, float]
    source: str
    worst_peak: tuple[str, float] | None = None
    """The benchmark's largest process peak RSS of ours at the pixel limit: (variant, MB)."""
    cpu_slowdown: float = 1.0
    """Lambda's Graviton core time per benchmark-machine core time (not measurable here)."""


@dataclass
class LineItem:
    service: str
    what: str
    usd: float
    seed: str = ""


# --------------------------------------------------------------------------------------------
# Inputs


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    prices: dict[str, Any] = json.loads(path.read_text())
    return prices


def read_deployment(env: str) -> Deployment:
    """Evaluate each service's stack of `env` under mocks and collect its cost settings."""
    from local.preview import evaluate_for_preview

    deployment = Deployment(env)
    for service in SERVICES:
        _collect(deployment, service, evaluate_for_preview(f"{service}-{env}"))
    return deployment


def _collect(deployment: Deployment, service: str, evaluation: Any) -> None:
    manifest = load_manifest(service)
    for function in evaluation.of_type(aws_types.FUNCTION):
        inputs = function.inputs
        variables = (inputs.get("environment") or {}).get("variables") or {}
        name = function.name.removesuffix("-function")
        deployment.functions.append(
            FunctionSettings(
                name=name,
                handler_module=str(inputs.get("handler", "")).rpartition(".")[0],
                memory_mb=int(inputs.get("memorySize") or 128),
                architecture=(inputs.get("architectures") or ["x86_64"])[0],
                tracing=(inputs.get("tracingConfig") or {}).get("mode") == "Active",
                routed=bool(manifest.routes_of(name.removeprefix(f"{service}-"))),
            )
        )
        deployment.rekognition_labels |= variables.get("REKOGNITION_LABELS") == "true"
        deployment.rekognition_moderation |= variables.get("REKOGNITION_MODERATION") == "true"
    for lifecycle in evaluation.of_type(aws_types.BUCKET_LIFECYCLE):
        for rule in lifecycle.inputs.get("rules") or []:
            for transition in rule.get("transitions") or []:
                deployment.transition_days = int(transition["days"])
                deployment.transition_class = transition["storageClass"]
    for api in evaluation.of_type(aws_types.HTTP_API):
        deployment.http_apis += api.inputs.get("protocolType") == "HTTP"
    deployment.rest_apis += len(evaluation.of_type(aws_types.REST_API))
    deployment.kms_keys += len(evaluation.of_type(aws_types.KMS_KEY))
    deployment.alarms += len(evaluation.of_type(aws_types.METRIC_ALARM))
    deployment.secrets += len(evaluation.of_type(aws_types.SECRET))
    deployment.topics += len(evaluation.of_type(aws_types.TOPIC))
    for table in evaluation.of_type(aws_types.TABLE):
        deployment.tables += 1
        deployment.tables_with_pitr += bool(
            (table.inputs.get("pointInTimeRecovery") or {}).get("enabled")
        )


def read_measurements(bench_json: Path, imports_json: Path) -> Measured:
    """The processor's pipeline CPU time and output sizes from the benchmark (24 MP JPEG),
    and handler import times; documented defaults for whatever was not measured."""
    cpu, sizes, sources = DEFAULT_PIPELINE_CPU_MS, dict(DEFAULT_SIZES), []
    row = _bench_row(bench_json, "jpeg-24mp")
    if row:
        ours = row["results"]["ours"]
        cpu = float(ours["cpu_ms"]["median"])
        outputs = ours["outputs"]
        sizes = {
            "original": float(row["file_bytes"]),
            "licensed": float(outputs["licensed_bytes"]),
            "preview": float(outputs["preview"]["bytes"]),
            "thumbnail": float(outputs["thumbnail"]["bytes"]),
        }
        sources.append(f"{bench_json.name} ({row['name']})")
    worst = _worst_peak(bench_json)
    init_ms: dict[str, float] = {}
    if imports_json.exists():
        for module in json.loads(imports_json.read_text()).get("modules", []):
            if "import_ms" in module:
                init_ms[module["module"]] = float(module["import_ms"]["median"])
        sources.append(imports_json.name)
    return Measured(cpu, sizes, init_ms, ", ".join(sources) or "documented defaults", worst)


def _worst_peak(path: Path) -> tuple[str, float] | None:
    if not path.exists():
        return None
    peaks = [
        (row["name"], row["results"]["ours"]["process_peak_rss_mb"]["max"])
        for row in json.loads(path.read_text()).get("variants", [])
        if row.get("limit") and (row["results"].get("ours") or {}).get("process_peak_rss_mb")
    ]
    return max(peaks, key=lambda peak: peak[1]) if peaks else None


def _bench_row(path: Path, name: str) -> dict[str, Any] | None:
    if not path.exists():
        return None
    for row in json.loads(path.read_text()).get("variants", []):
        ours = row.get("results", {}).get("ours", {})
        if row.get("name") == name and "cpu_ms" in ours:
            return dict(row)
    return None


# --------------------------------------------------------------------------------------------
# The model


def vcpu_share(memory_mb: int, prices: dict[str, Any]) -> float:
    """Lambda's CPU is proportional to memory: one full vCPU at 1769 MB."""
    return min(1.0, memory_mb / float(prices["lambda"]["mb_per_vcpu"]))


def processor_duration_ms(
    memory_mb: int, measured: Measured, deployment: Deployment, prices: dict[str, Any]
) -> dict[str, float]:
    """The processor's billed duration per upload, by part."""
    rekognition_calls = deployment.rekognition_labels + deployment.rekognition_moderation
    return {
        "pipeline": measured.pipeline_cpu_ms
        * measured.cpu_slowdown
        / vcpu_share(memory_mb, prices),
        "s3_dynamodb_sns": PROCESSOR_IO_MS,
        "rekognition": REKOGNITION_CALL_MS * rekognition_calls,
    }


def function_duration_ms(
    function: FunctionSettings,
    measured: Measured,
    deployment: Deployment,
    prices: dict[str, Any],
) -> float:
    if function.handler_module.endswith(".processor"):
        parts = processor_duration_ms(function.memory_mb, measured, deployment, prices)
        return sum(parts.values())
    return HANDLER_MS["api" if function.routed else "consumer"]


def line_items(
    workload: Workload, deployment: Deployment, measured: Measured, prices: dict[str, Any]
) -> list[LineItem]:
    return [
        *_lambda_items(workload, deployment, measured, prices),
        *_storage_items(workload, deployment, measured, prices),
        _api_item(workload, deployment, prices),
        _cdn_item(workload, measured, prices),
        *_dynamodb_items(workload, deployment, prices),
        _sqs_item(workload, prices),
        _sns_item(workload, prices),
        *_kms_items(deployment, prices),
        *_observability_items(workload, deployment, prices),
        *_other_items(workload, deployment, prices),
    ]


def invocations(function: FunctionSettings, workload: Workload) -> int:
    return workload.count(INVOCATIONS_PER.get(function.handler_module, {}))


def _lambda_items(
    workload: Workload, deployment: Deployment, measured: Measured, prices: dict[str, Any]
) -> list[LineItem]:
    price = prices["lambda"]
    calls = sum(invocations(function, workload) for function in deployment.functions)
    requests_usd = calls / 1e6 * price["requests_per_million"]
    items = [LineItem("Lambda", f"{calls / 1e6:.2f} M requests", requests_usd, LAMBDA_SEED)]
    for function in deployment.functions:
        count = invocations(function, workload)
        duration = function_duration_ms(function, measured, deployment, prices)
        init = measured.init_ms.get(function.handler_module, DEFAULT_INIT_MS)
        gb_seconds = count * (duration + COLD_START_SHARE * init) / 1000 * function.memory_mb / 1024
        usd = gb_seconds * price[f"gb_second_{function.architecture}"]
        what = (
            f"{function.name}: {count / 1e3:,.0f} k x {duration:.0f} ms x {function.memory_mb} MB"
        )
        items.append(LineItem("Lambda", what, usd, LAMBDA_SEED))
    return items


def _storage_items(
    workload: Workload, deployment: Deployment, measured: Measured, prices: dict[str, Any]
) -> list[LineItem]:
    price, sizes = prices["s3"], measured.sizes
    stored_gb = workload.stored_tb * 1024
    originals_gb = stored_gb * sizes["original"] / sum(sizes.values())
    glacier_share = 0.0
    if deployment.transition_class == "GLACIER_IR" and deployment.transition_days is not None:
        young_months = deployment.transition_days / 30
        glacier_share = max(0.0, 1 - young_months / workload.library_months)
    glacier_gb = originals_gb * glacier_share
    standard_gb = stored_gb - glacier_gb
    puts = workload.uploads * 4  # the original, thumbnail, preview, licensed copy
    misses = _cdn_requests(workload, measured) * CDN_ORIGIN_MISS_SHARE
    gets = workload.uploads + workload.purchases + misses
    transitions = workload.uploads if glacier_share else 0
    requests_usd = (
        puts / 1e3 * price["put_post_per_thousand"]
        + gets / 1e3 * price["get_per_thousand"]
        + transitions / 1e3 * price["transition_to_glacier_instant_retrieval_per_thousand"]
    )
    seed = "S3 and S3 Glacier storage, 1 TB"
    return [
        LineItem(
            "S3",
            f"{standard_gb:,.0f} GB Standard (licensed, renditions, new originals)",
            standard_gb * price["standard_gb_month"],
            seed,
        ),
        LineItem(
            "S3",
            f"{glacier_gb:,.0f} GB Glacier Instant Retrieval "
            f"(originals > {deployment.transition_days} days)",
            glacier_gb * price["glacier_instant_retrieval_gb_month"],
            seed,
        ),
        LineItem(
            "S3",
            f"{puts / 1e6:.2f} M PUT, {gets / 1e6:.2f} M GET, "
            f"{transitions / 1e3:,.0f} k lifecycle transitions",
            requests_usd,
            seed,
        ),
    ]


def _api_item(workload: Workload, deployment: Deployment, prices: dict[str, Any]) -> LineItem:
    price = prices["api_gateway"]
    kind, key = ("HTTP API", "http") if deployment.http_apis else ("REST API", "rest")
    requests = workload.api_requests
    usd = requests / 1e6 * price[f"{key}_api_requests_per_million"]
    what = f"{kind}, {requests / 1e6:.2f} M requests"
    return LineItem("API Gateway", what, usd, "API Gateway REST API, 3 M requests")


def _cdn_requests(workload: Workload, measured: Measured) -> float:
    return workload.cdn_tb * 1024**4 / measured.sizes["preview"]


def _cdn_item(workload: Workload, measured: Measured, prices: dict[str, Any]) -> LineItem:
    price = prices["cloudfront"]
    remaining, usd, floor = workload.cdn_tb * 1024, 0.0, 0.0
    for ceiling, rate in price["transfer_out_tiers_gb"]:
        in_tier = max(0.0, remaining if ceiling is None else min(remaining, ceiling - floor))
        usd += in_tier * rate
        remaining -= in_tier
        floor = ceiling or floor
    requests = _cdn_requests(workload, measured)
    usd += requests / 1e4 * price["https_requests_per_10k"]
    what = (
        f"{workload.cdn_tb:g} TB out, {requests / 1e6:.0f} M HTTPS requests "
        f"of {measured.sizes['preview'] / 1e3:.0f} KB"
    )
    return LineItem("CloudFront", what, usd, "CloudFront, 10 TB/month")


def _dynamodb_items(
    workload: Workload, deployment: Deployment, prices: dict[str, Any]
) -> list[LineItem]:
    price, seed = prices["dynamodb"], "DynamoDB, 5 M read/write operations"
    writes = workload.dynamodb_ops * workload.dynamodb_write_share
    reads = workload.dynamodb_ops - writes
    requests_usd = (
        writes / 1e6 * price["on_demand_write_units_per_million"]
        + reads / 1e6 * price["on_demand_read_units_per_million"]
    )
    pitr_gb = DYNAMODB_GB * deployment.tables_with_pitr / max(1, deployment.tables)
    storage_usd = (
        DYNAMODB_GB * price["storage_gb_month"] + pitr_gb * price["point_in_time_recovery_gb_month"]
    )
    requests = f"on demand: {writes / 1e6:.1f} M writes, {reads / 1e6:.1f} M reads"
    storage = (
        f"{DYNAMODB_GB:g} GB stored, point-in-time recovery on "
        f"{deployment.tables_with_pitr} of {deployment.tables} tables"
    )
    return [
        LineItem("DynamoDB", requests, requests_usd, seed),
        LineItem("DynamoDB", storage, storage_usd, seed),
    ]


def _sqs_item(workload: Workload, prices: dict[str, Any]) -> LineItem:
    usd = workload.sqs_requests / 1e6 * prices["sqs"]["standard_requests_per_million"]
    what = f"{workload.sqs_requests / 1e6:.1f} M requests (SSE-SQS, no KMS calls)"
    return LineItem("SQS", what, usd, "SQS, 5 M calls")


def _sns_item(workload: Workload, prices: dict[str, Any]) -> LineItem:
    usd = workload.sns_publishes / 1e6 * prices["sns"]["publishes_per_million"]
    what = f"{workload.sns_publishes / 1e6:.1f} M publishes; deliveries to SQS free"
    return LineItem("SNS", what, usd, "SNS, 5 M notifications")


def _kms_items(deployment: Deployment, prices: dict[str, Any]) -> list[LineItem]:
    price, seed = prices["kms"], "KMS key storage"
    requests = deployment.topics * DATA_KEY_REQUESTS_PER_TOPIC
    keys = f"{deployment.kms_keys} customer managed keys (one per service)"
    calls = f"{requests / 1e3:,.0f} k data-key requests ({deployment.topics} encrypted topics)"
    return [
        LineItem("KMS", keys, deployment.kms_keys * price["customer_managed_key_month"], seed),
        LineItem("KMS", calls, requests / 1e4 * price["requests_per_10k"], seed),
    ]


def _observability_items(
    workload: Workload, deployment: Deployment, prices: dict[str, Any]
) -> list[LineItem]:
    calls = [invocations(function, workload) for function in deployment.functions]
    logs_gb = sum(calls) * LOG_KB_PER_INVOCATION / 1024**2
    reservoir = XRAY_RESERVOIR_PER_SECOND * SECONDS_PER_MONTH
    traced = sum(
        min(count, reservoir) + XRAY_SAMPLED_SHARE * max(0.0, count - reservoir)
        for count, function in zip(calls, deployment.functions, strict=True)
        if function.tracing
    )
    logs_usd = logs_gb * prices["cloudwatch"]["logs_ingested_gb"]
    alarms_usd = deployment.alarms * prices["cloudwatch"]["standard_alarm_month"]
    traces_usd = traced / 1e6 * prices["xray"]["traces_recorded_per_million"]
    return [
        LineItem("CloudWatch", f"{logs_gb:.1f} GB of logs ingested", logs_usd),
        LineItem("CloudWatch", f"{deployment.alarms} alarms", alarms_usd),
        LineItem(
            "X-Ray", f"{traced / 1e6:.2f} M traces (active tracing, default sampling)", traces_usd
        ),
    ]


def _other_items(
    workload: Workload, deployment: Deployment, prices: dict[str, Any]
) -> list[LineItem]:
    switches = (deployment.rekognition_labels, deployment.rekognition_moderation)
    analyses = workload.uploads * sum(switches)
    labels, moderation = ("on" if switch else "off" for switch in switches)
    rekognition = (
        f"{analyses / 1e3:,.0f} k image analyses (labels {labels}, moderation {moderation})"
    )
    rekognition_usd = analyses / 1e3 * prices["rekognition"]["image_analysis_per_thousand"]
    secret_calls = min(workload.purchases, SECONDS_PER_MONTH / 300)  # key cached for 5 minutes
    price = prices["secrets_manager"]
    secrets_usd = (
        deployment.secrets * price["secret_month"] + secret_calls / 1e4 * price["api_calls_per_10k"]
    )
    secrets = f"{deployment.secrets} secret (CloudFront signing key)"
    return [
        LineItem("Rekognition", rekognition, rekognition_usd),
        LineItem("Secrets Manager", secrets, secrets_usd),
    ]


def per_thousand_uploads(
    memory_mb: int, measured: Measured, deployment: Deployment, prices: dict[str, Any]
) -> dict[str, float]:
    """The processor's Lambda cost per 1,000 uploads at `memory_mb`, pipeline part separate."""
    price = prices["lambda"]
    processor = next(f for f in deployment.functions if f.handler_module.endswith(".processor"))
    rate = price[f"gb_second_{processor.architecture}"]
    parts = processor_duration_ms(memory_mb, measured, deployment, prices)
    gb = memory_mb / 1024
    return {
        "memory_mb": memory_mb,
        "duration_ms": round(sum(parts.values()), 1),
        "pipeline_ms": round(parts["pipeline"], 1),
        "usd_total": 1000
        * (sum(parts.values()) / 1000 * gb * rate + price["requests_per_million"] / 1e6),
        "usd_pipeline": 1000 * parts["pipeline"] / 1000 * gb * rate,
    }


def sizing(measured: Measured, deployment: Deployment, prices: dict[str, Any]) -> list[str]:
    """The processor at a few memory sizes: its price per 1,000 uploads and the headroom over
    the worst measured peak plus the handler's own imports."""
    need = measured.worst_peak[1] + HANDLER_OVERHEAD_MB if measured.worst_peak else None
    lines = []
    if measured.worst_peak:
        name, peak = measured.worst_peak
        lines.append(
            f"Processor sizing: worst measured peak {peak:.0f} MB ({name}) + "
            f"{HANDLER_OVERHEAD_MB:.0f} MB handler imports = {need:.0f} MB"
        )
    lines.append(
        f"{'memory MB':>9s} {'vCPU':>5s} {'ms/upload':>9s} {'USD/1,000':>9s} {'headroom':>8s}"
    )
    current = next(
        f.memory_mb for f in deployment.functions if f.handler_module.endswith(".processor")
    )
    for memory in sorted({*SIZING_CANDIDATES_MB, current}):
        price = per_thousand_uploads(memory, measured, deployment, prices)
        headroom = f"{memory / need:7.2f}x" if need else "       -"
        marker = "  <- deployed" if memory == current else ""
        lines.append(
            f"{memory:9d} {vcpu_share(memory, prices):5.2f} {price['duration_ms']:9.0f} "
            f"{price['usd_total']:9.4f} {headroom}{marker}"
        )
    return lines


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
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / "cost.json")
    return parser
