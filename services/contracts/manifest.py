"""The shape of a service manifest: one plain-data declaration of what a service is.

Each service declares itself once in ``services/<service>/manifest.py`` (its functions,
their handlers, the environment variables they read, default sizing and access, its HTTP
routes and its table's indexes); the events it publishes and consumes and its team stay in
``catalogue.py``, which every Lambda bundle carries, and the manifest reads them from there.
The Pulumi components build from manifests, tests and docs check against them, and
``bench/cost.py`` prices them. Plain data: no ``pulumi``, no AWS.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from services.contracts.catalogue import SERVICES, ServiceSpec

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

TABLE_READ = "table:read"
"""Access: read the service's own table."""
TABLE_WRITE = "table:write"
"""Access: read and write the service's own table."""
PUBLISH_EVENTS = "events:publish"
"""Access: publish to the service's own (encrypted) events topic."""

COMMON_ENVIRONMENT = (
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "MARKETPLACE_ENV",
    "TABLE_NAME",
)
"""What every function of every service gets, besides the names its manifest lists."""


@dataclass(frozen=True)
class Sizing:
    """A function's default sizing; ``marketplace:sizing`` in the settings overrides it."""

    memory_mb: int = 512
    timeout_seconds: int = 10
    reserved_concurrency: int | None = None
    """None: unreserved. 0 is honoured (Lambda throttles everything: the kill switch)."""


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: ``marketplace-<env>-<service>-<purpose>``."""

    purpose: str
    handler: str
    """Module path of the handler, e.g. ``services.upload.api.lambda_handler``."""
    trigger: str = ""
    """What invokes it besides its routes, in words (docs). Required for a function no
    ``Route`` names."""
    environment: tuple[str, ...] = ()
    """Variables it reads besides ``COMMON_ENVIRONMENT``."""
    sizing: Sizing = Sizing()
    access: tuple[str, ...] = ()
    """Named grants, in policy order (``TABLE_WRITE``, ``PUBLISH_EVENTS``, service-specific)."""

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]


@dataclass(frozen=True)
class Route:
    """``GET /images/{id}`` served by the function ``function``; authenticated needs a JWT."""

    method: str
    path: str
    function: str
    authenticated: bool = True

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Throttling:
    """The HTTP API stage's limits (API Gateway applies them to every route)."""

    burst: int = 200
    rate: float = 100.0


@dataclass(frozen=True)
class Table:
    """The service's table: which global secondary indexes, whether it has a stream."""

    indexes: tuple[str, ...] = ()
    stream: bool = False


@dataclass(frozen=True)
class ServiceManifest:
    """What a service is. Invalid declarations fail at import with what is wrong."""

    name: str
    functions: tuple[FunctionSpec, ...]
    routes: tuple[Route, ...] = ()
    throttling: Throttling = Throttling()
    table: Table = field(default_factory=Table)

    def __post_init__(self) -> None:
        if self.name not in SERVICES:
            raise ValueError(f"manifest {self.name!r}: not in services/contracts/catalogue.py")
        purposes = [f.purpose for f in self.functions]
        _unique(f"manifest {self.name!r}: function purposes", purposes)
        _unique(f"manifest {self.name!r}: routes", [r.key for r in self.routes])
        for spec in self.functions:
            if not spec.trigger and not self.routes_of(spec.purpose):
                raise ValueError(
                    f"manifest {self.name!r}: function {spec.purpose!r} has no route and no trigger"
                )
        for route in self.routes:
            if route.method not in METHODS or not route.path.startswith("/"):
                raise ValueError(f"manifest {self.name!r}: {route.key!r} is not METHOD /path")
            if route.function not in purposes:
                raise ValueError(
                    f"manifest {self.name!r}: route {route.key} names function "
                    f"{route.function!r}; declared: {', '.join(purposes)}"
                )

    @property
    def events(self) -> ServiceSpec:
        """Team and events published/consumed, from the event catalogue."""
        return SERVICES[self.name]

    @property
    def team(self) -> str:
        return self.events.team

    def function(self, purpose: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.purpose == purpose:
                return spec
        known = ", ".join(f.purpose for f in self.functions)
        raise KeyError(f"service {self.name!r} has no function {purpose!r}; declared: {known}")

    def routes_of(self, purpose: str) -> tuple[Route, ...]:
        return tuple(r for r in self.routes if r.function == purpose)


def _unique(what: str, values: list[str]) -> None:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(repeated)}")


def load_manifest(service: str) -> ServiceManifest:
    """``services/<service>/manifest.py``'s ``MANIFEST`` (outside Lambda: every package is here)."""
    if service not in SERVICES:
        raise KeyError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    manifest = importlib.import_module(f"services.{service}.manifest").MANIFEST
    if not isinstance(manifest, ServiceManifest) or manifest.name != service:
        raise TypeError(f"services/{service}/manifest.py: MANIFEST must be {service!r}'s manifest")
    return manifest


def all_manifests() -> tuple[ServiceManifest, ...]:
    """Every service's manifest, in catalogue order."""
    return tuple(load_manifest(name) for name in SERVICES)
