"""Bring the whole local environment up and down: emulator, deployment, runtime.

``LocalEnvironment`` is what ``up``, ``demo`` and the end-to-end tests share: start the
embedded cloud, deploy every service stack of the environment into it (the deployer writes
``graph.json`` into the state folder), then start the ``Runtime`` (system.py) read from that
graph, and write the endpoints file once everything serves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local import endpoints
from local.graph import Graph
from local.runtime import s3_notifications
from local.runtime.faults import FaultPlan
from local.runtime.ports import PortPlan
from local.runtime.process import STATE_DIR
from local.runtime.system import Runtime
from local.runtime.web import WebServer, local_web_config, web_routes
from local.users import DEFAULT_PASSWORD, sign_in_user


class LocalEnvironment:
    """Emulator + deployment + runtime, as one context manager."""

    def __init__(
        self,
        env: str = "local",
        state_dir: Path = STATE_DIR,
        progress: Callable[[str], None] = print,
        echo: Callable[[str], None] | None = None,
        faults: FaultPlan | str | None = None,
        ports: PortPlan | None = None,
    ):
        self.env = env
        self.state_dir = Path(state_dir)
        self.progress = progress
        self.echo = echo
        self.faults = faults
        """Fault plan for the runtime (faults.py); None: ``MARKETPLACE_FAULTS`` if set."""
        self.ports = ports or PortPlan()
        """Where the emulator, CDN and APIs listen (ports.py): free ports unless it has a base."""
        self.endpoints_file = self.state_dir / endpoints.FILE_NAME
        """Written once everything serves, removed on stop (endpoints.py)."""
        self.cloud: Any = None
        self.graph: Graph | None = None
        self.runtime: Runtime | None = None
        self.web: WebServer | None = None
        """The web app and every API at one URL (web.py); bound first: its origin is config."""
        self.ready_seconds = 0.0

    def start(self) -> LocalEnvironment:
        from local.emulator.cloud import EmbeddedCloud
        from local.emulator.deployer import deploy_environment

        started = time.monotonic()
        self.ports.check_free()  # a taken fixed port fails now, not after the deployment
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for old in (self.state_dir / "logs").glob("*.log"):
            old.unlink()
        s3_notifications.install()  # moto drops presigned-POST notifications otherwise
        self.cloud = EmbeddedCloud(port=self.ports.port("emulator")).start()
        self.progress(f"emulator listening on {self.cloud.endpoint}")
        try:
            self.web = WebServer(port=self.ports.port("web"))
            self.graph = deploy_environment(
                self.cloud,
                env=self.env,
                graph_path=self.state_dir / "graph.json",
                progress=self.progress,
                config=local_web_config(self.env, self.web.url),
            )
            self.runtime = Runtime(
                self.graph,
                self.state_dir / "logs",
                progress=self.progress,
                echo=self.echo,
                faults=self.faults,
                ports=self.ports,
            ).start()
            self.web.route(web_routes(self.graph, self.runtime, self.cloud)).start()
            self.progress(f"web app and APIs at {self.web.url}")
            endpoints.endpoints_of(self).save(self.endpoints_file)
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - started
        return self

    def stop(self) -> None:
        endpoints.remove(self.endpoints_file)
        if self.web:
            self.web.stop()
            self.web = None
        if self.runtime:
            self.runtime.stop()
            self.runtime = None
        if self.cloud:
            self.cloud.stop()
            self.cloud = None
        s3_notifications.uninstall()

    def __enter__(self) -> LocalEnvironment:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- what clients need -----------------------------------------------------------------

    def api_url(self, service: str) -> str:
        assert self.runtime is not None
        return self.runtime.apis[service].url

    def user(self, username: str, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
        """Create (if new) and sign in a user; ``{"sub", "id_token", "access_token"}``."""
        assert self.cloud is not None
        return sign_in_user(self.cloud, username, password)
