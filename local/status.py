"""``python -m local status [--watch]``: the service dashboards' figures, from a running ``up``.

Functions: invocations, errors and p95 duration, from the runtime's invocation log
(``local/runtime/invocation_log.py``). Queues: depth, in flight, oldest message age and DLQ
depth, asked of the emulator (SQS attributes, as CloudWatch's SQS metrics are). Recent
failures with their correlation ids, found in the function's own log by request id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components import aws_types
from local.graph import Graph
from local.redrive import dead_letter_queues
from local.runtime.invocation_log import INVOCATIONS_FILE, InvocationRecord, read_invocations

RECENT_FAILURES = 5


@dataclass(frozen=True)
class FunctionFigures:
    name: str
    invocations: int
    errors: int
    p95_ms: float | None


@dataclass(frozen=True)
class QueueFigures:
    name: str
    visible: int
    in_flight: int
    oldest_age_s: int | None
    dlq_depth: int | None


@dataclass(frozen=True)
class Failure:
    time: float
    function: str
    error: str
    correlation_id: str


def p95(values: Sequence[float]) -> float | None:
    """Nearest-rank 95th percentile (CloudWatch's pNN on few samples is the same idea)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def function_figures(
    names: Iterable[str], records: Sequence[InvocationRecord]
) -> list[FunctionFigures]:
    """Per function (every one of the graph, invoked or not), in name order."""
    figures = []
    for name in sorted(names):
        mine = [r for r in records if r.function == name]
        errors = sum(not r.ok for r in mine)
        figures.append(FunctionFigures(name, len(mine), errors, p95([r.duration_ms for r in mine])))
    return figures


def queue_figures(graph: Graph) -> list[QueueFigures]:
    """Every work queue (a queue with a redrive policy) with its DLQ's depth."""
    dlqs = {q.source_name: q for q in dead_letter_queues(graph)}
    figures = []
    for stack in sorted(graph.stacks):
        for queue in graph.of_type(stack, aws_types.QUEUE):
            if not queue["inputs"].get("redrivePolicy"):
                continue
            name = str(queue["inputs"]["name"])
            attributes = _attributes(graph, queue["account"], queue["outputs"]["url"])
            dlq = dlqs.get(name)
            dlq_depth = (
                int(_attributes(graph, dlq.account, dlq.url)["ApproximateNumberOfMessages"])
                if dlq
                else None
            )
            figures.append(
                QueueFigures(
                    name,
                    int(attributes["ApproximateNumberOfMessages"]),
                    int(attributes["ApproximateNumberOfMessagesNotVisible"]),
                    _oldest_age(graph, queue["account"], queue["outputs"]["url"]),
                    dlq_depth,
                )
            )
    return figures


def _attributes(graph: Graph, account: str, url: str) -> dict[str, str]:
    response = graph.client("sqs", account).get_queue_attributes(
        QueueUrl=url, AttributeNames=["All"]
    )
    return dict(response["Attributes"])


def _oldest_age(graph: Graph, account: str, url: str) -> int | None:
    """Age of the oldest visible message: peeked (visibility 0, so nothing is taken)."""
    response = graph.client("sqs", account).receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,
        AttributeNames=["SentTimestamp"],
    )
    sent = [int(m["Attributes"]["SentTimestamp"]) for m in response.get("Messages", [])]
    return int(time.time() - min(sent) / 1000) if sent else None


def recent_failures(
    records: Sequence[InvocationRecord], log_dir: Path, limit: int = RECENT_FAILURES
) -> list[Failure]:
    """The last failed invocations, newest first, each with the correlation id it logged."""
    failed = [r for r in records if not r.ok][-limit:]
    return [
        Failure(r.time, r.function, r.error, _correlation_id(log_dir, r)) for r in reversed(failed)
    ]


def _correlation_id(log_dir: Path, record: InvocationRecord) -> str:
    path = log_dir / f"{record.function}.log"
    if not path.exists():
        return "-"
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if record.request_id not in line:
            continue
        try:
            entry: dict[str, Any] = json.loads(line)
        except ValueError:
            continue
        if entry.get("function_request_id") == record.request_id and entry.get("correlation_id"):
            return str(entry["correlation_id"])
    return "-"


def render(
    functions: Sequence[FunctionFigures],
    queues: Sequence[QueueFigures],
    failures: Sequence[Failure],
) -> list[str]:
    """The screen: three tables."""

    def number(value: float | None, unit: str = "") -> str:
        return "-" if value is None else f"{value:.0f}{unit}"

    lines = [f"{'function':<44} {'invocations':>11} {'errors':>6} {'p95':>9}"]
    lines += [
        f"{f.name:<44} {f.invocations:>11} {f.errors:>6} {number(f.p95_ms, ' ms'):>9}"
        for f in functions
    ]
    lines += ["", f"{'queue':<44} {'depth':>5} {'in flight':>9} {'oldest':>7} {'DLQ':>4}"]
    lines += [
        f"{q.name:<44} {q.visible:>5} {q.in_flight:>9} {number(q.oldest_age_s, ' s'):>7} "
        f"{number(q.dlq_depth):>4}"
        for q in queues
    ]
    lines += ["", "recent failures (newest first)"]
    lines += [
        f"{time.strftime('%H:%M:%S', time.localtime(f.time))} {f.function} "
        f"correlation={f.correlation_id} {f.error}"
        for f in failures
    ] or ["none"]
    return lines


def snapshot(graph: Graph, log_dir: Path) -> list[str]:
    """One screen of figures from the running environment."""
    records = list(read_invocations(log_dir / INVOCATIONS_FILE))
    names = [
        str(f["inputs"]["name"])
        for stack in graph.stacks
        for f in graph.of_type(stack, aws_types.FUNCTION)
    ]
    return render(
        function_figures(names, records), queue_figures(graph), recent_failures(records, log_dir)
    )
