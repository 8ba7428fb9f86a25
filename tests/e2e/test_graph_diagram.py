"""``python -m local graph``: the diagram is drawn from what the program declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from local import graph_diagram
from local.graph_diagram import Diagram, build_diagram, load_resources, to_dot, to_mermaid
from services.contracts.catalogue import SERVICES


@pytest.fixture(scope="module")
def diagram(tmp_path_factory: pytest.TempPathFactory) -> Diagram:
    missing = tmp_path_factory.mktemp("no-graph") / "graph.json"
    stacks, accounts = load_resources("local", graph_file=missing)  # offline evaluation
    return build_diagram(stacks, accounts)


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


def test_graph_renders_as_mermaid_and_dot(diagram: Diagram) -> None:
    mermaid, dot = to_mermaid(diagram), to_dot(diagram)
    assert mermaid.startswith("flowchart LR")
    assert mermaid.count("subgraph") == len(SERVICES)
    assert dot.count("{") == dot.count("}")
    assert "upload_topic_events -> catalog_queue_upload_events" in dot


def test_graph_images_skipped_without_graphviz(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(graph_diagram.shutil, "which", lambda name: None)
    assert graph_diagram.render_images("digraph {}", tmp_path) == []
