"""CORS: only for the environment's web origins (marketplace:webOrigins), on every HTTP API
and on the originals bucket for the presigned POST; none at all without origins."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import aws_types
from components.settings import SettingsError, load_settings
from local.program import REPO_ROOT, Evaluation, load_config
from policy.rules import ResourceContext, cors_configured_origins_only, stack_context
from services.common.headers import CORRELATION_HEADER
from services.contracts.catalogue import SERVICES
from services.contracts.manifest import load_manifest
from tests.infra.conftest import STACKS, evaluate_with, evaluated

API = aws_types.HTTP_API
ROUTE = aws_types.HTTP_API_ROUTE
BUCKET_CORS = aws_types.BUCKET_CORS
ORIGINS = ["https://app.example.org", "https://admin.example.org"]


def with_origins(stack: str, origins: Any = ORIGINS) -> Evaluation:
    return evaluate_with(stack, lambda c: c.update({"marketplace:webOrigins": origins}))


def config_getter(env: str, change: dict[str, Any] | None = None) -> Any:
    config = {**load_config(REPO_ROOT / f"Pulumi.{env}.yaml"), **(change or {})}
    values = {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith("marketplace:")}
    return values.get


@pytest.mark.parametrize("stack_name", STACKS)
def test_no_web_origins_means_no_cors_at_all(stack_name: str) -> None:
    # GIVEN the committed dev/prod settings, which name no web origin
    evaluation = evaluated(stack_name)
    # THEN no API answers browsers and no bucket has a CORS configuration
    for api in evaluation.of_type(API):
        assert api.inputs.get("corsConfiguration") is None, api.urn
    assert evaluation.of_type(BUCKET_CORS) == []


@pytest.mark.parametrize("service", sorted(s for s in SERVICES if load_manifest(s).routes))
def test_every_api_allows_exactly_the_web_origins_its_methods_and_headers(service: str) -> None:
    # GIVEN two web origins in the environment's settings
    evaluation = with_origins(f"{service}-dev")
    [api] = evaluation.of_type(API)
    cors = api.inputs["corsConfiguration"]
    # THEN the API allows those origins, the methods of its own routes, and the headers the
    # web client sends (JWT, JSON, idempotency key, correlation id)
    methods = {r.inputs["routeKey"].split(" ", 1)[0] for r in evaluation.of_type(ROUTE)}
    assert cors["allowOrigins"] == ORIGINS, api.urn
    assert set(cors["allowMethods"]) == methods, api.urn
    assert {h.lower() for h in cors["allowHeaders"]} == {
        "authorization",
        "content-type",
        "idempotency-key",
        CORRELATION_HEADER,
    }
    assert CORRELATION_HEADER in cors["exposeHeaders"]
    assert 0 < cors["maxAge"] <= 7200, "a short preflight cache: removed origins stop soon"
    assert not cors.get("allowCredentials"), "tokens travel in Authorization, not cookies"


def test_catalog_api_allows_only_get() -> None:
    [api] = with_origins("catalog-dev").of_type(API)
    assert api.inputs["corsConfiguration"]["allowMethods"] == ["GET"]


def test_originals_bucket_accepts_browser_posts_from_the_web_origins_only() -> None:
    # GIVEN web origins
    evaluation = with_origins("upload-dev")
    # THEN exactly one bucket has CORS: the originals bucket, POST only, those origins
    [cors] = evaluation.of_type(BUCKET_CORS)
    originals = evaluation.named("upload-originals-bucket")
    assert cors.inputs["bucket"] == originals.id
    [rule] = cors.inputs["corsRules"]
    assert rule["allowedOrigins"] == ORIGINS
    assert rule["allowedMethods"] == ["POST"]
    assert "*" not in rule.get("allowedHeaders", [])
    assert rule["maxAgeSeconds"] > 0


@pytest.mark.parametrize("service", ["catalog", "purchase"])
def test_services_without_browser_uploads_have_no_bucket_cors(service: str) -> None:
    assert with_origins(f"{service}-dev").of_type(BUCKET_CORS) == []


def test_local_environment_allows_its_own_web_origin() -> None:
    settings = load_settings("local", config_getter("local"))
    assert settings.web_origins, "Pulumi.local.yaml names the local web app's origin"
    assert all(
        o.startswith(("http://127.0.0.1:", "http://localhost:")) for o in settings.web_origins
    )


@pytest.mark.parametrize(
    ("origins", "message"),
    [
        ("https://app.example.org", "marketplace:webOrigins must be a list of origins"),
        (["*"], "marketplace:webOrigins[0] must name one origin: wildcards"),
        (["https://*.example.org"], "marketplace:webOrigins[0] must name one origin"),
        (["http://app.example.org"], "marketplace:webOrigins[0] must use https"),
        (["https://app.example.org/"], "marketplace:webOrigins[0] must be scheme://host[:port]"),
        (["https://app.example.org/shop"], "marketplace:webOrigins[0] must be scheme://host"),
        (["https://ok.example.org", "https://App.example.org"], "webOrigins[1] must be lower"),
        (["app.example.org"], "marketplace:webOrigins[0] must be scheme://host[:port]"),
        (["https://app.example.org:99999"], "marketplace:webOrigins[0] must be scheme://host"),
        ([""], "marketplace:webOrigins[0] must be an origin string"),
        (["https://a.example.org", "https://a.example.org"], "lists an origin twice"),
    ],
)
def test_bad_web_origins_are_refused_naming_the_key(origins: Any, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings("dev", config_getter("dev", {"marketplace:webOrigins": origins}))


@pytest.mark.parametrize(
    "origin", ["https://app.example.org", "https://app.example.org:8443", "http://localhost:5173"]
)
def test_good_web_origins_are_accepted(origin: str) -> None:
    settings = load_settings("dev", config_getter("dev", {"marketplace:webOrigins": [origin]}))
    assert settings.web_origins == (origin,)


# -- the policy rule ---------------------------------------------------------------------------


def rule_context(stack: str, origins: list[str]) -> ResourceContext:
    env = stack.split("-")[1]
    get = config_getter(env, {"marketplace:webOrigins": origins})
    return ResourceContext(name="api", stack=stack_context(stack, get))


def test_policy_accepts_cors_for_the_configured_origins() -> None:
    [api] = with_origins("upload-dev").of_type(API)
    [bucket_cors] = with_origins("upload-dev").of_type(BUCKET_CORS)
    context = rule_context("upload-dev", ORIGINS)
    assert cors_configured_origins_only(API, api.inputs, context) == []
    assert cors_configured_origins_only(BUCKET_CORS, bucket_cors.inputs, context) == []


@pytest.mark.parametrize("origin", ["*", "https://evil.example.net"])
def test_policy_rejects_cors_for_other_origins(origin: str) -> None:
    # GIVEN an API and a bucket allowing an origin the settings do not name
    context = rule_context("upload-dev", ORIGINS)
    api = {"corsConfiguration": {"allowOrigins": [ORIGINS[0], origin]}}
    bucket = {"corsRules": [{"allowedOrigins": [origin], "allowedMethods": ["POST"]}]}
    # THEN the rule names the origin and the fix, for both
    for resource_type, props in ((API, api), (BUCKET_CORS, bucket)):
        [problem] = cors_configured_origins_only(
            resource_type, json.loads(json.dumps(props)), context
        )
        assert repr(origin) in problem and "marketplace:webOrigins" in problem
        assert "Fix:" in problem


def test_policy_rejects_any_cors_when_no_origin_is_configured() -> None:
    context = rule_context("catalog-dev", [])
    api = {"corsConfiguration": {"allowOrigins": ["https://app.example.org"]}}
    [problem] = cors_configured_origins_only(API, api, context)
    assert "none set" in problem
