"""``python -m local graph``: the services, topics, queues and event types as a diagram.

Built from the event catalogue (who publishes and consumes which types) and the deployed
resources: the recorded graph of the last local deployment (``.local/graph.json``) when
there is one, otherwise the stacks evaluated offline under mocks - so the diagram is drawn
from what the program really declares (queues, filter policies, DLQs, event source
mappings), never maintained by hand. Output: Mermaid (GitHub renders it in the README),
Graphviz DOT, and SVG/PNG when Graphviz's ``dot`` is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components import aws_types
from local.graph import GRAPH_FILE, Graph
from services.contracts.catalogue import SERVICES

T_FUNCTION = aws_types.FUNCTION
T_TOPIC = aws_types.TOPIC
T_SUBSCRIPTION = aws_types.TOPIC_SUBSCRIPTION
T_QUEUE = aws_types.QUEUE
T_MAPPING = aws_types.EVENT_SOURCE_MAPPING
T_ROUTE = aws_types.HTTP_API_ROUTE
T_TABLE = aws_types.TABLE
T_BUCKET = aws_types.BUCKET
T_NOTIFICATION = aws_types.BUCKET_NOTIFICATION
T_DISTRIBUTION = aws_types.DISTRIBUTION


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str  # api | function | topic | queue | dlq | table | bucket | cdn
    service: str


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    dashed: bool = False


@dataclass
class Diagram:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    accounts: dict[str, str] = field(default_factory=dict)

    def add(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def link(self, source: str, target: str, label: str = "", dashed: bool = False) -> None:
        edge = Edge(source, target, label, dashed)
        if source in self.nodes and target in self.nodes and edge not in self.edges:
            self.edges.append(edge)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _short(name: str, service: str) -> str:
    """``marketplace-local-catalog-upload-events`` -> ``upload-events`` (bucket: no account)."""
    marker = f"-{service}-"
    short = name.split(marker, 1)[1] if marker in name else name
    return re.sub(r"-\d{12}$", "", short)


# -- where the resources come from ------------------------------------------------------------


def load_resources(env: str = "local", graph_file: Path = GRAPH_FILE) -> tuple[dict, dict]:
    """``(stack -> resources, service -> account)`` from the recorded graph or offline."""
    stacks = [f"{service}-{env}" for service in SERVICES]
    if graph_file.exists():
        graph = Graph.load(graph_file)
        if set(stacks) <= set(graph.stacks):
            return {s: graph.stacks[s] for s in stacks}, dict(graph.accounts)
    return _evaluate_offline(env)


def _evaluate_offline(env: str) -> tuple[dict, dict]:
    from local.preview import evaluate_for_preview

    resources: dict[str, list[dict[str, Any]]] = {}
    accounts: dict[str, str] = {}
    for service in SERVICES:
        evaluation = evaluate_for_preview(f"{service}-{env}")
        resources[evaluation.stack] = [
            {
                "type": r.type,
                "name": r.name,
                "inputs": json.loads(json.dumps(r.inputs, default=str)),
                "outputs": json.loads(json.dumps(r.outputs, default=str)),
                "account": r.account,
            }
            for r in evaluation.resources
        ]
        accounts[service] = next((r.account for r in evaluation.resources if r.account), "")
    return resources, accounts


# -- building the diagram ---------------------------------------------------------------------


def build_diagram(
    stacks: Mapping[str, list[dict[str, Any]]], accounts: Mapping[str, str]
) -> Diagram:
    diagram = Diagram(accounts={k: v for k, v in accounts.items() if k in SERVICES})
    by_arn: dict[str, str] = {}
    for stack, resources in stacks.items():
        service = stack.rsplit("-", 1)[0]
        _add_service_nodes(diagram, service, resources, by_arn)
    for stack, resources in stacks.items():
        service = stack.rsplit("-", 1)[0]
        _add_service_edges(diagram, service, resources, by_arn)
    # Resources register in whatever order the program's outputs resolve: sort, so the same
    # deployment always draws the same text (the README embeds it, a test compares it).
    diagram.nodes = dict(sorted(diagram.nodes.items()))
    diagram.edges.sort(key=lambda e: (e.source, e.target, e.label))
    return diagram


def _of(resources: Iterable[dict[str, Any]], type_token: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == type_token]


def _name(resource: Mapping[str, Any]) -> str:
    return str(
        resource["inputs"].get("name") or resource["inputs"].get("bucket") or resource["name"]
    )


def _add_service_nodes(
    diagram: Diagram, service: str, resources: list[dict[str, Any]], by_arn: dict[str, str]
) -> None:
    routes = sorted(r["inputs"]["routeKey"] for r in _of(resources, T_ROUTE))
    if routes:
        diagram.add(Node(f"{service}_api", "HTTP API<br/>" + "<br/>".join(routes), "api", service))
    for kind, type_token in (
        ("function", T_FUNCTION),
        ("topic", T_TOPIC),
        ("queue", T_QUEUE),
        ("table", T_TABLE),
        ("bucket", T_BUCKET),
    ):
        for resource in _of(resources, type_token):
            name = _name(resource)
            short = _short(name, service)
            node_kind = "dlq" if kind == "queue" and short.endswith(("-dlq", "-failures")) else kind
            if kind == "topic" and short != "events":
                continue  # alarm and buyer-notification topics are not part of the event flow
            label = short
            if kind == "topic" and service in SERVICES:
                label = "<br/>".join((short, *SERVICES[service].publishes))
            node = diagram.add(Node(_slug(f"{service}_{kind}_{short}"), label, node_kind, service))
            arn = resource["outputs"].get("arn") or ""
            if arn:
                by_arn[arn] = node
            if kind in ("bucket", "table"):
                by_arn[name] = node
    for resource in _of(resources, T_DISTRIBUTION):
        purpose = str(resource["inputs"].get("comment", "cdn")).rsplit("-", 1)[-1]
        diagram.add(Node(f"{service}_cdn_{_slug(purpose)}", f"CDN {purpose}", "cdn", service))


def _add_service_edges(
    diagram: Diagram, service: str, resources: list[dict[str, Any]], by_arn: dict[str, str]
) -> None:
    for function in _of(resources, T_FUNCTION):
        node = by_arn.get(function["outputs"].get("arn", ""))
        if node is None:
            continue
        if _name(function).endswith("-api"):
            diagram.link(f"{service}_api", node)
        variables = (function["inputs"].get("environment") or {}).get("variables") or {}
        topic = by_arn.get(variables.get("EVENTS_TOPIC_ARN", ""))
        if topic:
            diagram.link(node, topic, "publishes")
        for key, value in sorted(variables.items()):
            store = by_arn.get(value)
            if store and key.endswith(("_BUCKET", "TABLE_NAME")):
                diagram.link(node, store)
    for subscription in _of(resources, T_SUBSCRIPTION):
        inputs = subscription["inputs"]
        types = json.loads(inputs.get("filterPolicy") or "{}").get("type") or ["*"]
        diagram.link(
            by_arn.get(inputs["topic"], ""), by_arn.get(inputs["endpoint"], ""), "<br/>".join(types)
        )
    for mapping in _of(resources, T_MAPPING):
        inputs = mapping["inputs"]
        source = inputs["eventSourceArn"]
        # Mappings invoke the function's alias (<function ARN>:live): the node is the function.
        target = by_arn.get(":".join(str(inputs["functionName"]).split(":")[:7]), "")
        if "/stream/" in source:
            table = by_arn.get(source.split("/stream/")[0], "")
            diagram.link(table, target, "stream")
            failure = ((inputs.get("destinationConfig") or {}).get("onFailure") or {}).get(
                "destinationArn", ""
            )
            diagram.link(target, by_arn.get(failure, ""), "on failure", dashed=True)
        else:
            diagram.link(
                by_arn.get(source, ""), target, f"batch {int(inputs.get('batchSize', 10))}"
            )
    for queue in _of(resources, T_QUEUE):
        redrive = queue["inputs"].get("redrivePolicy")
        if redrive:
            policy = json.loads(redrive) if isinstance(redrive, str) else redrive
            diagram.link(
                by_arn.get(queue["outputs"].get("arn", ""), ""),
                by_arn.get(policy.get("deadLetterTargetArn", ""), ""),
                f"after {policy.get('maxReceiveCount')} receives",
                dashed=True,
            )
    for notification in _of(resources, T_NOTIFICATION):
        bucket = by_arn.get(str(notification["inputs"].get("bucket")), "")
        for target in notification["inputs"].get("queues") or []:
            diagram.link(bucket, by_arn.get(target.get("queueArn", ""), ""), "ObjectCreated")
    for distribution in _of(resources, T_DISTRIBUTION):
        purpose = str(distribution["inputs"].get("comment", "cdn")).rsplit("-", 1)[-1]
        origin = (distribution["inputs"].get("origins") or [{}])[0].get("domainName", "")
        bucket = origin.split(".s3.")[0]
        signed = bool(
            (distribution["inputs"].get("defaultCacheBehavior") or {}).get("trustedKeyGroups")
        )
        diagram.link(
            by_arn.get(bucket, ""),
            f"{service}_cdn_{_slug(purpose)}",
            "signed URLs" if signed else "",
        )


# -- rendering --------------------------------------------------------------------------------

MERMAID_SHAPES = {
    "api": ('["', '"]'),
    "function": ('(["λ ', '"])'),
    "topic": ('{{"SNS ', '"}}'),
    "queue": ('[/"SQS ', '"/]'),
    "dlq": ('[/"DLQ ', '"/]'),
    "table": ('[("DynamoDB ', '")]'),
    "bucket": ('[("S3 ', '")]'),
    "cdn": ('>"', '"]'),
}


def to_mermaid(diagram: Diagram) -> str:
    lines = ["flowchart LR"]
    for service in _services(diagram):
        account = diagram.accounts.get(service, "")
        title = f"{service} (account {account})" if account else service
        lines.append(f'  subgraph {service}_service["{title}"]')
        for node in (n for n in diagram.nodes.values() if n.service == service):
            left, right = MERMAID_SHAPES[node.kind]
            lines.append(f"    {node.id}{left}{node.label}{right}")
        lines.append("  end")
    for edge in diagram.edges:
        arrow = "-.->" if edge.dashed else "-->"
        label = f'|"{edge.label}"|' if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    return "\n".join(lines) + "\n"


DOT_SHAPES = {
    "api": "box",
    "function": "oval",
    "topic": "hexagon",
    "queue": "parallelogram",
    "dlq": "parallelogram",
    "table": "cylinder",
    "bucket": "cylinder",
    "cdn": "cds",
}


DOT_PREFIX = {
    "topic": "SNS ",
    "queue": "SQS ",
    "dlq": "DLQ ",
    "table": "DynamoDB ",
    "bucket": "S3 ",
}


def _dot_text(text: str) -> str:
    return text.replace("<br/>", "\\n").replace('"', "'")


def to_dot(diagram: Diagram) -> str:
    lines = ["digraph marketplace {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for service in _services(diagram):
        account = diagram.accounts.get(service, "")
        title = f"{service} (account {account})" if account else service
        lines += [f"  subgraph cluster_{service} {{", f'    label="{title}";']
        for node in (n for n in diagram.nodes.values() if n.service == service):
            label = _dot_text(DOT_PREFIX.get(node.kind, "") + node.label)
            lines.append(f'    {node.id} [label="{label}", shape={DOT_SHAPES[node.kind]}];')
        lines.append("  }")
    for edge in diagram.edges:
        attributes = [f'label="{_dot_text(edge.label)}"'] if edge.label else []
        if edge.dashed:
            attributes.append("style=dashed")
        lines.append(f"  {edge.source} -> {edge.target} [{', '.join(attributes)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _services(diagram: Diagram) -> list[str]:
    ordered = [s for s in SERVICES if any(n.service == s for n in diagram.nodes.values())]
    return ordered


def render_images(dot_source: str, output_dir: Path) -> list[Path]:
    """SVG and PNG through Graphviz, when ``dot`` is installed; [] otherwise."""
    dot = shutil.which("dot")
    if dot is None:
        return []
    written = []
    for fmt in ("svg", "png"):
        target = output_dir / f"architecture.{fmt}"
        subprocess.run(
            [dot, f"-T{fmt}", "-o", str(target)], input=dot_source.encode(), check=True, timeout=60
        )
        written.append(target)
    return written
