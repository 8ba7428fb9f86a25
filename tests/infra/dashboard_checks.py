"""What a dashboard's metrics must point at: resources of the evaluated stack(s), custom
metrics the service's code emits, event types the catalogue declares."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from components import aws_types
from local.program import Evaluation
from services.contracts.catalogue import SERVICES
from services.contracts.flow_metrics import (
    EVENTS_CONSUMED,
    EVENTS_PUBLISHED,
    METRICS_NAMESPACE,
    SERVICE_DIMENSION,
    TYPE_DIMENSION,
)

DASHBOARD = aws_types.DASHBOARD
SERVICES_DIR = Path(__file__).resolve().parents[2] / "services"


def metric_lines(body: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, str], dict[str, Any]]]:
    """(namespace, name, dimensions, options) of every metric of every metric widget."""
    for widget in body["widgets"]:
        if widget["type"] != "metric":
            continue
        for line in widget["properties"]["metrics"]:
            has_options = isinstance(line[-1], dict)
            options = line[-1] if has_options else {}
            parts = line[:-1] if has_options else line
            namespace, name, *pairs = parts
            assert len(pairs) % 2 == 0, f"odd dimension list in {line}"
            yield namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True)), options


def problems(body: dict[str, Any], stacks: dict[str, Evaluation]) -> list[str]:
    """Every metric that refers to nothing: ``stacks`` maps account id -> evaluated stack."""
    found = []
    for namespace, name, dims, options in metric_lines(body):
        evaluation = stacks.get(options.get("accountId", ""), next(iter(stacks.values())))
        problem = _problem(namespace, name, dims, evaluation)
        if problem:
            found.append(f"{namespace} {name} {dims}: {problem}")
    for widget in body["widgets"]:
        if widget["type"] == "alarm":
            arns = {a.outputs.get("arn") for s in stacks.values() for a in _of(s, "METRIC_ALARM")}
            found += [
                f"alarm {a}: no such alarm" for a in widget["properties"]["alarms"] if a not in arns
            ]
    return found


def _of(evaluation: Evaluation, kind: str) -> list[Any]:
    return evaluation.of_type(getattr(aws_types, kind))


def _service(evaluation: Evaluation) -> str:
    return evaluation.stack.rsplit("-", 1)[0]


def _problem(namespace: str, name: str, dims: dict[str, str], evaluation: Evaluation) -> str | None:
    if namespace == "AWS/Lambda":
        names = {f.inputs["name"] for f in _of(evaluation, "FUNCTION")}
        return None if dims.get("FunctionName") in names else "no such function"
    if namespace == "AWS/SQS":
        names = {q.inputs["name"] for q in _of(evaluation, "QUEUE")}
        return None if dims.get("QueueName") in names else "no such queue"
    if namespace == "AWS/ApiGateway":
        return _api_problem(dims, evaluation)
    if namespace == "AWS/CloudFront":
        ids = {d.id for d in _of(evaluation, "DISTRIBUTION")}
        ok = dims.get("DistributionId") in ids and dims.get("Region") == "Global"
        return None if ok else "no such distribution (dimensions DistributionId, Region=Global)"
    if namespace == METRICS_NAMESPACE:
        return _custom_problem(name, dims, _service(evaluation))
    return f"namespace {namespace} is not one a stack's resources report to"


def _api_problem(dims: dict[str, str], evaluation: Evaluation) -> str | None:
    apis = {a.id for a in _of(evaluation, "HTTP_API")}
    if dims.get("ApiId") not in apis:
        return "no such API"
    routes = {
        r.inputs["routeKey"]
        for r in _of(evaluation, "HTTP_API_ROUTE")
        if r.inputs["apiId"] == dims["ApiId"]
    }
    if f"{dims.get('Method')} {dims.get('Resource')}" not in routes:
        return "no such route"
    stages = {
        s.inputs["name"]
        for s in _of(evaluation, "HTTP_API_STAGE")
        if s.inputs["apiId"] == dims["ApiId"]
        and s.inputs.get("defaultRouteSettings", {}).get("detailedMetricsEnabled")
    }
    return None if dims.get("Stage") in stages else "no stage with detailed (per-route) metrics"


def _custom_problem(name: str, dims: dict[str, str], stack_service: str) -> str | None:
    service = dims.get(SERVICE_DIMENSION, "")
    if service not in SERVICES:
        return f"service dimension {service!r} is not a service"
    spec = SERVICES[service]
    if name == EVENTS_PUBLISHED:
        ok = dims.get(TYPE_DIMENSION) in spec.publishes
        return None if ok else "the service does not publish that type"
    if name == EVENTS_CONSUMED:
        consumed = {t for types in spec.consumes.values() for t in types}
        return None if dims.get(TYPE_DIMENSION) in consumed else "the service consumes no such type"
    if set(dims) != {SERVICE_DIMENSION}:
        return "Powertools metrics carry exactly the service dimension"
    return None if name in emitted_metrics(service) else f"{service}'s code emits no {name}"


@cache
def emitted_metrics(service: str) -> frozenset[str]:
    """Metric names ``metrics.add_metric(name=...)`` can take in ``services/<service>/``.

    Literal names, names chosen between literals, and f-strings ``Prefix{x.title()}`` /
    ``{x.capitalize()}`` expanded over the package's string constants (its statuses).
    """
    trees = [ast.parse(p.read_text()) for p in (SERVICES_DIR / service).rglob("*.py")]
    constants = {
        n.value
        for t in trees
        for n in ast.walk(t)
        if isinstance(n, ast.Constant)
        if isinstance(n.value, str)
    }
    names: set[str] = set()
    for tree in trees:
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "add_metric"):
                continue
            for keyword in call.keywords:
                if keyword.arg == "name":
                    names |= _names(keyword.value, trees, constants)
    return frozenset(names)


def _names(node: ast.expr, trees: list[ast.Module], constants: set[str]) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name):  # a local chosen earlier: ``metric = "A" if ... else "B"``
        return {
            value
            for tree in trees
            for assign in ast.walk(tree)
            if isinstance(assign, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in assign.targets)
            for value in _names(assign.value, trees, constants)
        }
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        # ``NAMES[status]``: any string value of the module's ``NAMES = {...}`` table.
        return {
            value.value
            for tree in trees
            for assign in ast.walk(tree)
            if isinstance(assign, ast.Assign)
            and isinstance(assign.value, ast.Dict)
            and any(isinstance(t, ast.Name) and t.id == node.value.id for t in assign.targets)
            for value in assign.value.values
            if isinstance(value, ast.Constant) and isinstance(value.value, str)
        }
    if isinstance(node, ast.IfExp):
        return _names(node.body, trees, constants) | _names(node.orelse, trees, constants)
    if isinstance(node, ast.JoinedStr) and len(node.values) == 2:
        prefix, formatted = node.values
        if isinstance(prefix, ast.Constant) and isinstance(formatted, ast.FormattedValue):
            call = formatted.value
            method = getattr(getattr(call, "func", None), "attr", "")
            if method in ("title", "capitalize"):
                return {f"{prefix.value}{getattr(c, method)()}" for c in constants}
    return set()


def dashboard_bodies(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    """Dashboard name -> parsed body, for every dashboard of the stack."""
    return {
        d.inputs["dashboardName"]: json.loads(d.inputs["dashboardBody"])
        for d in evaluation.of_type(DASHBOARD)
    }
