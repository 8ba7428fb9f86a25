"""One embedded cloud with the local environment deployed, shared by this package's tests.

The tests deploy ``Pulumi.local.yaml`` with other account ids than the committed ones:
moto's state is global to the process, so this keeps them apart from any other local
environment (an end-to-end fixture) alive in the same pytest process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from components.settings import NAMESPACE
from local.emulator.cloud import EmbeddedCloud
from local.emulator.deployer import config_file, deploy_environment
from local.graph import Graph
from local.program import load_config
from services.contracts.catalogue import SERVICES

ENV = "local"
TEST_ACCOUNTS = {service: f"2000000000{i:02d}" for i, service in enumerate(SERVICES, start=1)}


@dataclass
class Deployed:
    cloud: EmbeddedCloud
    graph: Graph
    graph_path: Path
    progress: list[str]


def isolated_config() -> dict:
    config = load_config(config_file(ENV))
    config[f"{NAMESPACE}:accounts"] = dict(TEST_ACCOUNTS)
    return config


@pytest.fixture(scope="package")
def cloud() -> Iterator[EmbeddedCloud]:
    with EmbeddedCloud() as running:
        yield running


@pytest.fixture(scope="package")
def deployed(cloud: EmbeddedCloud, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    path = tmp_path_factory.mktemp("local") / "graph.json"
    lines: list[str] = []
    graph = deploy_environment(
        cloud, ENV, graph_path=path, progress=lines.append, config=isolated_config()
    )
    return Deployed(cloud=cloud, graph=graph, graph_path=path, progress=lines)
