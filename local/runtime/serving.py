"""A loopback HTTP server serving in a background thread: what the APIs and the CDN share."""

from __future__ import annotations

import errno
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self, cast

LOOPBACK = "127.0.0.1"


class PortInUse(OSError):
    """A fixed port something else already listens on; the message names it."""

    def __init__(self, host: str, port: int, role: str = "a local server") -> None:
        super().__init__(
            f"port {port} on {host} (for {role}) is already in use: stop what holds it "
            f"(`ss -ltnp 'sport = :{port}'` shows it) or choose another --port-base",
        )
        self.errno = errno.EADDRINUSE
        self.port = port


class BackgroundServer:
    """Binds ``handler`` on ``host`` (port 0: a free one); ``start``/``stop`` its thread."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], host: str, port: int, role: str = ""
    ) -> None:
        try:
            self._server = ThreadingHTTPServer((host, port), handler)
        except OSError as error:
            if port and error.errno == errno.EADDRINUSE:
                raise PortInUse(host, port, role or "a local server") from error
            raise
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host_port(self) -> str:
        return address_text(self._server)

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)


def address_text(server: socketserver.BaseServer) -> str:
    """``host:port`` a server listens on (always an IP socket here, never a Unix path)."""
    host, port = cast("tuple[str, int]", server.server_address)[:2]
    return f"{host}:{port}"
