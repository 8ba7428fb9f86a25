"""What the local deployer built, handed to the local runtime as one JSON file.

The deployer evaluates every service stack of the ``local`` environment against the
emulator and writes this graph to ``.local/graph.json``; the runtime reads it to know the
emulator endpoint, each account's credentials, and every resource with its real emulator
identifiers (ARNs, queue URLs, stream ARNs, table names) - so the runtime never has to
reach into ``components/`` or guess names.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from local.program import REPO_ROOT

GRAPH_FILE = REPO_ROOT / ".local" / "graph.json"
_CLIENTS: dict[tuple[str, str, str, str], Any] = {}
_CLIENTS_LOCK = threading.Lock()
_SESSION: Any = None


@dataclass
class Graph:
    """The deployed local environment.

    ``accounts``: service (and ``"identity"``) -> account id.
    ``credentials``: account id -> ``{"aws_access_key_id", "aws_secret_access_key",
    "aws_session_token"}`` of the account's platform role (the emulated AWS services).
    ``role_credentials``: role ARN -> the same, for each function's execution role.
    ``stacks``: stack name -> resources as dicts ``{type, name, urn, parent, id, inputs,
    outputs, account, emulated}`` (outputs hold the emulator's real identifiers; ``emulated``
    is false for what the runtime serves instead: functions, mappings, APIs, CDNs, alarms).
    ``stack_outputs``: stack name -> the stack's exports.
    ``identity``: ``{user_pool_id, client_id, issuer, jwks_url, audiences}`` of the local
    Cognito pool. ``signing``: ``{key_name, private_key_pem, public_key_pem, key_pair_id}``
    of the CloudFront signing key pair generated for the run (hence .local/ is git-ignored).
    """

    endpoint: str
    region: str
    accounts: dict[str, str] = field(default_factory=dict)
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    role_credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    stacks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stack_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)
    signing: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path = GRAPH_FILE) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True, default=str))
        return path

    @classmethod
    def load(cls, path: Path = GRAPH_FILE) -> Graph:
        return cls(**json.loads(Path(path).read_text()))

    # -- queries -------------------------------------------------------------------------

    def resources(self, stack: str) -> list[dict[str, Any]]:
        if stack not in self.stacks:
            raise KeyError(f"no stack {stack!r} in the graph (have: {sorted(self.stacks)})")
        return self.stacks[stack]

    def of_type(self, stack: str, type_token: str) -> list[dict[str, Any]]:
        """All resources of ``type_token`` (e.g. ``aws:sqs/queue:Queue``) in ``stack``."""
        return [r for r in self.resources(stack) if r["type"] == type_token]

    def named(self, stack: str, name: str) -> dict[str, Any]:
        """The one resource with logical name ``name`` in ``stack``."""
        matches = [r for r in self.resources(stack) if r["name"] == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r} in {stack}")
        return matches[0]

    def children(self, stack: str, parent: str) -> list[dict[str, Any]]:
        """Resources whose parent component has logical name ``parent``."""
        return [r for r in self.resources(stack) if r.get("parent") == parent]

    def account_of(self, service: str) -> str:
        return self.accounts[service]

    def credentials_for(self, account: str) -> dict[str, str]:
        """boto3 keyword arguments (plus nothing else) for ``account`` in the emulator."""
        return dict(self.credentials[account])

    def session_kwargs(self, account: str) -> dict[str, str]:
        """Keyword arguments for ``boto3.client(...)`` acting in ``account``."""
        return {**self.credentials_for(account), "region_name": self.region}

    def client(self, service_name: str, account: str) -> Any:
        """A boto3 client for ``service_name`` in ``account`` pointed at the emulator.

        Cached per endpoint, account and service (boto3 clients are thread-safe; creating
        them is not, and is slow, so it happens once, under a lock, from one session).
        """
        import boto3

        kwargs = self.session_kwargs(account)
        key = (self.endpoint, self.region, service_name, kwargs["aws_access_key_id"])
        with _CLIENTS_LOCK:
            if key not in _CLIENTS:
                global _SESSION
                _SESSION = _SESSION or boto3.session.Session()
                _CLIENTS[key] = _SESSION.client(service_name, endpoint_url=self.endpoint, **kwargs)
            return _CLIENTS[key]
