"""The cost model's inputs: unit prices, workload volumes, the deployed settings read from
the stacks, and what the benchmarks measured (bench/cost.py says where each comes from)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.settings import REPO_ROOT
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
