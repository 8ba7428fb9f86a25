"""What a web front end would do, over the local environment's HTTP endpoints.

``Marketplace`` calls the three services' APIs as a signed-in user; ``post_file`` sends a file
through the presigned POST that ``POST /uploads`` hands out (the one upload path of the demo
and of the end-to-end tests); ``wait_for`` bounds every asynchronous step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import requests

if TYPE_CHECKING:
    from local.demo.samples import SampleImage
    from local.runtime.environment import LocalEnvironment

TIMEOUT_SECONDS = 60.0
"""The longest any asynchronous step may take before the scenario calls it failed."""
HTTP_TIMEOUT = 15
NOTIFY_AFTER_SECONDS = 3.0
UPLOADED = (200, 201, 204)
"""Statuses S3 answers a successful presigned POST with."""
T = TypeVar("T")


class ScenarioFailed(AssertionError):
    """A check of the scenario did not hold."""


def check(condition: bool, message: str) -> None:
    """``ScenarioFailed(message)`` unless ``condition`` holds."""
    if not condition:
        raise ScenarioFailed(message)


def wait_for(
    what: str,
    fetch: Callable[[], T],
    done: Callable[[T], bool] = bool,
    timeout: float = TIMEOUT_SECONDS,
    notify: Callable[[str], None] | None = None,
) -> T:
    """Call ``fetch`` until ``done(value)``; ``ScenarioFailed`` after ``timeout`` seconds.

    ``notify`` hears once when the wait gets long, so a terminal never looks stuck.
    """
    started = time.monotonic()
    interval = 0.05
    told = False
    while True:
        value = fetch()
        if done(value):
            return value
        waited = time.monotonic() - started
        if waited >= timeout:
            raise ScenarioFailed(f"timed out after {timeout:.0f}s waiting for {what}")
        if notify is not None and not told and waited >= NOTIFY_AFTER_SECONDS:
            notify(f"           ... waiting for {what} (up to {timeout:.0f}s)")
            told = True
        time.sleep(interval)
        interval = min(interval * 1.5, 0.5)


def upload_declaration(
    title: str,
    tags: list[str],
    content_type: str,
    size_bytes: int,
    price_cents: int = 900,
) -> dict[str, Any]:
    """The body of ``POST /uploads``: what the photographer declares before sending."""
    return {
        "title": title,
        "tags": tags,
        "priceCents": price_cents,
        "currency": "EUR",
        "contentType": content_type,
        "sizeBytes": size_bytes,
    }


def post_file(
    session: requests.Session,
    post: Mapping[str, Any],
    filename: str,
    content: bytes,
    content_type: str,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """Send a file through a presigned POST (``{"url", "fields"}``) as a browser form would."""
    return session.post(
        post["url"],
        data=post["fields"],
        files={"file": (filename, content, content_type)},
        headers=dict(headers or {}),
        timeout=HTTP_TIMEOUT,
    )


@dataclass
class User:
    """A signed-in user and their ID token."""

    name: str
    token: str
    sub: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Marketplace:
    """What a web front end would do, over the local environment's HTTP endpoints."""

    env: LocalEnvironment
    session: requests.Session = field(default_factory=requests.Session)
    notify: Callable[[str], None] | None = None
    """Told about long waits (the demo prints them)."""

    def sign_in(self, name: str) -> User:
        tokens = self.env.user(name)
        return User(name, tokens["id_token"], tokens.get("sub", ""))

    def url(self, service: str, path: str) -> str:
        return self.env.api_url(service) + path

    def call(
        self, method: str, service: str, path: str, user: User | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = {**(user.headers if user else {}), **kwargs.pop("headers", {})}
        return self.session.request(
            method, self.url(service, path), headers=headers, timeout=HTTP_TIMEOUT, **kwargs
        )

    # upload
    def upload_file(
        self,
        user: User,
        declaration: Mapping[str, Any],
        filename: str,
        content: bytes,
    ) -> str:
        """``POST /uploads`` with ``declaration``, then the file through the presigned POST.

        Returns the upload id; ``ScenarioFailed`` naming the file if either request fails.
        """
        created = self.call("POST", "upload", "/uploads", user, json=dict(declaration))
        check(
            created.status_code == 201,
            f"{filename}: POST /uploads: {created.status_code} {created.text}",
        )
        post = created.json()["upload"]
        sent = post_file(self.session, post, filename, content, declaration["contentType"])
        check(sent.status_code in UPLOADED, f"{filename}: presigned POST: {sent.status_code}")
        return str(created.json()["uploadId"])

    def upload(
        self, user: User, sample: SampleImage, title: str, tags: list[str], price_cents: int = 900
    ) -> str:
        """Upload a sample image as declared (its real type and size); returns the upload id."""
        declaration = upload_declaration(
            title, tags, sample.content_type, len(sample.content), price_cents
        )
        return self.upload_file(user, declaration, sample.name, sample.content)

    def my_upload(self, user: User, upload_id: str) -> dict[str, Any]:
        response = self.call("GET", "upload", f"/uploads/{upload_id}", user)
        check(response.status_code == 200, f"GET /uploads/{upload_id}: {response.status_code}")
        return dict(response.json())

    def wait_until_processed(self, user: User, upload_id: str) -> dict[str, Any]:
        return wait_for(
            f"upload {upload_id} to be processed",
            lambda: self.my_upload(user, upload_id),
            lambda upload: upload["status"] != "PENDING",
            notify=self.notify,
        )

    def withdraw(self, user: User, upload_id: str) -> requests.Response:
        return self.call("DELETE", "upload", f"/uploads/{upload_id}", user)

    # catalog
    def search(self, **query: Any) -> list[dict[str, Any]]:
        response = self.call("GET", "catalog", "/images", params={"limit": 100, **query})
        check(response.status_code == 200, f"GET /images: {response.status_code} {response.text}")
        return list(response.json()["items"])

    def image(self, image_id: str) -> requests.Response:
        return self.call("GET", "catalog", f"/images/{image_id}")

    # purchase
    def purchase(self, user: User, image_id: str, key: str) -> requests.Response:
        return self.call(
            "POST",
            "purchase",
            "/purchases",
            user,
            json={"imageId": image_id},
            headers={"Idempotency-Key": key},
        )

    def buy(self, user: User, image_id: str, key: str) -> dict[str, Any]:
        """Purchase as soon as the purchase service's read model has the offer."""
        response = wait_for(
            f"image {image_id} to be for sale",
            lambda: self.purchase(user, image_id, key),
            lambda response: response.status_code != 404,
            notify=self.notify,
        )
        check(response.status_code in (200, 201), f"POST /purchases: {response.text}")
        return dict(response.json())

    def my_purchase(self, user: User, purchase_id: str) -> requests.Response:
        return self.call("GET", "purchase", f"/purchases/{purchase_id}", user)

    def download_link(self, user: User, purchase_id: str) -> str:
        response = self.call("GET", "purchase", f"/purchases/{purchase_id}/download", user)
        check(response.status_code == 200, f"download link: {response.status_code}")
        return str(response.json()["url"])

    def fetch(self, url: str) -> requests.Response:
        """GET a CDN URL exactly as the platform handed it out."""
        return self.session.get(url, timeout=HTTP_TIMEOUT)
