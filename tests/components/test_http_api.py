"""HttpApi alone: routes to integrations, JWT only where a route needs it, stage limits."""

from __future__ import annotations

import pulumi
import pytest

from components import aws_types
from components.context import ServiceContext
from components.http_api import HttpApi, HttpApiArgs, Route
from services.contracts.manifest import Route as RouteSpec
from services.contracts.manifest import Throttling
from tests.components.harness import Builder, build, function, only

DEFAULT = Throttling()


def api(*routes: tuple[str, str, str, bool], throttling: Throttling = DEFAULT) -> Builder:
    """A builder of an API whose routes are (method, path, function purpose, authenticated)."""

    def builder(context: ServiceContext, opts: pulumi.ResourceOptions) -> None:
        functions = {purpose: function(context, opts, purpose) for _, _, purpose, _ in routes}
        HttpApi(
            "api",
            HttpApiArgs(
                context,
                [Route(RouteSpec(m, p, f, a), functions[f]) for m, p, f, a in routes],
                throttling,
            ),
            opts=opts,
        )

    return builder


def test_routes_share_one_integration_and_permission_per_function() -> None:
    # GIVEN two routes of one function and a public route of another
    evaluation = build(
        api(
            ("GET", "/images", "reader", False),
            ("GET", "/images/{id}", "reader", True),
            ("POST", "/uploads", "writer", True),
        )
    )
    # THEN each function has one integration and one API Gateway invoke permission
    integrations = evaluation.of_type(aws_types.HTTP_API_INTEGRATION)
    assert sorted(i.name for i in integrations) == [
        "api-reader-integration",
        "api-writer-integration",
    ]
    permissions = evaluation.of_type(aws_types.PERMISSION)
    assert {p.inputs["principal"] for p in permissions} == {"apigateway.amazonaws.com"}
    assert len(permissions) == 2
    # AND each route has its key, and JWT exactly when it is authenticated
    routes = {r.inputs["routeKey"]: r for r in evaluation.of_type(aws_types.HTTP_API_ROUTE)}
    assert routes["GET /images"].inputs["authorizationType"] == "NONE"
    assert "authorizerId" not in routes["GET /images"].inputs
    assert routes["GET /images/{id}"].inputs["authorizationType"] == "JWT"
    assert evaluation.named("api-get-images-id-route").inputs["routeKey"] == "GET /images/{id}"


def test_public_only_api_has_no_authorizer() -> None:
    evaluation = build(api(("GET", "/health", "reader", False)))
    assert evaluation.of_type(aws_types.HTTP_API_AUTHORIZER) == []


def test_authorizer_trusts_the_environments_issuer() -> None:
    evaluation = build(api(("GET", "/me", "reader", True)))
    authorizer = only(evaluation, aws_types.HTTP_API_AUTHORIZER)
    assert authorizer.inputs["authorizerType"] == "JWT"
    assert authorizer.inputs["jwtConfiguration"]["issuer"].startswith("https://")


def test_stage_applies_the_manifest_throttling_and_logs_access() -> None:
    evaluation = build(api(("GET", "/a", "reader", False), throttling=Throttling(5, 2.5)))
    stage = only(evaluation, aws_types.HTTP_API_STAGE)
    limits = stage.inputs["defaultRouteSettings"]
    assert (limits["throttlingBurstLimit"], limits["throttlingRateLimit"]) == (5, 2.5)
    logs = evaluation.named("api-access-logs")
    assert stage.inputs["accessLogSettings"]["destinationArn"] == logs.outputs["arn"]


@pytest.mark.parametrize(
    "routes",
    [(), (("GET", "/a", "reader", False), ("GET", "/a", "reader", True))],
    ids=["no-routes", "duplicate-key"],
)
def test_api_without_routes_or_with_duplicate_keys_is_refused(
    routes: tuple[tuple[str, str, str, bool], ...],
) -> None:
    with pytest.raises(ValueError, match="api: routes must be non-empty and unique"):
        build(api(*routes))
