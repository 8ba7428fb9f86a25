"""CORS in the running local environment, as a browser on the web app's page exercises it.

The environment allows its own web origin (``marketplace:webOrigins`` in Pulumi.local.yaml).
For that origin and for a refused one, each test sends what a browser sends: the preflight
(``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``/``-Headers``), then the
request itself with its ``Origin``. A browser lets the page read an answer only when it
carries ``Access-Control-Allow-Origin`` for the page's origin; that header is what is checked.
The APIs are served by the local gateway from each API's recorded CORS configuration; the
originals bucket's CORS is applied in moto, which answers S3 preflights itself.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import requests

from components.settings import load_settings
from local.demo.client import HTTP_TIMEOUT, Marketplace, User, post_file, upload_declaration
from local.demo.samples import png
from local.program import REPO_ROOT, load_config
from services.common.headers import CORRELATION_HEADER

pytestmark = pytest.mark.e2e

REFUSED_ORIGIN = "https://evil.example.net"


@cache
def web_origin() -> str:
    config = load_config(REPO_ROOT / "Pulumi.local.yaml")
    settings = load_settings("local", lambda k: config.get(f"marketplace:{k}"))
    return settings.web_origins[0]


def preflight(url: str, origin: str, method: str, headers: str = "") -> requests.Response:
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return requests.options(url, headers=request_headers, timeout=HTTP_TIMEOUT)


def listed(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}


@pytest.fixture(scope="module")
def photographer(market: Marketplace) -> User:
    return market.sign_in("cors-photographer")


def create_upload(market: Marketplace, user: User, origin: str) -> requests.Response:
    sample = png(seed=41)
    body = upload_declaration("cors", ["cors"], sample.content_type, len(sample.content), 500)
    headers = {"Origin": origin, CORRELATION_HEADER: "corr-cors"}
    return market.call("POST", "upload", "/uploads", user, json=body, headers=headers)


# -- the HTTP APIs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "path", "method", "headers"),
    [
        ("upload", "/uploads", "POST", f"authorization,content-type,{CORRELATION_HEADER}"),
        ("purchase", "/purchases", "POST", "authorization,content-type,idempotency-key"),
        ("catalog", "/images", "GET", CORRELATION_HEADER),
    ],
)
def test_api_preflight_from_the_web_origin_is_allowed(
    market: Marketplace, service: str, path: str, method: str, headers: str
) -> None:
    # WHEN the web app's page asks whether it may send the request
    answer = preflight(market.url(service, path), web_origin(), method, headers)
    # THEN the gateway answers it itself, allowing that origin, method and headers
    assert answer.status_code == 204, answer.text
    assert answer.headers["access-control-allow-origin"] == web_origin()
    assert method in answer.headers["access-control-allow-methods"].split(",")
    assert listed(headers) <= listed(answer.headers["access-control-allow-headers"])
    assert int(answer.headers["access-control-max-age"]) > 0


@pytest.mark.parametrize("service", ["upload", "purchase", "catalog"])
def test_api_preflight_from_another_origin_is_refused(market: Marketplace, service: str) -> None:
    path = {"upload": "/uploads", "purchase": "/purchases", "catalog": "/images"}[service]
    answer = preflight(market.url(service, path), REFUSED_ORIGIN, "GET", "authorization")
    # THEN nothing allows the origin: the browser refuses to send the request
    assert not any(h.startswith("access-control-") for h in answer.headers), answer.headers


def test_api_request_from_the_web_origin_is_readable_by_the_page(
    market: Marketplace, photographer: User
) -> None:
    # WHEN the page POSTs with its Origin
    created = create_upload(market, photographer, web_origin())
    # THEN the API answers as usual, and the page may read the answer and the correlation id
    assert created.status_code == 201, created.text
    assert created.headers["access-control-allow-origin"] == web_origin()
    assert CORRELATION_HEADER in listed(created.headers["access-control-expose-headers"])


def test_api_request_from_another_origin_is_not_readable(
    market: Marketplace, photographer: User
) -> None:
    created = create_upload(market, photographer, REFUSED_ORIGIN)
    # THEN the answer carries no CORS header: a browser hides it from the other site's page
    assert created.status_code == 201
    assert "access-control-allow-origin" not in created.headers


def test_api_answers_without_origin_carry_no_cors_headers(market: Marketplace) -> None:
    answer = market.call("GET", "catalog", "/tags")
    assert answer.status_code == 200
    assert not any(h.startswith("access-control-") for h in answer.headers)


# -- the originals bucket (presigned POST) -----------------------------------------------------


@pytest.fixture(scope="module")
def presigned_post(market: Marketplace, photographer: User) -> dict[str, Any]:
    created = create_upload(market, photographer, web_origin())
    assert created.status_code == 201, created.text
    return dict(created.json()["upload"])


def post_original(post: dict[str, Any], origin: str) -> requests.Response:
    sample = png(seed=41)
    session = requests.Session()
    return post_file(
        session, post, sample.name, sample.content, sample.content_type, {"Origin": origin}
    )


def test_bucket_preflight_from_the_web_origin_is_allowed(presigned_post: dict[str, Any]) -> None:
    answer = preflight(presigned_post["url"], web_origin(), "POST")
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == web_origin()
    assert "POST" in answer.headers["access-control-allow-methods"]


def test_bucket_preflight_from_another_origin_is_refused(presigned_post: dict[str, Any]) -> None:
    answer = preflight(presigned_post["url"], REFUSED_ORIGIN, "POST")
    assert answer.status_code == 403
    assert "access-control-allow-origin" not in answer.headers


def test_presigned_post_from_the_web_origin_is_readable(presigned_post: dict[str, Any]) -> None:
    sent = post_original(presigned_post, web_origin())
    assert sent.status_code in (200, 201, 204), sent.text
    assert sent.headers["access-control-allow-origin"] == web_origin()


def test_presigned_post_from_another_origin_is_not_readable(
    market: Marketplace, photographer: User
) -> None:
    created = create_upload(market, photographer, web_origin())
    sent = post_original(created.json()["upload"], REFUSED_ORIGIN)
    # S3 stores what a valid signature sends (CORS is the browser's guard, not S3's); the other
    # site's page just cannot read the answer
    assert sent.status_code in (200, 201, 204), sent.text
    assert "access-control-allow-origin" not in sent.headers
