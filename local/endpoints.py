"""What a client of the running local environment needs, as one JSON file.

A script, a front end or ``./dev token`` in another terminal reads ``.local/endpoints.json``
instead of scraping ``up``'s console: each service's API base URL, the CDN paths, the local
Cognito pool (its API endpoint, user pool id, app client id, issuer), the region, the AWS
endpoint, and ``web`` (``null`` until the environment serves a web app). Every environment
writes it into its state folder once it serves and removes it when it stops, so a file that
exists belongs to a running environment (``pid``). Keys are camelCase, as a front end's
config would spell them; ``version`` changes if a key changes meaning.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from local.runtime.environment import LocalEnvironment

FILE_NAME = "endpoints.json"
ENDPOINTS_FILE = Path(__file__).resolve().parent.parent / ".local" / FILE_NAME
"""``up``'s (the same folder as ``system.STATE_DIR``; not imported from there: ``./dev token``
starts faster without the runtime and Pulumi)."""
VERSION = 1


class EndpointsUnavailable(RuntimeError):
    """No usable endpoints file: the message says which file and what to do."""


@dataclass(frozen=True)
class Endpoints:
    """The running environment's URLs and identity provider, as clients address them."""

    region: str
    aws_endpoint: str
    """The emulator: every AWS API of the environment, Cognito's included."""
    user_pool_id: str
    client_id: str
    issuer: str
    jwks_url: str
    apis: dict[str, str] = field(default_factory=dict)
    """Service -> API base URL (``http://127.0.0.1:<port>``; routes start with ``/``)."""
    cdn: dict[str, str] = field(default_factory=dict)
    """Distribution (``public``, ``delivery``) -> base URL the platform's links start with."""
    web: str | None = None
    """The web app's origin, once the environment serves one."""
    pid: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "region": self.region,
            "apis": dict(sorted(self.apis.items())),
            "cdn": dict(sorted(self.cdn.items())),
            "identity": {
                "endpoint": self.aws_endpoint,
                "userPoolId": self.user_pool_id,
                "clientId": self.client_id,
                "issuer": self.issuer,
                "jwksUrl": self.jwks_url,
            },
            "awsEndpoint": self.aws_endpoint,
            "web": self.web,
            "pid": self.pid,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Endpoints:
        identity = data["identity"]
        return cls(
            region=data["region"],
            aws_endpoint=data["awsEndpoint"],
            user_pool_id=identity["userPoolId"],
            client_id=identity["clientId"],
            issuer=identity["issuer"],
            jwks_url=identity["jwksUrl"],
            apis=dict(data["apis"]),
            cdn=dict(data["cdn"]),
            web=data.get("web"),
            pid=int(data.get("pid") or 0),
        )

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_suffix(".tmp")
        staged.write_text(json.dumps(self.as_json(), indent=2) + "\n")
        staged.replace(path)  # readers never see half a file
        return path


def endpoints_of(environment: LocalEnvironment) -> Endpoints:
    """The endpoints of a started environment."""
    graph, runtime, cloud = environment.graph, environment.runtime, environment.cloud
    if graph is None or runtime is None or cloud is None:
        raise RuntimeError("the local environment is not started")
    identity = graph.identity
    cdn = runtime.cdn
    return Endpoints(
        region=graph.region,
        aws_endpoint=cloud.endpoint,
        user_pool_id=identity["user_pool_id"],
        client_id=identity["client_id"],
        issuer=identity["issuer"],
        jwks_url=identity["jwks_url"],
        apis={service: api.url for service, api in runtime.apis.items()},
        cdn={mount: cdn.url_base(mount) for mount in cdn.origin.distributions} if cdn else {},
        web=environment.web.url if environment.web else None,
        pid=os.getpid(),
    )


def load(path: Path = ENDPOINTS_FILE) -> Endpoints:
    """The endpoints ``up`` wrote at ``path``; ``EndpointsUnavailable`` says why not."""
    if not path.exists():
        raise EndpointsUnavailable(f"no {path}: start the environment first (`./dev up`)")
    try:
        return Endpoints.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as error:
        raise EndpointsUnavailable(
            f"{path} is not an endpoints file of this version ({type(error).__name__}: {error}); "
            "restart `./dev up`"
        ) from error


def remove(path: Path, pid: int | None = None) -> None:
    """Delete ``path`` if it is this process's (another ``up`` may have written it since)."""
    try:
        if json.loads(path.read_text()).get("pid") == (pid or os.getpid()):
            path.unlink()
    except (OSError, ValueError):
        return
