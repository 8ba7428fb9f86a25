"""The cost model: line items priced from the inputs (bench/cost_inputs.py)."""

from __future__ import annotations

from typing import Any

from bench.cost_inputs import (
    CDN_ORIGIN_MISS_SHARE,
    COLD_START_SHARE,
    DATA_KEY_REQUESTS_PER_TOPIC,
    DEFAULT_INIT_MS,
    DYNAMODB_GB,
    HANDLER_MS,
    HANDLER_OVERHEAD_MB,
    INVOCATIONS_PER,
    LAMBDA_SEED,
    LOG_KB_PER_INVOCATION,
    PROCESSOR_IO_MS,
    REKOGNITION_CALL_MS,
    SECONDS_PER_MONTH,
    SIZING_CANDIDATES_MB,
    XRAY_RESERVOIR_PER_SECOND,
    XRAY_SAMPLED_SHARE,
    Deployment,
    FunctionSettings,
    LineItem,
    Measured,
    Workload,
)

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
