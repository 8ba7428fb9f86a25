"""The local runtime's parts on their own (no emulator): fast checks of Lambda's and API
Gateway's rules as the runtime implements them."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.keys import new_rsa_key, private_pem, public_pem
from local.runtime.auth import JwtVerifier, Unauthorized
from local.runtime.cdn import Distribution, check_signature
from local.runtime.http_api import (
    ApiIdentity,
    Request,
    Router,
    RouteSpec,
    build_event,
    reply_from_result,
)
from local.runtime.pollers import failed_item_ids
from local.runtime.workers import FunctionRuntime, FunctionSpec, Invocation, worker_environment
from services.purchase.signing import sign_url

ISSUER = "https://issuer.example/pool"
KEY = new_rsa_key()
OTHER_KEY = new_rsa_key()


class NoFunction:
    def invoke(self, event: Any, request_id: str | None = None) -> Invocation:
        raise AssertionError("not invoked in these tests")


def route(key: str) -> RouteSpec:
    return RouteSpec(key, NoFunction())


# -- routing and events ----------------------------------------------------------------------


def test_router_prefers_exact_paths_and_extracts_parameters() -> None:
    # GIVEN routes with a literal, a parameter and a nested parameter path
    router = Router(
        [
            route("GET /purchases/{id}"),
            route("GET /purchases/{id}/download"),
            route("GET /purchases"),
            route("POST /purchases"),
        ]
    )
    # WHEN requests are matched
    download = router.match("GET", "/purchases/p-1/download")
    one = router.match("GET", "/purchases/p%201")
    # THEN each finds its route, parameters decoded; other methods and paths find none
    assert download and download[0].key == "GET /purchases/{id}/download"
    assert one and one[1] == {"id": "p 1"}
    assert router.match("DELETE", "/purchases") is None
    assert router.match("GET", "/purchases/a/b/c") is None


def test_build_event_is_payload_format_2() -> None:
    # GIVEN a request with mixed-case headers, a repeated query parameter and claims
    request = Request(
        "GET",
        "/images/i-1",
        "tag=a&tag=b&limit=5",
        {"X-Correlation-Id": "c-1", "Cookie": "a=1; b=2"},
        b"",
        "127.0.0.1",
    )
    # WHEN the event is built
    event = build_event(
        request,
        route("GET /images/{id}"),
        {"id": "i-1"},
        {"sub": "u-1", "exp": 5, "groups": ["x", "y"]},
        ApiIdentity("api1", "100000000001", "127.0.0.1:1"),
        "r-1",
    )
    # THEN it has API Gateway's shape: lower-case headers, joined query values, claims as text
    assert event["version"] == "2.0" and event["routeKey"] == "GET /images/{id}"
    assert event["headers"] == {"x-correlation-id": "c-1"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["queryStringParameters"] == {"tag": "a,b", "limit": "5"}
    assert event["pathParameters"] == {"id": "i-1"}
    assert event["requestContext"]["requestId"] == "r-1"
    assert event["requestContext"]["authorizer"]["jwt"]["claims"] == {
        "sub": "u-1",
        "exp": "5",
        "groups": "[x y]",
    }
    assert "body" not in event and event["isBase64Encoded"] is False


def test_build_event_base64_encodes_binary_bodies() -> None:
    # GIVEN a binary body
    request = Request("POST", "/x", "", {"content-type": "image/png"}, b"\x89PNG", "127.0.0.1")
    # WHEN the event is built
    event = build_event(request, route("POST /x"), {}, None, ApiIdentity("a", "1"), "r")
    # THEN the body is base64 and flagged so
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x89PNG"


@pytest.mark.parametrize(
    ("invocation", "status", "body"),
    [
        (Invocation(True, {"statusCode": 201, "body": "{}", "headers": {"X-A": "1"}}), 201, b"{}"),
        (Invocation(True, {"items": []}), 200, b'{"items": []}'),
        (Invocation(False, error_type="ValueError"), 500, b'{"message": "Internal Server Error"}'),
        (
            Invocation(False, error_type="Sandbox.Timedout"),
            503,
            b'{"message": "Service Unavailable"}',
        ),
    ],
)
def test_reply_from_result_follows_format_2_rules(
    invocation: Invocation, status: int, body: bytes
) -> None:
    # WHEN a function result becomes an HTTP reply
    reply = reply_from_result(invocation)
    # THEN status and body are API Gateway's
    assert (reply.status, reply.body) == (status, body)


# -- JWT -------------------------------------------------------------------------------------


def jwks() -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
    return {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}


def token(key: Any = KEY, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": "client-1", "sub": "u", "exp": now + 60, "iat": now, **claims}
    return jwt.encode(
        {k: v for k, v in body.items() if v is not None}, key, "RS256", headers={"kid": "k1"}
    )


@pytest.fixture
def verifier() -> JwtVerifier:
    return JwtVerifier(ISSUER, ["client-1"], jwks)


def test_jwt_verifier_accepts_id_and_access_tokens(verifier: JwtVerifier) -> None:
    # GIVEN an id token (aud) and an access token (client_id, no aud)
    access = token(aud=None, client_id="client-1", token_use="access")
    # THEN both verify, with or without "Bearer"
    assert verifier.verify(f"Bearer {token()}")["sub"] == "u"
    assert verifier.verify(access)["client_id"] == "client-1"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer ",
        "Bearer not-a-jwt",
        token(exp=int(time.time()) - 1),
        token(aud="other"),
        token(iss="https://elsewhere"),
        token(key=OTHER_KEY),
    ],
    ids=["missing", "empty", "empty bearer", "garbage", "expired", "audience", "issuer", "key"],
)
def test_jwt_verifier_refuses(verifier: JwtVerifier, authorization: str | None) -> None:
    # WHEN a token failing one of API Gateway's checks is verified
    # THEN it is unauthorized
    with pytest.raises(Unauthorized):
        verifier.verify(authorization)


# -- event sources ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("invocation", "partial", "failed"),
    [
        (Invocation(True, {"batchItemFailures": [{"itemIdentifier": "2"}]}), True, {"2"}),
        (Invocation(True, {"batchItemFailures": []}), True, set()),
        (Invocation(True, None), True, set()),
        (Invocation(True, {"batchItemFailures": [{"itemIdentifier": "zz"}]}), True, {"1", "2"}),
        (Invocation(True, {"batchItemFailures": [{"itemIdentifier": "2"}]}), False, set()),
        (Invocation(False, error_type="Error"), True, {"1", "2"}),
    ],
    ids=["reported", "none", "null", "unknown id fails all", "not enabled", "error"],
)
def test_failed_item_ids_follow_lambda(invocation: Invocation, partial: bool, failed: set) -> None:
    assert failed_item_ids(invocation, ["1", "2"], partial) == failed


# -- CDN -------------------------------------------------------------------------------------


def pem(key: rsa.RSAPrivateKey) -> tuple[str, str]:
    return private_pem(key), public_pem(key)


def test_cdn_signature_check_accepts_only_valid_unexpired_signatures() -> None:
    # GIVEN a delivery distribution trusting key K1
    private, public = pem(KEY)
    distribution = Distribution("delivery", "bucket", public_keys={"K1": public})
    url = "http://127.0.0.1:9/delivery/licensed/a.jpg"
    later = datetime.now(UTC) + timedelta(minutes=5)
    signed = sign_url(url, "K1", private, later)
    # THEN the signed URL passes; expired, foreign-key, unknown-key and re-targeted ones do not
    assert check_signature(signed, distribution) is None
    assert "expired" in str(check_signature(signed, distribution, later + timedelta(seconds=1)))
    assert check_signature(sign_url(url, "K1", pem(OTHER_KEY)[0], later), distribution)
    assert check_signature(sign_url(url, "K2", private, later), distribution)
    assert check_signature(signed.replace("a.jpg", "b.jpg"), distribution)


def test_cdn_signature_covers_scheme_and_host() -> None:
    # GIVEN a link signed for the local CDN's http://127.0.0.1:9 origin
    private, public = pem(KEY)
    distribution = Distribution("delivery", "bucket", public_keys={"K1": public})
    later = datetime.now(UTC) + timedelta(minutes=5)
    signed = sign_url("http://127.0.0.1:9/delivery/a.jpg", "K1", private, later)
    # WHEN it is requested under another scheme or host
    # THEN the signature does not match, as at CloudFront: no scheme is swapped to make it pass
    assert check_signature(signed, distribution) is None
    assert "does not match" in str(check_signature("https" + signed[4:], distribution))
    assert "does not match" in str(
        check_signature(signed.replace("127.0.0.1:9", "localhost:9"), distribution)
    )


# -- workers ---------------------------------------------------------------------------------

CREDENTIALS = {"aws_access_key_id": "AK", "aws_secret_access_key": "SK", "aws_session_token": "ST"}


def function(handler: str, timeout: float = 10) -> FunctionRuntime:
    spec = FunctionSpec(
        "unit-fn",
        f"tests.e2e.handlers.{handler}",
        "100000000009",
        {"TABLE_NAME": "t", "OUTPUT_QUEUE_URL": "unused"},
        timeout,
        128,
    )
    env = worker_environment(
        spec, CREDENTIALS, "http://127.0.0.1:9", "eu-west-1", {"TABLE_NAME": "override"}
    )
    return FunctionRuntime(spec, env)


def test_worker_environment_is_exactly_the_functions() -> None:
    # GIVEN a function with recorded variables and an override
    fn = function("echo_environment")
    try:
        # WHEN the handler reports its environment
        result = fn.invoke({}, request_id="req-1")
    finally:
        fn.stop()
    environ = result.result["environ"]
    # THEN it has its variables, its credentials and the emulator, and nothing of ours
    assert result.ok and result.result["request_id"] == "req-1"
    assert environ["TABLE_NAME"] == "override"
    assert (
        environ["AWS_ACCESS_KEY_ID"] == "AK" and environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    )
    assert environ["POWERTOOLS_TRACE_DISABLED"] == "1"
    assert "HOME" not in environ and "VIRTUAL_ENV" not in environ


def test_worker_crash_is_an_error_then_the_worker_restarts() -> None:
    # GIVEN a warm worker
    fn = function("crash_or_echo")
    try:
        before = fn.invoke({})
        # WHEN its process dies during an invocation
        crashed = fn.invoke({"crash": True})
        after = fn.invoke({})
    finally:
        fn.stop()
    # THEN that invocation fails and the next runs in a fresh process
    assert not crashed.ok and crashed.error_type == "Runtime.ExitError"
    assert before.ok and after.ok and after.result["pid"] != before.result["pid"]


def test_worker_timeout_is_reported_like_lambda() -> None:
    # GIVEN a function with a 1 s timeout
    fn = function("sleep_seconds", timeout=1)
    try:
        # WHEN it runs longer
        result = fn.invoke({"seconds": 5})
        quick = fn.invoke({"seconds": 0})
    finally:
        fn.stop()
    # THEN the invocation times out and the function still serves the next one
    assert result.error_type == "Sandbox.Timedout"
    assert quick.ok
