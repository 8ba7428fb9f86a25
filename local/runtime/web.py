"""The web stack's distribution, locally: the app and every API at one URL.

What CloudFront does for ``web-<env>`` (components/web_service.py), with the same rules
(``services/web/routing.py``): ``/api/<service>/*`` goes to that service's local API with the
prefix stripped (method, body, ``Authorization`` and ``Idempotency-Key`` forwarded), the
rendition paths to the local CDN's public mount, anything else is read from the site bucket
the deploy filled (app routes read ``index.html``), with the security headers.

Sign-in: the local Cognito (moto) has no hosted UI, so this server stands in for it at
``/local-auth``: the same OAuth 2.0 code flow with PKCE the app runs against Cognito when
deployed (``/oauth2/authorize`` shows a sign-in form, ``/oauth2/token`` checks the
verifier), signing the user in to the local pool with its public InitiateAuth.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.client
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from local.runtime.serving import LOOPBACK, BackgroundServer
from services.web import routing

AUTH_MOUNT = "/local-auth"
FORWARDED_HEADERS = ("authorization", "idempotency-key", "content-type", "accept")
SignIn = Callable[[str, str], Mapping[str, str]]
"""(username, password) -> ``{"id_token", "access_token", ...}`` from the local pool."""


@dataclass
class WebRoutes:
    """Where the local distribution's paths go."""

    apis: dict[str, str]
    """Service -> its local API's base URL."""
    renditions: str
    """Base URL of the local CDN's public mount."""
    read_site: Callable[[str], tuple[bytes, str, str] | None]
    """Key -> (body, content type, cache control) from the site bucket, or None."""
    connect: tuple[str, ...] = ()
    """Hosts the CSP lets the app call besides itself (the emulator's S3 for uploads)."""
    sign_in: SignIn | None = None


@dataclass
class _PendingCode:
    tokens: Mapping[str, str]
    challenge: str
    redirect_uri: str


@dataclass
class LocalHostedUi:
    """The hosted UI's code flow with PKCE (S256), for the local pool."""

    sign_in: SignIn
    codes: dict[str, _PendingCode] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, tokens: Mapping[str, str], challenge: str, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = _PendingCode(tokens, challenge, redirect_uri)
        return code

    def redeem(self, code: str, verifier: str, redirect_uri: str) -> Mapping[str, str] | None:
        """Tokens for a code used once, with the verifier of its challenge; else None."""
        with self.lock:
            pending = self.codes.pop(code, None)
        if pending is None or pending.redirect_uri != redirect_uri:
            return None
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != pending.challenge:
            return None
        return pending.tokens


SIGN_IN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (local)</title><link rel="icon" href="data:,"><style>
body{{font:16px system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}}
label{{display:block;margin:.8rem 0 .2rem}} input{{width:100%;padding:.5rem;font:inherit}}
button{{margin-top:1rem;padding:.6rem 1.2rem;font:inherit;background:#1f4e8c;color:#fff;border:0}}
p.error{{color:#a40000}}</style></head><body><main>
<h1>Sign in</h1><p>Local marketplace: a new name signs up.</p>{error}
<form method="post"><input type="hidden" name="query" value="{query}">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></main></body></html>"""


SIGN_IN_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "frame-ancestors 'none'"
)


def security_headers(connect: tuple[str, ...]) -> dict[str, str]:
    """The response headers policy's headers (the CSP naming the local hosts: the emulator's
    S3 takes the uploads and serves the review copies' presigned links)."""
    return {
        "Content-Security-Policy": routing.content_security_policy(connect=connect, images=connect),
        **routing.SECURITY_HEADERS,
    }


def _handler_class(routes: WebRoutes) -> type[BaseHTTPRequestHandler]:
    hosted_ui = LocalHostedUi(routes.sign_in) if routes.sign_in else None
    headers = security_headers(routes.connect)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._route()

        def do_HEAD(self) -> None:
            self._route()

        def do_POST(self) -> None:
            self._route()

        def do_PUT(self) -> None:
            self._route()

        def do_PATCH(self) -> None:
            self._route()

        def do_DELETE(self) -> None:
            self._route()

        def do_OPTIONS(self) -> None:
            self._route()

        def _route(self) -> None:
            path = urlsplit(self.path).path
            service = path.split("/")[2] if path.startswith(routing.API_PREFIX) else ""
            if service in routes.apis:
                self._proxy(routes.apis[service], routing.strip_api_prefix(self.path))
            elif path.startswith(routing.API_PREFIX):
                self._send(404, b'{"message":"no such API"}', "application/json")
            elif routing.rendition_service(path):
                self._proxy(routes.renditions, self.path)
            elif path.startswith(AUTH_MOUNT) and hosted_ui:
                self._auth(hosted_ui, path.removeprefix(AUTH_MOUNT))
            elif self.command in ("GET", "HEAD"):
                self._site(path)
            else:
                self._send(405, b"method not allowed", "text/plain")

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _proxy(self, base: str, path: str) -> None:
            target = urlsplit(base)
            forwarded = {k: v for k, v in self.headers.items() if k.lower() in FORWARDED_HEADERS}
            connection = http.client.HTTPConnection(target.netloc, timeout=60)
            try:
                connection.request(self.command, target.path + path, self._body(), forwarded)
                answer = connection.getresponse()
                body = answer.read()
            finally:
                connection.close()
            passed = {
                k: v
                for k, v in answer.getheaders()
                if k.lower() in ("content-type", "cache-control", "location", "etag")
            }
            self._send(answer.status, body, passed.pop("Content-Type", None), passed)

        def _site(self, path: str) -> None:
            key = routing.spa_target(path).lstrip("/")
            found = routes.read_site(key)
            if found is None:
                self._send(404, b"not found", "text/plain")
                return
            body, content_type, cache_control = found
            self._send(200, body, content_type, {"Cache-Control": cache_control})

        def _auth(self, ui: LocalHostedUi, path: str) -> None:
            if path == "/oauth2/authorize":
                self._authorize(ui)
            elif path == "/oauth2/token" and self.command == "POST":
                form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
                tokens = ui.redeem(
                    form.get("code", ""),
                    form.get("code_verifier", ""),
                    form.get("redirect_uri", ""),
                )
                if tokens is None:
                    self._send(400, b'{"error":"invalid_grant"}', "application/json")
                    return
                body: dict[str, object] = {
                    k: tokens[k] for k in ("id_token", "access_token") if k in tokens
                }
                body |= {"token_type": "Bearer", "expires_in": 3600}
                self._send(200, json.dumps(body).encode(), "application/json")
            elif path == "/logout":
                query = parse_qs(urlsplit(self.path).query)
                self._redirect(query.get("logout_uri", ["/"])[0])
            else:
                self._send(404, b"not found", "text/plain")

        def _authorize(self, ui: LocalHostedUi) -> None:
            if self.command != "POST":
                self._sign_in_page(urlsplit(self.path).query, "")
                return
            form = {k: v[0] for k, v in parse_qs(self._body().decode()).items()}
            query = {k: v[0] for k, v in parse_qs(form.get("query", "")).items()}
            if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                self._send(400, b"PKCE (S256) is required", "text/plain")
                return
            try:
                tokens = ui.sign_in(form.get("username", ""), form.get("password", ""))
            except Exception as error:  # Cognito's refusal, shown as the hosted UI would
                self._sign_in_page(form.get("query", ""), str(error).split(": ")[-1])
                return
            redirect = query.get("redirect_uri", "/")
            code = ui.issue(tokens, query["code_challenge"], redirect)
            self._redirect(
                f"{redirect}?{urlencode({'code': code, 'state': query.get('state', '')})}"
            )

        def _sign_in_page(self, query: str, error: str) -> None:
            shown = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
            page = SIGN_IN_PAGE.format(query=html.escape(query), error=shown)
            # Its own small page with an inline style, not the app: a CSP of its own.
            own = {"Cache-Control": "no-store", "Content-Security-Policy": SIGN_IN_CSP}
            self._send(200, page.encode(), "text/html; charset=utf-8", own)

        def _redirect(self, location: str) -> None:
            self._send(302, b"", None, {"Location": location})

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str | None,
            extra: Mapping[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            for name, value in {**headers, **(extra or {})}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    return Handler


class WebServer(BackgroundServer):
    """The local distribution on 127.0.0.1; bound before the deployment (its origin is config)."""

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        self._handler: type[BaseHTTPRequestHandler] | None = None
        outer = self

        class Deferred(BaseHTTPRequestHandler):
            """Routes are known only after the deployment; until then connections are dropped."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                if outer._handler is None:
                    raise ConnectionAbortedError("web server not routed yet")
                outer._handler(*args, **kwargs)

        super().__init__(Deferred, host, port, role="the web app")

    @property
    def url(self) -> str:
        return f"http://{self.host_port}"

    def stop(self) -> None:
        if self._thread is None:  # bound for the deployment, never served
            self._server.server_close()
            return
        super().stop()

    def route(self, routes: WebRoutes) -> WebServer:
        self._handler = _handler_class(routes)
        return self


def local_web_config(env: str, origin: str) -> dict[str, Any]:
    """``Pulumi.<env>.yaml`` with this server's origin allowed (CORS for the presigned POSTs
    to the emulator's S3) and its stand-in hosted UI as the sign-in URL."""
    from local.emulator.deployer import config_file
    from local.program import load_config

    config = load_config(config_file(env))
    origins = list(config.get("marketplace:webOrigins") or [])
    config["marketplace:webOrigins"] = [*origins, origin] if origin not in origins else origins
    identity = dict(config.get("marketplace:identity") or {})
    config["marketplace:identity"] = {**identity, "signInUrl": origin + AUTH_MOUNT}
    return config


def web_routes(graph: Any, runtime: Any, cloud: Any) -> WebRoutes:
    """The routes of a deployed graph: its APIs, the public CDN mount, the site bucket."""
    from local.users import sign_in_user

    stack = next(name for name in graph.stacks if name.startswith("web-"))
    bucket = graph.stack_outputs[stack]["siteBucket"]
    s3 = graph.client("s3", graph.accounts["web"])

    def read_site(key: str) -> tuple[bytes, str, str] | None:
        try:
            found = s3.get_object(Bucket=bucket, Key=key)
        except s3.exceptions.NoSuchKey:
            return None
        return found["Body"].read(), found["ContentType"], found.get("CacheControl", "")

    return WebRoutes(
        apis={service: api.url for service, api in runtime.apis.items()},
        renditions=runtime.cdn.url_base("public"),
        read_site=read_site,
        connect=(cloud.endpoint,),
        sign_in=lambda username, password: sign_in_user(cloud, username, password),
    )
