"""``python -m local graph``: the diagram is drawn from what the program declares.

The SVG is Graphviz's real output, parsed as XML: Graphviz is a test dependency (Debian's
``graphviz``, installed by ``.ci/run``), so a machine without ``dot`` fails here, loudly.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from local.__main__ import main
from local.graph_diagram import (
    Diagram,
    build_diagram,
    load_resources,
    render_images,
    to_dot,
    to_mermaid,
)
from services.contracts.catalogue import SERVICES

SVG = "{http://www.w3.org/2000/svg}"
MERMAID_EDGE = re.compile(r'^  (\w+) (-->|-\.->)(?:\|"([^"]*)"\|)? (\w+)$')
MERMAID_NODE = re.compile(r"^    (\w+)\W")


@pytest.fixture(scope="module")
def diagram(tmp_path_factory: pytest.TempPathFactory) -> Diagram:
    missing = tmp_path_factory.mktemp("no-graph") / "graph.json"
    stacks, accounts = load_resources("local", graph_file=missing)  # offline evaluation
    return build_diagram(stacks, accounts)


@pytest.fixture(scope="module")
def svg(
    diagram: Diagram, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, ET.Element]]:
    """The diagram rendered by Graphviz: class ("node", "edge", "cluster") -> title -> group."""
    if shutil.which("dot") is None:
        pytest.fail("Graphviz's `dot` is not installed: apt-get install graphviz (.ci/run does)")
    written = render_images(to_dot(diagram), tmp_path_factory.mktemp("images"))
    assert [p.suffix for p in written] == [".svg", ".png"]
    with Image.open(written[1]) as png:
        png.verify()
        assert png.width > 0 and png.height > 0
    groups: dict[str, dict[str, ET.Element]] = {"node": {}, "edge": {}, "cluster": {}}
    for group in ET.parse(written[0]).getroot().iter(f"{SVG}g"):
        if group.get("class") in groups:
            title = group.find(f"{SVG}title")
            assert title is not None and title.text
            groups[str(group.get("class"))][title.text] = group
    return groups


def texts(group: ET.Element) -> list[str]:
    return [t.text or "" for t in group.iter(f"{SVG}text")]


def bounds(group: ET.Element) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of a cluster's outline."""
    polygon = group.find(f"{SVG}polygon")
    assert polygon is not None
    points = [tuple(map(float, p.split(","))) for p in str(polygon.get("points")).split()]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def test_graph_shows_every_subscription_with_its_event_types(diagram: Diagram) -> None:
    # GIVEN the event catalogue's subscriptions
    # WHEN the diagram is drawn from the evaluated stacks
    edges = {(e.source, e.target): e.label for e in diagram.edges}
    # THEN each producer topic -> consumer queue edge carries exactly the consumed types
    for consumer, spec in SERVICES.items():
        for producer, types in spec.consumes.items():
            source = f"{producer}_topic_events"
            target = f"{consumer}_queue_{producer}_events"
            assert edges[(source, target)].split("<br/>") == sorted(types)


def test_graph_shows_queues_their_consumers_and_dlqs(diagram: Diagram) -> None:
    edges = {(e.source, e.target) for e in diagram.edges}
    assert ("upload_bucket_originals", "upload_queue_ingest") in edges
    assert ("upload_queue_ingest", "upload_function_processor") in edges
    assert ("upload_queue_ingest", "upload_queue_ingest_dlq") in edges
    assert ("purchase_table_data", "purchase_function_completion") in edges


def test_graph_svg_draws_every_resource_inside_its_service_and_every_flow(
    diagram: Diagram, svg: dict[str, dict[str, ET.Element]]
) -> None:
    # THEN Graphviz drew one box per service, titled with its account
    assert set(svg["cluster"]) == {f"cluster_{service}" for service in SERVICES}
    for service in SERVICES:
        title = " ".join(texts(svg["cluster"][f"cluster_{service}"]))
        assert title == f"{service} (account {diagram.accounts[service]})"
    # AND every resource as a node inside its service's box
    assert set(svg["node"]) == set(diagram.nodes)
    for node_id, node in diagram.nodes.items():
        left, top, right, bottom = bounds(svg["cluster"][f"cluster_{node.service}"])
        for text in svg["node"][node_id].iter(f"{SVG}text"):
            x, y = float(str(text.get("x"))), float(str(text.get("y")))
            assert left <= x <= right and top <= y <= bottom, f"{node_id} outside {node.service}"
    # AND every flow as an edge, labelled as in the diagram
    assert set(svg["edge"]) == {f"{e.source}->{e.target}" for e in diagram.edges}
    for edge in diagram.edges:
        assert texts(svg["edge"][f"{edge.source}->{edge.target}"]) == (
            edge.label.split("<br/>") if edge.label else []
        )


def test_graph_svg_names_the_events_each_topic_carries_and_each_queue_receives(
    svg: dict[str, dict[str, ET.Element]],
) -> None:
    for service, spec in SERVICES.items():
        # THEN a publisher's topic lists what it publishes
        if spec.publishes:
            assert texts(svg["node"][f"{service}_topic_events"]) == ["SNS events", *spec.publishes]
        # AND each subscription's arrow lists what the consumer receives
        for producer, types in spec.consumes.items():
            edge = svg["edge"][f"{producer}_topic_events->{service}_queue_{producer}_events"]
            assert texts(edge) == sorted(types)


def test_graph_mermaid_puts_each_node_in_its_service_and_draws_each_edge_once(
    diagram: Diagram,
) -> None:
    # GIVEN the Mermaid text (GitHub renders it in the README)
    lines = to_mermaid(diagram).splitlines()
    assert lines[0] == "flowchart LR"
    # THEN each subgraph declares exactly its service's nodes
    declared: dict[str, set[str]] = {}
    current = ""
    for line in lines[1:]:
        if line.startswith("  subgraph "):
            current = line.split()[1].split("[")[0].removesuffix("_service")
        elif line == "  end":
            current = ""
        elif current and (match := MERMAID_NODE.match(line)):
            declared.setdefault(current, set()).add(match.group(1))
    expected: dict[str, set[str]] = {}
    for node_id, node in diagram.nodes.items():
        expected.setdefault(node.service, set()).add(node_id)
    assert declared == expected
    # AND each edge once, dashed where the diagram says, with its label (no stray quotes)
    drawn = [MERMAID_EDGE.match(line) for line in lines if not line.startswith(("    ", "  s"))]
    drawn = [m for m in drawn if m]
    assert sorted((m[1], m[4], m[3] or "", m[2] == "-.->") for m in drawn) == sorted(
        (e.source, e.target, e.label, e.dashed) for e in diagram.edges
    )


def test_graph_command_writes_mermaid_dot_and_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], svg: dict[str, dict[str, ET.Element]]
) -> None:
    # WHEN `graph --output DIR` runs with Graphviz installed (the svg fixture checked it)
    assert main(["graph", "--env", "local", "--output", str(tmp_path)]) == 0
    # THEN it writes all four files, the images rendered from the DOT it wrote
    names = ("architecture.mmd", "architecture.dot", "architecture.svg", "architecture.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    out = capsys.readouterr().out
    assert all(f"wrote {tmp_path / name}" in out for name in names)
    root = ET.parse(tmp_path / "architecture.svg").getroot()
    titles = {t.text for t in root.iter(f"{SVG}title")}
    dot_nodes = set(
        re.findall(r"^    (\w+) \[label=", (tmp_path / "architecture.dot").read_text(), re.M)
    )
    assert dot_nodes and dot_nodes <= titles


def test_graph_command_without_graphviz_writes_text_and_says_why_no_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a PATH on which there is no `dot`
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    output = tmp_path / "out"
    # WHEN `graph --output DIR` runs
    assert main(["graph", "--env", "local", "--output", str(output)]) == 0
    # THEN the Mermaid and DOT files are written, no images, and the reason is printed
    assert sorted(p.name for p in output.iterdir()) == ["architecture.dot", "architecture.mmd"]
    assert "Graphviz `dot` not found" in capsys.readouterr().out
