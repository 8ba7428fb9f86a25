"""One local environment for the whole end-to-end session: emulator, deployment, runtime.

Started once (about 10-20 s), in a temporary state folder so a developer's ``.local/`` is
left alone, and stopped when the package's tests end: moto's state is process-wide, so a
cloud left running would keep other packages' clouds from starting clean (and their
in-process ``mock_aws`` would wipe it under its feet).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from local.demo.client import Marketplace
from local.runtime.environment import LocalEnvironment


@pytest.fixture(scope="package")
def local_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvironment]:
    state = tmp_path_factory.mktemp("local-state")
    environment = LocalEnvironment(state_dir=state, progress=lambda line: None)
    environment.start()
    try:
        yield environment
    finally:
        environment.stop()


@pytest.fixture(scope="package")
def market(local_env: LocalEnvironment) -> Marketplace:
    return Marketplace(local_env)


@pytest.fixture(scope="package")
def curl() -> Callable[[str, Path], subprocess.CompletedProcess[str]]:
    """GET a URL exactly as given with the real ``curl`` into a file (no TLS or URL options)."""

    def fetch(url: str, output: Path) -> subprocess.CompletedProcess[str]:
        command = ["curl", "--silent", "--show-error", "--fail", "--output", str(output), url]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    return fetch
