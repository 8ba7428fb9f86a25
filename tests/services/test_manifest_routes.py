"""Each service's manifest routes are exactly the routes its handlers' resolvers serve.

The manifest is what the component wires in API Gateway; the Powertools resolver is what
answers. Each manifest route is invoked through its function's handler, as API Gateway
would invoke it, and must not get the router's "no such route" answer; a path no manifest
declares must get it (so the check can fail). Handlers are imported with exactly the
environment names their manifest declares, so a variable read but not declared fails here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from services.contracts.manifest import (
    COMMON_ENVIRONMENT,
    FunctionSpec,
    Route,
    ServiceManifest,
    all_manifests,
)
from tests.services.conftest import create_service_table
from tests.services.factories import LambdaContext, http_event

SERVED = [
    (manifest, spec)
    for manifest in all_manifests()
    for spec in manifest.functions
    if manifest.routes_of(spec.purpose)
]
each_served_function = pytest.mark.parametrize(
    ("manifest", "spec"), SERVED, ids=[f"{m.name}-{s.purpose}" for m, s in SERVED]
)
UNROUTED = Route("GET", "/no-manifest-declares-this/route", "api")
PLACEHOLDER = "1"
"""Every declared variable gets a value that parses as text, number and bool alike."""


def invoke(handler: ModuleType, route: Route) -> tuple[int, Any]:
    """Call the handler for ``route`` with every ``{param}`` filled, signed in as a user."""
    path = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", route.path)
    params = dict.fromkeys(re.findall(r"\{([^}]+)\}", route.path), path.rsplit("/")[-1])
    event = http_event(
        route.method, path, body={}, sub="someone", path_parameters=params or None,
        route_key=route.key,
    )  # fmt: skip
    response = handler.lambda_handler(event, LambdaContext())
    return response["statusCode"], json.loads(response.get("body") or "null")


@pytest.fixture
def load_function(
    load_handler: Callable[[str], ModuleType], monkeypatch: pytest.MonkeyPatch
) -> Callable[[ServiceManifest, FunctionSpec], ModuleType]:
    def load(manifest: ServiceManifest, spec: FunctionSpec) -> ModuleType:
        common = {"POWERTOOLS_SERVICE_NAME": manifest.name, "POWERTOOLS_LOG_LEVEL": "INFO"}
        for name in COMMON_ENVIRONMENT + spec.environment:
            monkeypatch.setenv(name, common.get(name, PLACEHOLDER))
        create_service_table(PLACEHOLDER, manifest.table.indexes, manifest.table.stream)
        return load_handler(spec.module)

    return load


@each_served_function
def test_manifest_routes_are_served_by_the_handler(
    manifest: ServiceManifest, spec: FunctionSpec, load_function: Callable[..., ModuleType]
) -> None:
    # GIVEN the function's handler, imported with only its declared environment
    handler = load_function(manifest, spec)
    # AND what its router answers for a route no manifest declares
    not_routed = invoke(handler, UNROUTED)
    assert not_routed[0] == 404, not_routed
    for route in manifest.routes_of(spec.purpose):
        # WHEN a manifest route is called as API Gateway calls it
        answer = invoke(handler, route)
        # THEN the router found a handler for it
        assert answer != not_routed, f"{manifest.name}: {route.key} is not routed by {spec.handler}"


@each_served_function
def test_handler_routes_are_all_in_the_manifest(
    manifest: ServiceManifest, spec: FunctionSpec, load_function: Callable[..., ModuleType]
) -> None:
    # GIVEN the routes the handler's resolver documents (its public OpenAPI schema)
    handler = load_function(manifest, spec)
    schema = json.loads(handler.app.get_openapi_json_schema())
    served = {f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops}
    # THEN they are exactly the manifest's routes of that function
    assert served == {r.key for r in manifest.routes_of(spec.purpose)}
