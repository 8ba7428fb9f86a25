"""The demo scenario: the whole marketplace, end to end, over the local environment.

A photographer and two buyers sign in; the photographer uploads a JPEG (EXIF rotation and
GPS), a PNG and a corrupt file through the presigned POST; the good ones are published and
searchable by tag and by colour, the corrupt one is rejected with a reason; a buyer buys
one (a retried POST with the same idempotency key is the same purchase), it completes, the
catalog's popularity counts it, the licensed copy downloads through the signed CDN URL with
the original dimensions, no watermark and no GPS; tampered, expired and unsigned URLs get
403; the other buyer cannot see the purchase; a withdrawn image leaves the catalog and can
no longer be bought. ``python -m local demo`` prints each step with its time; the
end-to-end tests (``tests/e2e``) use the same ``Marketplace`` client.
"""

from __future__ import annotations

import io
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from PIL import Image, ImageChops, ImageDraw, ImageOps, ImageStat

from local.runtime.system import LocalEnvironment
from services.purchase.signing import sign_url

TIMEOUT_SECONDS = 30.0
"""The longest any asynchronous step may take before the scenario calls it failed."""
GPS_IFD = 0x8825
ORIENTATION = 0x0112
HTTP_TIMEOUT = 15
NOTIFY_AFTER_SECONDS = 3.0
WATERMARK_FREE_DIFFERENCE = 4.0
"""Mean pixel difference below which a copy is the original (a JPEG round trip is ~2.5; the
tiled watermark of the preview adds ~6)."""
T = TypeVar("T")


class ScenarioFailed(AssertionError):
    """A check of the scenario did not hold."""


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
    told = notify is None
    while True:
        value = fetch()
        if done(value):
            return value
        waited = time.monotonic() - started
        if waited >= timeout:
            raise ScenarioFailed(f"timed out after {timeout:.0f}s waiting for {what}")
        if not told and waited >= NOTIFY_AFTER_SECONDS:
            notify(f"           ... waiting for {what} (up to {timeout:.0f}s)")  # type: ignore[misc]
            told = True
        time.sleep(interval)
        interval = min(interval * 1.5, 0.5)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise ScenarioFailed(message)


# -- test images -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleImage:
    """An image to upload and what the platform should make of it."""

    name: str
    content: bytes
    content_type: str
    displayed_size: tuple[int, int] | None
    """Width and height a viewer shows (EXIF orientation applied); None for a corrupt file."""
    displayed: Image.Image | None = None


def photo(width: int, height: int, main: tuple[int, int, int], seed: int) -> Image.Image:
    """Mostly ``main`` with a contrasting band and soft noise: a known dominant colour."""
    rnd = random.Random(seed)
    image = Image.new("RGB", (width, height), main)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rnd.randrange(width), rnd.randrange(height)
        shade = tuple(max(0, c - 40) for c in main)
        draw.ellipse((x, y, x + width // 6, y + height // 6), fill=shade)
    noise = Image.effect_noise((width, height), 8).convert("RGB")
    return ImageChops.add(image, noise, scale=1.0, offset=-128)


def rotated_jpeg_with_gps(width: int = 480, height: int = 640, seed: int = 1) -> SampleImage:
    """A portrait photo stored landscape with EXIF orientation 6 (as phones do), plus GPS."""
    displayed = photo(width, height, (30, 60, 200), seed)
    stored = displayed.transpose(Image.Transpose.ROTATE_90)  # what the camera wrote
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 40.1)})
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return SampleImage("rotated.jpg", buffer.getvalue(), "image/jpeg", (width, height), displayed)


def png(width: int = 600, height: int = 400, seed: int = 2) -> SampleImage:
    displayed = photo(width, height, (210, 30, 30), seed)
    buffer = io.BytesIO()
    displayed.save(buffer, "PNG")
    return SampleImage("red.png", buffer.getvalue(), "image/png", (width, height), displayed)


def corrupt_file() -> SampleImage:
    """Starts like a JPEG, is not one."""
    content = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + random.Random(3).randbytes(4000)
    return SampleImage("corrupt.jpg", content, "image/jpeg", None)


# -- the client ------------------------------------------------------------------------------


@dataclass
class User:
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
    def upload(
        self, user: User, sample: SampleImage, title: str, tags: list[str], price_cents: int = 900
    ) -> str:
        """Ask for a presigned POST, send the file through it; returns the upload id."""
        body = {
            "title": title,
            "tags": tags,
            "priceCents": price_cents,
            "currency": "EUR",
            "contentType": sample.content_type,
            "sizeBytes": len(sample.content),
        }
        created = self.call("POST", "upload", "/uploads", user, json=body)
        check(created.status_code == 201, f"POST /uploads: {created.status_code} {created.text}")
        post = created.json()["upload"]
        sent = self.session.post(
            post["url"],
            data=post["fields"],
            files={"file": (sample.name, sample.content, sample.content_type)},
            timeout=HTTP_TIMEOUT,
        )
        check(sent.status_code in (200, 201, 204), f"presigned POST: {sent.status_code}")
        return created.json()["uploadId"]

    def my_upload(self, user: User, upload_id: str) -> dict[str, Any]:
        response = self.call("GET", "upload", f"/uploads/{upload_id}", user)
        check(response.status_code == 200, f"GET /uploads/{upload_id}: {response.status_code}")
        return response.json()

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
        return response.json()["items"]

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
        return response.json()

    def my_purchase(self, user: User, purchase_id: str) -> requests.Response:
        return self.call("GET", "purchase", f"/purchases/{purchase_id}", user)

    def download_link(self, user: User, purchase_id: str) -> str:
        response = self.call("GET", "purchase", f"/purchases/{purchase_id}/download", user)
        check(response.status_code == 200, f"download link: {response.status_code}")
        return response.json()["url"]

    def fetch(self, url: str) -> requests.Response:
        """GET a CDN URL exactly as the platform handed it out."""
        return self.session.get(url, timeout=HTTP_TIMEOUT)


# -- image checks --------------------------------------------------------------------------


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute per-channel difference, 0-255 (JPEG round trips stay in single digits)."""
    if a.size != b.size:
        return 255.0
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def tampered(url: str) -> str:
    """The signed URL pointing at another object (signature and expiry untouched)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path + "x"))


# -- the scenario ------------------------------------------------------------------------------


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class Scenario:
    """The steps of the demo; each records its duration and whether its checks held."""

    market: Marketplace
    out: Callable[[str], None] = print
    results: list[StepResult] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def step(self, name: str, action: Callable[[], str | None]) -> bool:
        started = time.monotonic()
        try:
            detail = action() or ""
            ok = True
        except (ScenarioFailed, requests.RequestException, KeyError) as error:
            detail, ok = f"{type(error).__name__}: {error}", False
        seconds = time.monotonic() - started
        self.results.append(StepResult(name, ok, seconds, detail))
        mark = "ok  " if ok else "FAIL"
        self.out(f"  [{mark}] {seconds:6.2f}s  {name}" + (f"  - {detail}" if detail else ""))
        return ok

    def run(self) -> bool:
        steps = [
            ("photographer and two buyers sign in", self.sign_in),
            ("photographer uploads a rotated JPEG with GPS, a PNG and a corrupt file", self.upload),
            ("the good images are PUBLISHED, the corrupt one REJECTED with a reason", self.outcome),
            ("the catalog finds them by tag and by colour, never the corrupt one", self.search),
            ("buyer purchases one; the same idempotency key gives the same purchase", self.buy),
            ("the purchase completes", self.complete),
            ("the catalog's popularity counts the purchase", self.popularity),
            ("the signed download has the original size, no watermark, no GPS", self.download),
            ("tampered, expired and unsigned download URLs get 403", self.refused),
            ("another buyer cannot see the purchase", self.isolation),
            ("a withdrawn image leaves the catalog and can no longer be bought", self.withdraw),
        ]
        return all(self.step(name, action) for name, action in steps)

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)

    # steps ---------------------------------------------------------------------------------

    def sign_in(self) -> str:
        run = uuid.uuid4().hex[:6]
        self.state["run"] = run
        self.state["photographer"] = self.market.sign_in(f"photographer-{run}")
        self.state["buyer"] = self.market.sign_in(f"buyer-{run}")
        self.state["other"] = self.market.sign_in(f"other-buyer-{run}")
        return f"tokens from the local Cognito pool (run {run})"

    def upload(self) -> str:
        photographer, run = self.state["photographer"], self.state["run"]
        samples = {"jpeg": rotated_jpeg_with_gps(), "png": png(), "corrupt": corrupt_file()}
        self.state["samples"] = samples
        self.state["tag"] = tag = f"demo-{run}"
        self.state["uploaded_at"] = time.monotonic()
        ids = {
            kind: self.market.upload(photographer, sample, f"Demo {kind}", [tag, kind])
            for kind, sample in samples.items()
        }
        self.state["ids"] = ids
        return ", ".join(f"{k}={v[:8]}" for k, v in ids.items())

    def outcome(self) -> str:
        photographer, ids = self.state["photographer"], self.state["ids"]
        uploads = {k: self.market.wait_until_processed(photographer, i) for k, i in ids.items()}
        self.state["uploads"] = uploads
        for kind in ("jpeg", "png"):
            check(uploads[kind]["status"] == "PUBLISHED", f"{kind}: {uploads[kind]}")
        rejected = uploads["corrupt"]
        check(rejected["status"] == "REJECTED", f"corrupt file: {rejected['status']}")
        check(bool(rejected.get("reason")), "the rejection has no reason")
        return f"reason: {rejected['reason']!r}"

    def search(self) -> str:
        ids, uploads, tag = self.state["ids"], self.state["uploads"], self.state["tag"]
        good = {ids["jpeg"], ids["png"]}
        found = wait_for(
            "both images to be searchable by tag",
            lambda: {i["imageId"] for i in self.market.search(tag=tag)},
            lambda ids: good <= ids,
            notify=self.out,
        )
        self.timings["upload_to_searchable"] = time.monotonic() - self.state["uploaded_at"]
        check(ids["corrupt"] not in found, "the rejected upload is in the catalog")
        colour = uploads["png"]["colours"][0]
        by_colour = {i["imageId"] for i in self.market.search(tag=tag, colour=colour)}
        check(ids["png"] in by_colour, f"the PNG is not found by its colour {colour!r}")
        jpeg_colour = uploads["jpeg"]["colours"][0]
        check(
            ids["jpeg"] in {i["imageId"] for i in self.market.search(colour=jpeg_colour)},
            f"the JPEG is not found by its colour {jpeg_colour!r}",
        )
        check(self.market.image(ids["corrupt"]).status_code == 404, "rejected image has a page")
        return (
            f"tag {tag!r}: {len(found)} images; PNG is {colour}, JPEG is {jpeg_colour}; "
            f"{self.timings['upload_to_searchable']:.1f}s from upload"
        )

    def buy(self) -> str:
        buyer, image_id = self.state["buyer"], self.state["ids"]["jpeg"]
        key = str(uuid.uuid4())
        first = self.market.buy(buyer, image_id, key)
        again = self.market.purchase(buyer, image_id, key)
        check(again.status_code in (200, 201), f"retried POST: {again.status_code} {again.text}")
        check(
            again.json()["purchaseId"] == first["purchaseId"],
            "the retry made a second purchase",
        )
        self.state["purchase"] = first["purchaseId"]
        return f"purchase {first['purchaseId'][:8]} at {first['priceCents']} {first['currency']}"

    def complete(self) -> str:
        buyer, purchase_id = self.state["buyer"], self.state["purchase"]
        done = wait_for(
            "the purchase to complete",
            lambda: self.market.my_purchase(buyer, purchase_id).json(),
            lambda purchase: purchase["status"] != "PENDING",
            notify=self.out,
        )
        check(done["status"] == "COMPLETED", f"purchase ended {done['status']}: {done}")
        return f"completed at {done.get('completedAt')}"

    def popularity(self) -> str:
        image_id = self.state["ids"]["jpeg"]
        image = wait_for(
            "the catalog to count the purchase",
            lambda: self.market.image(image_id).json(),
            lambda found: found.get("popularity", 0) >= 1,
            notify=self.out,
        )
        return f"popularity {image['popularity']}"

    def download(self) -> str:
        buyer, purchase_id = self.state["buyer"], self.state["purchase"]
        url = self.market.download_link(buyer, purchase_id)
        self.state["download_url"] = url
        response = self.market.fetch(url)
        check(response.status_code == 200, f"signed download: {response.status_code}")
        licensed = Image.open(io.BytesIO(response.content))
        shown = ImageOps.exif_transpose(licensed)  # the copy may keep its orientation tag
        sample = self.state["samples"]["jpeg"]
        check(
            shown.size == sample.displayed_size,
            f"licensed copy shows as {shown.size}, the original as {sample.displayed_size}",
        )
        check(not licensed.getexif().get_ifd(GPS_IFD), "the licensed copy still has GPS")
        difference = mean_difference(shown, sample.displayed)
        check(
            difference < WATERMARK_FREE_DIFFERENCE,
            f"licensed copy differs from the original by {difference:.1f}",
        )
        width, height = shown.size
        return f"{licensed.format} {width}x{height}, mean difference {difference:.1f}"

    def refused(self) -> str:
        url = self.state["download_url"]
        graph = self.market.env.graph
        assert graph is not None
        signing = graph.signing
        unsigned = url.split("?", 1)[0]
        expired = sign_url(
            unsigned,
            signing["key_pair_id"],
            signing["private_key_pem"],
            datetime.now(UTC) - timedelta(seconds=5),
        )
        statuses = {
            "tampered": self.market.fetch(tampered(url)).status_code,
            "expired": self.market.fetch(expired).status_code,
            "unsigned": self.market.fetch(unsigned).status_code,
        }
        check(all(s == 403 for s in statuses.values()), f"statuses: {statuses}")
        return ", ".join(f"{k} {v}" for k, v in statuses.items())

    def isolation(self) -> str:
        other, purchase_id = self.state["other"], self.state["purchase"]
        response = self.market.my_purchase(other, purchase_id)
        check(response.status_code == 404, f"other buyer got {response.status_code}")
        listed = self.market.call("GET", "purchase", "/purchases", other).json()["items"]
        check(all(p["purchaseId"] != purchase_id for p in listed), "listed to another buyer")
        link = self.market.call("GET", "purchase", f"/purchases/{purchase_id}/download", other)
        check(link.status_code == 404, f"other buyer's download link: {link.status_code}")
        return "404 for the purchase and its download link, absent from their list"

    def withdraw(self) -> str:
        photographer, buyer = self.state["photographer"], self.state["buyer"]
        image_id, tag = self.state["ids"]["png"], self.state["tag"]
        response = self.market.withdraw(photographer, image_id)
        check(response.status_code in (200, 204), f"DELETE: {response.status_code}")
        wait_for(
            "the catalog to drop the image",
            lambda: self.market.image(image_id).status_code,
            lambda status: status == 404,
            notify=self.out,
        )
        check(
            image_id not in {i["imageId"] for i in self.market.search(tag=tag)},
            "withdrawn image still listed",
        )
        refused = wait_for(
            "the purchase service to refuse it",
            lambda: self.market.purchase(buyer, image_id, str(uuid.uuid4())),
            lambda response: response.status_code in (404, 409, 410),
            notify=self.out,
        )
        message = refused.json().get("message", "")
        return f"catalog 404; POST /purchases -> {refused.status_code} {message!r}"


def run_demo(out: Callable[[str], None] = print) -> int:
    """``python -m local demo``: bring up, run the scenario, exit 0 only if all checks held."""
    started = time.monotonic()
    out("bringing up the local environment ...")
    with LocalEnvironment(progress=lambda line: out(f"  {line}")) as env:
        out(f"ready in {env.ready_seconds:.1f}s; running the scenario:")
        scenario = Scenario(Marketplace(env, notify=out), out=out)
        scenario.run()
    passed = scenario.passed
    total = time.monotonic() - started
    held = sum(r.ok for r in scenario.results)
    out(
        f"{'PASSED' if passed else 'FAILED'}: {held}/{len(scenario.results)} steps held "
        f"(ready {env.ready_seconds:.1f}s, total {total:.1f}s"
        + (
            f", upload->searchable {scenario.timings['upload_to_searchable']:.1f}s)"
            if "upload_to_searchable" in scenario.timings
            else ")"
        )
    )
    if not passed:
        out("logs: .local/logs/ (runtime.log and one file per function)")
    return 0 if passed else 1
