"""One domain: which path goes where, declared once for CloudFront and the local web server.

``/api/<service>/*`` goes to that service's HTTP API with the prefix stripped; the public
rendition paths go to upload's public CDN; every other path without a file extension is a
route of the single-page app and is answered with ``index.html``. The CloudFront Functions'
JavaScript is generated from the same patterns the local server applies in Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from services.contracts.manifest import all_manifests

API_PREFIX = "/api/"
RENDITION_PREFIXES = ("thumbnails", "previews")
"""Key prefixes of upload's public renditions (``services/upload/processor.py`` writes them)."""
INDEX = "/index.html"
_API = re.compile(r"^/api/[a-z]+")
_ASSET = re.compile(r"\.[A-Za-z0-9]+$")

CACHE_FOREVER = "public, max-age=31536000, immutable"
"""Hashed asset names: a new build is a new name, so a year is safe."""
NO_CACHE = "no-cache"
"""``index.html`` and ``config.json``: revalidated on every load, so a deploy shows at once."""


def api_services() -> tuple[str, ...]:
    """Services with HTTP routes, in catalogue order: each is mounted at ``/api/<service>/``."""
    return tuple(m.name for m in all_manifests() if m.routes)


def api_mount(service: str) -> str:
    return f"{API_PREFIX}{service}"


def strip_api_prefix(uri: str) -> str:
    """``/api/catalog/images`` -> ``/images`` (what the API's routes expect)."""
    return _API.sub("", uri, count=1) or "/"


def spa_target(uri: str) -> str:
    """The object a site path reads: the path itself for files, ``index.html`` for app routes."""
    return uri if _ASSET.search(uri) else INDEX


def rendition_service(uri: str) -> bool:
    """Whether ``uri`` is a public rendition path (served by upload's public CDN)."""
    return uri.lstrip("/").split("/", 1)[0] in RENDITION_PREFIXES


def _function(body: str) -> str:
    return (
        f"function handler(event) {{\n  var request = event.request;\n{body}  return request;\n}}\n"
    )


def _js_regex(pattern: re.Pattern[str]) -> str:
    return "/" + pattern.pattern.replace("/", "\\/") + "/"


API_PREFIX_FUNCTION = _function(
    f"  request.uri = request.uri.replace({_js_regex(_API)}, '') || '/';\n"
)
"""CloudFront Function (viewer request) on every ``/api/<service>/*`` behaviour."""

SPA_FUNCTION = _function(
    f"  if (!{_js_regex(_ASSET)}.test(request.uri)) {{ request.uri = '{INDEX}'; }}\n"
)
"""CloudFront Function (viewer request) on the site's default behaviour."""


def content_security_policy(
    connect: Iterable[str] = (), form_action: Iterable[str] = (), images: Iterable[str] = ()
) -> str:
    """The app's CSP: its own scripts and styles only; API calls to itself; uploads and
    sign-in to the hosts named; images from itself and ``images`` (the admin panel shows the
    private review copies through presigned links to upload's originals bucket)."""
    connect_src = " ".join(["'self'", *connect])
    form_src = " ".join(["'self'", *form_action])
    img_src = " ".join(["'self'", "data:", "blob:", *images])
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src {img_src}; "
        f"connect-src {connect_src}; form-action {form_src}; frame-ancestors 'none'; "
        "base-uri 'self'; object-src 'none'"
    )


SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Content-Type-Options": "nosniff",
}
"""What the response headers policy adds besides the CSP (the local server adds the same)."""
