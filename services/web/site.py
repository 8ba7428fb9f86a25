"""The app's files as the deploy uploads them: hashed names, content types, cache headers.

``index.html`` keeps its name and is revalidated on every load; every other file of
``app/`` gets its content hash in its name (``app.3f2a9c1b0e.js``) and is cached for a year,
and every reference to it (``index.html``'s tags, the modules' ``import`` specifiers) is
rewritten to the hashed name. A file's hash covers its rewritten text, so a change anywhere
renames every file that (transitively) imports it. No bundler: the browser loads the ES
modules as they are. Plain Python, shared by the component and the local web server.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.web.routing import CACHE_FOREVER, NO_CACHE

APP_DIR = Path(__file__).resolve().parent / "app"
INDEX = "index.html"
CONFIG = "config.json"
"""Written by the deploy (issuer, client id, sign-in URL): not part of ``app/``."""
HASH_LENGTH = 10
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class SiteFile:
    """One object of the site bucket."""

    key: str
    body: bytes
    content_type: str
    cache_control: str


def content_type(name: str) -> str:
    suffix = Path(name).suffix
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _reference(name: str) -> re.Pattern[str]:
    """``"./name"`` or ``"/name"`` inside quotes (import specifiers, src and href)."""
    return re.compile(r"""(["'])(\.?/)""" + re.escape(name) + r"""\1""")


class _Builder:
    def __init__(self, app_dir: Path) -> None:
        self.sources = {
            p.relative_to(app_dir).as_posix(): p.read_bytes()
            for p in sorted(app_dir.rglob("*"))
            if p.is_file()
        }
        if INDEX not in self.sources:
            raise FileNotFoundError(f"{app_dir}: no {INDEX}")
        self.hashed: dict[str, str] = {}
        self._visiting: list[str] = []

    def rewritten(self, name: str) -> bytes:
        body = self.sources[name]
        if content_type(name).startswith(("text/", "application/json", "image/svg")):
            text = body.decode("utf-8")
            for other in self.sources:
                if other != name and other != INDEX and _reference(other).search(text):
                    target = self.hashed_name(other)
                    text = _reference(other).sub(rf"\g<1>\g<2>{target}\g<1>", text)
            body = text.encode("utf-8")
        return body

    def hashed_name(self, name: str) -> str:
        if name in self.hashed:
            return self.hashed[name]
        if name in self._visiting:
            cycle = " -> ".join([*self._visiting, name])
            raise ValueError(f"services/web/app: import cycle {cycle} (hashed names need a DAG)")
        self._visiting.append(name)
        digest = hashlib.sha256(self.rewritten(name)).hexdigest()[:HASH_LENGTH]
        self._visiting.pop()
        stem, dot, suffix = name.rpartition(".")
        self.hashed[name] = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
        return self.hashed[name]


def build_site(app_dir: Path = APP_DIR) -> list[SiteFile]:
    """Every file of the app as uploaded: ``index.html`` first, then the hashed assets."""
    builder = _Builder(app_dir)
    files = [SiteFile(INDEX, builder.rewritten(INDEX), content_type(INDEX), NO_CACHE)]
    for name in sorted(builder.sources):
        if name != INDEX:
            body = builder.rewritten(name)
            key = builder.hashed_name(name)
            files.append(SiteFile(key, body, content_type(name), CACHE_FOREVER))
    return files


def config_file(settings: dict[str, Any]) -> SiteFile:
    """``config.json``: what the app needs to know about its environment (no secrets)."""
    body = json.dumps(settings, sort_keys=True, indent=2).encode("utf-8")
    return SiteFile(CONFIG, body, content_type(CONFIG), NO_CACHE)
