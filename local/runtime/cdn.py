"""The two CloudFront distributions, served on localhost by one HTTP server.

``/public/<key>`` serves the renditions bucket to anyone (the public distribution);
``/delivery/<key>?Expires=&Signature=&Key-Pair-Id=`` serves the licensed bucket only for a
valid, unexpired canned-policy signature by a key of the distribution's key group, and 403
otherwise - the check is ``services.purchase.signing.verify_signed_url``, the same one the
purchase service's tests use for CloudFront's side. Objects are read with the upload
account's credentials, as the distribution's origin access control reads them.

How handlers end up pointing here: the recorded distributions have emulator domain names
that resolve nowhere, so the runtime overrides the environment variables that hold them
(``PUBLIC_CDN_DOMAIN``, ``DELIVERY_CDN_DOMAIN``, or any variable whose value is a recorded
distribution's domain) in the workers' environments with ``url_base(mount)``:
``http://127.0.0.1:<port>/<mount>``. Handlers keep a scheme they are given (the processor's
``cdn_url``, purchase's ``delivery_url``), so the thumbnail and preview URLs in events and
the signed download links are exactly what a client (curl, a browser) opens. This server
speaks plain HTTP, and checks a signature over the URL as requested - scheme, host, path and
query - as CloudFront does over its ``https://`` ones: a link signed for another scheme or
host is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.exceptions import ClientError

from local.runtime.serving import LOOPBACK, BackgroundServer, address_text
from services.purchase.signing import InvalidSignedUrl, verify_signed_url

SCHEME = "http"
"""What the local CDN speaks, so what its URLs and the links signed for it say."""


@dataclass(frozen=True)
class Distribution:
    """A recorded CloudFront distribution: where it is mounted, its bucket, its signers."""

    mount: str
    bucket: str
    domain_name: str = ""
    public_keys: dict[str, str] = field(default_factory=dict)
    """Key-Pair-Id -> PEM of every public key in the trusted key groups; empty = open."""
    account: str = ""
    """The distribution's (and its bucket's) account."""

    @property
    def signed(self) -> bool:
        return bool(self.public_keys)


@dataclass(frozen=True)
class CdnReply:
    status: int
    headers: dict[str, str]
    body: bytes


def check_signature(
    url: str, distribution: Distribution, now: datetime | None = None
) -> str | None:
    """``None`` when CloudFront would serve ``url`` (as requested), else the refusal reason."""
    query = urlsplit(url).query
    key_pair_id = next(
        (unquote(p.partition("=")[2]) for p in query.split("&") if p.startswith("Key-Pair-Id=")),
        None,
    )
    if key_pair_id is None:
        return "missing signing parameter(s): Key-Pair-Id"
    pem = distribution.public_keys.get(key_pair_id)
    if pem is None:
        return f"Key-Pair-Id {key_pair_id!r} is not in the distribution's key group"
    try:
        verify_signed_url(url, pem, now or datetime.now(UTC), key_pair_id=key_pair_id)
    except InvalidSignedUrl as error:
        return str(error)
    return None


class CdnOrigin:
    """Answers one CDN request: mount lookup, signature check, object read."""

    def __init__(
        self,
        distributions: Mapping[str, Distribution],
        s3_clients: Mapping[str, Any],
        log: Callable[[str], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self.distributions = dict(distributions)
        self._s3 = dict(s3_clients)
        """Mount -> S3 client in the distribution's account."""
        self._log = log or (lambda line: None)
        self._clock = clock or (lambda: datetime.now(UTC))

    def get(self, host: str, raw_path: str, head: bool = False) -> CdnReply:
        parts = urlsplit(raw_path)
        mount, _, key = parts.path.lstrip("/").partition("/")
        distribution = self.distributions.get(mount)
        if distribution is None or not key:
            return _error(HTTPStatus.NOT_FOUND, "NoSuchDistribution", f"nothing at /{mount}")
        if distribution.signed:
            url = f"{SCHEME}://{host}{raw_path}"
            reason = check_signature(url, distribution, self._clock())
            if reason is not None:
                self._log(f"CDN 403 /{mount}/{key}: {reason}")
                return _error(HTTPStatus.FORBIDDEN, "AccessDenied", "Access denied")
        return self._object(self._s3[mount], distribution.bucket, unquote(key), head)

    def _object(self, s3: Any, bucket: str, key: str, head: bool) -> CdnReply:
        try:
            obj = (s3.head_object if head else s3.get_object)(Bucket=bucket, Key=key)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                return _error(HTTPStatus.NOT_FOUND, "NoSuchKey", "The object does not exist")
            raise
        body = b"" if head else obj["Body"].read()
        headers = {
            "content-type": obj.get("ContentType") or "application/octet-stream",
            "etag": obj.get("ETag", ""),
            "x-cache": "Miss from cloudfront (local)",
        }
        if obj.get("CacheControl"):
            headers["cache-control"] = obj["CacheControl"]
        if head:
            headers["x-content-length"] = str(obj.get("ContentLength", 0))
        return CdnReply(200, headers, body)


def _error(status: HTTPStatus, code: str, message: str) -> CdnReply:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
    body += f"<Message>{message}</Message></Error>"
    return CdnReply(int(status), {"content-type": "text/xml"}, body.encode())


class CdnServer(BackgroundServer):
    """The CDN origin on 127.0.0.1 (port 0: a free one); handlers get ``url_base(mount)``."""

    def __init__(self, origin: CdnOrigin, host: str = LOOPBACK, port: int = 0):
        self.origin = origin
        super().__init__(_handler_class(origin), host, port, role="the CDN")

    @property
    def address(self) -> str:
        return self.host_port

    def url_base(self, mount: str) -> str:
        """What replaces the distribution's domain in the workers' environments."""
        if mount not in self.origin.distributions:
            raise KeyError(f"no distribution mounted at /{mount}")
        return f"{SCHEME}://{self.address}/{mount}"

    def domain_overrides(self) -> dict[str, str]:
        """Recorded distribution domain -> local replacement (see the module docstring)."""
        return {
            d.domain_name: self.url_base(mount)
            for mount, d in self.origin.distributions.items()
            if d.domain_name
        }


def _handler_class(origin: CdnOrigin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve(head=False)

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def _serve(self, head: bool) -> None:
            host = self.headers.get("host") or origin_address(self)
            try:
                reply = origin.get(host, self.path, head=head)
            except Exception as error:  # a broken origin is a 502, as CloudFront
                reply = _error(HTTPStatus.BAD_GATEWAY, "OriginError", type(error).__name__)
            self.send_response(reply.status)
            length = reply.headers.pop("x-content-length", None) or str(len(reply.body))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", length)
            self.end_headers()
            if not head:
                self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:  # stdlib name
            return

    return Handler


def origin_address(handler: BaseHTTPRequestHandler) -> str:
    return address_text(handler.server)
