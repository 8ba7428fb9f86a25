"""A service's HTTP API (API Gateway v2, payload format 2.0) served on localhost.

One ``ThreadingHTTPServer`` per recorded API, on 127.0.0.1 and a free port. It does what
API Gateway does in front of the function and nothing more: match the request to a recorded
route key (``GET /uploads/{id}``, greedy ``{proxy+}``, ``$default``), run the route's JWT
authorizer (401 ``{"message":"Unauthorized"}`` without invoking anything), build the
payload-format-2.0 event, invoke the integration's function and turn its result back into
an HTTP response (a bare value becomes a 200 JSON body, as API Gateway infers). The
Powertools resolvers inside the handlers therefore run unchanged. With a recorded
``corsConfiguration`` it answers browsers' preflights and adds the CORS headers for allowed
origins only, as API Gateway does (``Cors``).
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from local.runtime.auth import JwtVerifier, Unauthorized
from local.runtime.serving import LOOPBACK, BackgroundServer
from local.runtime.workers import Invocation

TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")
MAX_BODY_BYTES = 10 * 1024 * 1024
"""API Gateway's payload limit."""


class Invoker(Protocol):
    def invoke(self, event: Any, request_id: str | None = None) -> Invocation: ...


@dataclass(frozen=True)
class RouteSpec:
    """A recorded ``aws:apigatewayv2/route:Route``: its key, function and authorizer."""

    key: str
    function: Invoker
    authorizer: JwtVerifier | None = None

    @property
    def method(self) -> str:
        return "ANY" if self.key == "$default" else self.key.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return "" if self.key == "$default" else self.key.split(" ", 1)[1]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    source_ip: str


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: tuple[str, ...] = ()


def _path_pattern(path: str) -> re.Pattern[str]:
    """``/uploads/{id}`` -> a regex with a named group per parameter (``{p+}`` is greedy)."""
    parts = []
    for segment in path.strip("/").split("/"):
        greedy = re.fullmatch(r"\{(\w+)\+\}", segment)
        plain = re.fullmatch(r"\{(\w+)\}", segment)
        if greedy:
            parts.append(f"(?P<{greedy.group(1)}>.+)")
        elif plain:
            parts.append(f"(?P<{plain.group(1)}>[^/]+)")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


class Router:
    """Picks the route API Gateway would: exact paths before parameters, greedy last."""

    def __init__(self, routes: Sequence[RouteSpec]):
        def specificity(route: RouteSpec) -> tuple[int, int, int]:
            path = route.path
            return (route.key == "$default", path.count("+}"), path.count("{"))

        self.routes = sorted(routes, key=specificity)
        self._patterns = {r.key: _path_pattern(r.path) for r in self.routes if r.path}

    def match(self, method: str, path: str) -> tuple[RouteSpec, dict[str, str]] | None:
        for route in self.routes:
            if route.key == "$default":
                return route, {}
            if route.method not in (method, "ANY"):
                continue
            found = self._patterns[route.key].fullmatch(path)
            if found:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


def api_gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as API Gateway hands them to the function: every value a string."""
    result = {}
    for name, value in claims.items():
        if isinstance(value, list):
            result[name] = "[" + " ".join(str(v) for v in value) + "]"
        else:
            result[name] = value if isinstance(value, str) else json.dumps(value)
    return result


def build_event(
    request: Request,
    route: RouteSpec,
    path_parameters: Mapping[str, str],
    claims: Mapping[str, Any] | None,
    api: ApiIdentity,
    request_id: str,
) -> dict[str, Any]:
    """The payload-format-2.0 event for ``request`` on ``route``."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    content_type = headers.get("content-type", "")
    is_text = not request.body or any(t in content_type for t in TEXT_TYPES)
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "accountId": api.account,
        "apiId": api.api_id,
        "domainName": api.domain,
        "domainPrefix": api.domain.split(".")[0],
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.key,
        "stage": "$default",
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": api_gateway_claims(claims), "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": not is_text,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if request.body:
        event["body"] = (
            request.body.decode("utf-8", "replace")
            if is_text
            else base64.b64encode(request.body).decode()
        )
    return event


def reply_from_result(invocation: Invocation) -> Reply:
    """Turn the function's result into the HTTP response (format 2.0 rules)."""
    if not invocation.ok:
        if invocation.error_type == "Sandbox.Timedout":
            return _message(HTTPStatus.SERVICE_UNAVAILABLE, "Service Unavailable")
        return _message(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal Server Error")
    result = invocation.result
    if not isinstance(result, Mapping) or "statusCode" not in result:
        body = result if isinstance(result, str) else json.dumps(result)
        return Reply(200, {"content-type": "application/json"}, body.encode())
    headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name).lower()] = ", ".join(str(v) for v in values)
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return Reply(int(result["statusCode"]), headers, raw, tuple(result.get("cookies") or ()))


def _message(status: HTTPStatus, message: str) -> Reply:
    body = json.dumps({"message": message}).encode()
    return Reply(int(status), {"content-type": "application/json"}, body)


@dataclass(frozen=True)
class Cors:
    """A recorded API's ``corsConfiguration``, answered as API Gateway does: it replies to
    preflights itself (no route is needed) and adds the CORS headers to every response, but
    only for an allowed ``Origin``; other origins get none, so the browser refuses."""

    allow_origins: frozenset[str]
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False

    @classmethod
    def from_inputs(cls, config: Mapping[str, Any] | None) -> Cors | None:
        """From the API's recorded ``corsConfiguration`` input (``None``: no CORS)."""
        if not config:
            return None
        return cls(
            allow_origins=frozenset(config.get("allowOrigins") or ()),
            allow_methods=tuple(config.get("allowMethods") or ()),
            allow_headers=tuple(h.lower() for h in config.get("allowHeaders") or ()),
            expose_headers=tuple(config.get("exposeHeaders") or ()),
            max_age=int(config["maxAge"]) if config.get("maxAge") is not None else None,
            allow_credentials=bool(config.get("allowCredentials")),
        )

    def _allow_origin(self, origin: str | None) -> dict[str, str]:
        if not origin:
            return {}
        if origin in self.allow_origins:
            headers = {"access-control-allow-origin": origin}
        elif "*" in self.allow_origins:
            headers = {"access-control-allow-origin": "*"}
        else:
            return {}
        if self.allow_credentials:
            headers["access-control-allow-credentials"] = "true"
        return headers

    def preflight(self, origin: str | None) -> dict[str, str]:
        """Headers of the answer to an ``OPTIONS`` preflight from ``origin``."""
        headers = self._allow_origin(origin)
        if not headers:
            return {}
        headers["access-control-allow-methods"] = ",".join(self.allow_methods)
        if self.allow_headers:
            headers["access-control-allow-headers"] = ",".join(self.allow_headers)
        if self.max_age is not None:
            headers["access-control-max-age"] = str(self.max_age)
        return headers

    def response(self, origin: str | None) -> dict[str, str]:
        """Headers added to an actual response for ``origin``."""
        headers = self._allow_origin(origin)
        if headers and self.expose_headers:
            headers["access-control-expose-headers"] = ",".join(self.expose_headers)
        return headers


@dataclass(frozen=True)
class ApiIdentity:
    api_id: str
    account: str
    domain: str = ""


class ApiGateway:
    """Route + authorize + invoke: everything between the socket and the function."""

    def __init__(
        self,
        identity: ApiIdentity,
        routes: Sequence[RouteSpec],
        log: Callable[[str], None] | None = None,
        cors: Cors | None = None,
    ):
        self.identity = identity
        self.router = Router(routes)
        self._log = log or (lambda line: None)
        self.cors = cors

    def handle(self, request: Request) -> Reply:
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        origin = _header(request.headers, "origin")
        if self.cors and _is_preflight(request):
            reply = Reply(int(HTTPStatus.NO_CONTENT), self.cors.preflight(origin), b"")
        else:
            reply = self._handle(request, request_id)
            if self.cors:
                reply = replace(reply, headers={**reply.headers, **self.cors.response(origin)})
        elapsed = (time.monotonic() - started) * 1000
        self._log(f"{request.method} {request.path} -> {reply.status} ({elapsed:.0f} ms)")
        return Reply(
            reply.status,
            {**reply.headers, "apigw-requestid": request_id},
            reply.body,
            reply.cookies,
        )

    def _handle(self, request: Request, request_id: str) -> Reply:
        matched = self.router.match(request.method, request.path)
        if matched is None:
            return _message(HTTPStatus.NOT_FOUND, "Not Found")
        route, parameters = matched
        claims = None
        if route.authorizer is not None:
            try:
                claims = route.authorizer.verify(_header(request.headers, "authorization"))
            except Unauthorized as error:
                self._log(f"{request.method} {request.path}: unauthorized ({error})")
                return _message(HTTPStatus.UNAUTHORIZED, "Unauthorized")
        event = build_event(request, route, parameters, claims, self.identity, request_id)
        invocation = route.function.invoke(event, request_id)
        if not invocation.ok:
            self._log(f"{route.key}: function error {invocation.describe()}")
        return reply_from_result(invocation)


def _is_preflight(request: Request) -> bool:
    return (
        request.method == "OPTIONS"
        and _header(request.headers, "origin") is not None
        and _header(request.headers, "access-control-request-method") is not None
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


class HttpApiServer(BackgroundServer):
    """An ``ApiGateway`` behind a threading HTTP server on 127.0.0.1 (port 0: a free one)."""

    def __init__(self, gateway: ApiGateway, host: str = LOOPBACK, port: int = 0):
        self.gateway = gateway
        super().__init__(_handler_class(gateway), host, port)
        gateway.identity = replace(gateway.identity, domain=self.host_port)

    @property
    def url(self) -> str:
        return f"http://{self.host_port}"


def _handler_class(gateway: ApiGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY_BYTES:
                self._send(_message(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Too Large"))
                return
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            headers: dict[str, str] = {}
            for name, value in self.headers.items():
                key = name.lower()
                headers[key] = f"{headers[key]},{value}" if key in headers else value
            request = Request(
                self.command, parts.path or "/", parts.query, headers, body, self.client_address[0]
            )
            self._send(gateway.handle(request))

        def _send(self, reply: Reply) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                if name not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(name, value)
            for cookie in reply.cookies:
                self.send_header("set-cookie", cookie)
            self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:  # stdlib name
            return

    return Handler
