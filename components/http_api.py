"""An HTTP API (API Gateway v2): Lambda routes, JWT authorizer, access logs, throttling, CORS."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.context import ServiceContext
from components.cors import api_cors
from components.function import ALIAS, Function
from components.iam import stable_json
from services.contracts.manifest import Route as RouteSpec
from services.contracts.manifest import Throttling

ACCESS_LOG_FORMAT = stable_json(
    {
        "requestId": "$context.requestId",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "latencyMs": "$context.integrationLatency",
        "sourceIp": "$context.identity.sourceIp",
        "sub": "$context.authorizer.claims.sub",
        "error": "$context.error.message",
        "authorizerError": "$context.authorizer.error",
    }
)


@dataclass(frozen=True)
class Route:
    """A route of the service manifest with the function that serves it."""

    spec: RouteSpec
    function: Function

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def method(self) -> str:
        return self.spec.method

    @property
    def authenticated(self) -> bool:
        return self.spec.authenticated


@dataclass
class HttpApiArgs:
    context: ServiceContext
    """The service stack; the API is ``marketplace-<env>-<service>-api``."""
    routes: list[Route]
    """The routes. Required, non-empty, unique keys."""
    throttling: Throttling = field(default_factory=Throttling)
    """Stage-wide limits. Default: the manifest's default (burst 200, 100 requests/s)."""


class HttpApi(pulumi.ComponentResource):
    """API + JWT authorizer (issuer/audiences from settings) + integrations + routes + stage."""

    def __init__(self, name: str, args: HttpApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marketplace:http:HttpApi", name, None, opts)
        keys = [r.key for r in args.routes]
        if not keys or len(set(keys)) != len(keys):
            raise ValueError(f"{name}: routes must be non-empty and unique, got {keys}")
        self._name = name
        self._args = args
        self.api = self._create_api()
        self.authorizer = self._create_authorizer()
        self.integrations = self._create_integrations()
        self.routes = self._create_routes()
        self.access_logs = self._create_access_logs()
        self.stage = self._create_stage()
        self.url = self.api.api_endpoint
        self.register_outputs({"url": self.url})

    def _child(self, **kwargs: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)  # type: ignore[arg-type]

    def _create_api(self) -> aws.apigatewayv2.Api:
        # CORS for the environment's web origins only (marketplace:webOrigins; none: no CORS).
        cors = api_cors(
            self._args.context.settings.web_origins, (r.method for r in self._args.routes)
        )
        return aws.apigatewayv2.Api(
            f"{self._name}-api",
            name=self._args.context.name("api"),
            protocol_type="HTTP",
            cors_configuration=cors,
            opts=self._child(),
        )

    def _create_authorizer(self) -> aws.apigatewayv2.Authorizer | None:
        if not any(r.authenticated for r in self._args.routes):
            return None
        identity = self._args.context.settings.identity
        return aws.apigatewayv2.Authorizer(
            f"{self._name}-jwt",
            api_id=self.api.id,
            name="jwt",
            authorizer_type="JWT",
            identity_sources=["$request.header.Authorization"],
            jwt_configuration=aws.apigatewayv2.AuthorizerJwtConfigurationArgs(
                issuer=identity.issuer, audiences=list(identity.audiences)
            ),
            opts=self._child(),
        )

    def _create_integrations(self) -> dict[str, aws.apigatewayv2.Integration]:
        integrations: dict[str, aws.apigatewayv2.Integration] = {}
        for route in self._args.routes:
            function = route.function
            if function.function_name in integrations:
                continue
            purpose = function.purpose
            integrations[function.function_name] = aws.apigatewayv2.Integration(
                f"{self._name}-{purpose}-integration",
                api_id=self.api.id,
                integration_type="AWS_PROXY",
                # The alias, never $LATEST: a version takes requests only once it is live.
                integration_uri=function.alias_arn,
                payload_format_version="2.0",
                timeout_milliseconds=min(29_000, function.timeout_seconds * 1000),
                opts=self._child(),
            )
            aws.lambda_.Permission(
                f"{self._name}-{purpose}-invoke",
                action="lambda:InvokeFunction",
                function=function.name,
                qualifier=ALIAS,
                principal="apigateway.amazonaws.com",
                source_arn=self.api.execution_arn.apply(lambda arn: f"{arn}/*/*"),
                opts=self._child(),
            )
        return integrations

    def _create_routes(self) -> list[aws.apigatewayv2.Route]:
        routes = []
        for route in self._args.routes:
            integration = self.integrations[route.function.function_name]
            slug = route.key.lower().replace(" /", "-").replace("/", "-").strip("-")
            slug = slug.replace("{", "").replace("}", "")
            routes.append(
                aws.apigatewayv2.Route(
                    f"{self._name}-{slug}-route",
                    api_id=self.api.id,
                    route_key=route.key,
                    target=integration.id.apply(lambda i: f"integrations/{i}"),
                    authorization_type="JWT" if route.authenticated else "NONE",
                    authorizer_id=self.authorizer.id
                    if route.authenticated and self.authorizer
                    else None,
                    opts=self._child(),
                )
            )
        return routes

    def _create_access_logs(self) -> aws.cloudwatch.LogGroup:
        return aws.cloudwatch.LogGroup(
            f"{self._name}-access-logs",
            name=f"/aws/apigateway/{self._args.context.name('api')}",
            retention_in_days=self._args.context.settings.log_retention_days,
            opts=self._child(),
        )

    def _create_stage(self) -> aws.apigatewayv2.Stage:
        return aws.apigatewayv2.Stage(
            f"{self._name}-stage",
            api_id=self.api.id,
            name="$default",
            auto_deploy=True,
            access_log_settings=aws.apigatewayv2.StageAccessLogSettingsArgs(
                destination_arn=self.access_logs.arn, format=ACCESS_LOG_FORMAT
            ),
            default_route_settings=aws.apigatewayv2.StageDefaultRouteSettingsArgs(
                # Per-route metrics (requests, 4xx, 5xx, latency): the service dashboard's.
                detailed_metrics_enabled=True,
                throttling_burst_limit=self._args.throttling.burst,
                throttling_rate_limit=self._args.throttling.rate,
            ),
            opts=self._child(depends_on=self.routes),
        )
