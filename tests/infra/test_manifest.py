"""Each stack deploys what its service's manifest declares, and nothing it does not.

Functions (handler, environment names, default sizing), routes (key, JWT or not) and the
stage's throttling are compared between the evaluated program and the manifest; the
security policy tests judge what the grants amount to.
"""

from __future__ import annotations

import pytest

from components import aws_types
from services.contracts.manifest import COMMON_ENVIRONMENT, load_manifest
from tests.infra.conftest import LAMBDA_STACKS, STACKS, evaluated


def service_of(stack_name: str) -> str:
    return stack_name.split("-", 1)[0]


@pytest.mark.parametrize("stack_name", STACKS)
def test_functions_are_the_manifest_functions(stack_name: str) -> None:
    # GIVEN the stack's functions and its service's manifest (dev/prod set no sizing overrides)
    manifest = load_manifest(service_of(stack_name))
    functions = evaluated(stack_name).of_type(aws_types.FUNCTION)
    deployed = {f.inputs["name"].rsplit("-", 1)[-1]: f for f in functions}
    # THEN there is one per declared function, built as declared
    assert sorted(deployed) == sorted(f.purpose for f in manifest.functions)
    for spec in manifest.functions:
        function = deployed[spec.purpose]
        assert function.inputs["handler"] == spec.handler, function.urn
        variables = set(function.inputs["environment"]["variables"])
        assert variables == {*COMMON_ENVIRONMENT, *spec.environment}, function.urn
        assert function.inputs["memorySize"] == spec.sizing.memory_mb, function.urn
        assert function.inputs["timeout"] == spec.sizing.timeout_seconds, function.urn
        reserved = function.inputs.get("reservedConcurrentExecutions")
        assert reserved == spec.sizing.reserved_concurrency, function.urn


@pytest.mark.parametrize("stack_name", LAMBDA_STACKS)
def test_routes_and_throttling_are_the_manifest_routes(stack_name: str) -> None:
    # GIVEN the stack's API routes and stage
    manifest = load_manifest(service_of(stack_name))
    evaluation = evaluated(stack_name)
    routes = evaluation.of_type(aws_types.HTTP_API_ROUTE)
    (stage,) = evaluation.of_type(aws_types.HTTP_API_STAGE)
    # THEN each declared route is deployed, with a JWT exactly where declared
    deployed = {r.inputs["routeKey"]: r.inputs["authorizationType"] for r in routes}
    assert deployed == {r.key: "JWT" if r.authenticated else "NONE" for r in manifest.routes}
    limits = stage.inputs["defaultRouteSettings"]
    assert limits["throttlingBurstLimit"] == manifest.throttling.burst
    assert limits["throttlingRateLimit"] == manifest.throttling.rate
