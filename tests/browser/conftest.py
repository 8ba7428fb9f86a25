"""Real-browser journeys over the local environment: Debian's Chromium driven by Playwright.

Nothing is downloaded at run time: Playwright launches ``/usr/bin/chromium`` (the Debian
``chromium`` package, ``executable_path``). One environment serves the package's journeys
(the app and every API at one URL, ``local/runtime/web.py``); each test gets a fresh browser
context whose pages fail the test on any console error, failed request or HTTP error answer.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Request,
    expect,
    sync_playwright,
)

from local.runtime.environment import LocalEnvironment
from local.users import DEFAULT_PASSWORD
from tests.e2e import conftest as e2e

CHROMIUM = Path(os.environ.get("MARKETPLACE_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = os.environ.get("MARKETPLACE_SCREENSHOTS")
"""A folder to save the journeys' screenshots into (the README's: ``docs/screenshots``)."""
TIMEOUT_MS = 60_000
local_env = e2e.local_env
"""The end-to-end tests' environment fixture (one per package), shared, not restated."""
market = e2e.market
"""The end-to-end tests' API client fixture (what a journey sets up, it sets up through it)."""


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
    try:
        yield launched
    finally:
        launched.close()


@dataclass
class Problems:
    """Everything that went wrong in a context's pages, as lines."""

    origin: str
    lines: list[str] = field(default_factory=list)

    def _browser_favicon(self, page: Page, url: str) -> bool:
        # Chromium asks any other origin it shows (the CDN's licensed image) for a favicon.
        return url.endswith("/favicon.ico") and not page.url.startswith(self.origin)

    def watch(self, page: Page) -> None:
        page.on(
            "console",
            lambda m: (
                self.lines.append(f"console: {m.text} at {m.location} on {page.url}")
                if m.type == "error" and not self._browser_favicon(page, m.location.get("url", ""))
                else None
            ),
        )
        page.on("pageerror", lambda error: self.lines.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on(
            "response",
            lambda r: (
                self.lines.append(f"HTTP {r.status}: {r.request.method} {r.url}")
                if r.status >= 400
                else None
            ),
        )

    def _failed(self, request: Request) -> None:
        # A fetch cut short because the page navigated away (sign-in) is not a failure.
        if request.failure != "net::ERR_ABORTED":
            self.lines.append(f"request failed: {request.method} {request.url} {request.failure}")


@dataclass
class App:
    """The app at the environment's one URL, in one browser context."""

    url: str
    context: BrowserContext
    page: Page
    problems: Problems

    def open(self, path: str = "/") -> None:
        self.page.goto(self.url + path)

    def sign_in(self, username: str, password: str = DEFAULT_PASSWORD) -> None:
        """Through the app's Sign in button and the (local) hosted UI's form."""
        self.page.get_by_role("banner").get_by_role("button", name="Sign in").click()
        self.page.get_by_label("User name").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.locator(".who")).to_have_text(username, timeout=TIMEOUT_MS)

    def screenshot(self, name: str) -> None:
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def app(local_env: LocalEnvironment, browser: Browser) -> Iterator[App]:
    assert local_env.web is not None
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    problems = Problems(local_env.web.url)
    context.on("page", problems.watch)
    page = context.new_page()
    try:
        yield App(local_env.web.url, context, page, problems)
    finally:
        context.close()
    # THEN nothing failed on the way: no console error, no failed request, no HTTP error
    assert problems.lines == [], "\n".join(problems.lines)


def unique(prefix: str) -> str:
    """A word no other test uses (letters only: searchable as a tag and a title word)."""
    return prefix + re.sub(r"[^a-z]", "", uuid.uuid4().hex)[:8]
