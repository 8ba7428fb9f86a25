"""The demo scenario: the whole marketplace, end to end, over the local environment.

A photographer and two buyers sign in; the photographer uploads a JPEG (EXIF rotation and
GPS), a PNG and a corrupt file through the presigned POST; the good ones are published and
searchable by tag and by colour, the corrupt one is rejected with a reason; a buyer buys
one (a retried POST with the same idempotency key is the same purchase), it completes, the
catalog's popularity counts it, the licensed copy downloads through the signed CDN URL with
the original dimensions, no watermark and no GPS; tampered, expired and unsigned URLs get
403; the other buyer cannot see the purchase; a withdrawn image leaves the catalog and can
no longer be bought; only a moderator (admin group) reaches upload's review queue.

``python -m local demo`` runs every step and prints each with its time (run.py); the
end-to-end test (``tests/e2e/test_scenario.py``) drives the same steps with
``Scenario.run_through`` and states further properties of their outcome.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import requests
from PIL import Image, ImageOps

from local.demo.client import Marketplace, ScenarioFailed, User, check, wait_for
from local.demo.samples import (
    GPS_IFD,
    WATERMARK_FREE_DIFFERENCE,
    corrupt_file,
    mean_difference,
    png,
    rotated_jpeg_with_gps,
)
from services.purchase.signing import sign_url


def tampered(url: str) -> str:
    """The signed URL pointing at another object (signature and expiry untouched)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path + "x"))


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
    done: dict[str, StepResult] = field(default_factory=dict)
    """Step key -> its result (each step runs once)."""

    STEPS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("sign_in", "photographer and two buyers sign in"),
        ("upload", "photographer uploads a rotated JPEG with GPS, a PNG and a corrupt file"),
        ("outcome", "the good images are PUBLISHED, the corrupt one REJECTED with a reason"),
        ("search", "the catalog finds them by tag and by colour, never the corrupt one"),
        ("find", "the catalog finds them by a title word and by a label, with similar images"),
        ("buy", "buyer purchases one; the same idempotency key gives the same purchase"),
        ("complete", "the purchase completes"),
        ("popularity", "the catalog's popularity counts the purchase"),
        ("download", "the signed download has the original size, no watermark, no GPS"),
        ("refused", "tampered, expired and unsigned download URLs get 403"),
        ("isolation", "another buyer cannot see the purchase"),
        ("moderation", "only a moderator reaches the review queue; a photographer gets 403"),
        ("withdraw", "a withdrawn image leaves the catalog and can no longer be bought"),
    )
    """(method name, what it shows), in order: each step reads what the earlier ones left."""

    def step(self, name: str, action: Callable[[], str | None]) -> bool:
        """Run one step, print and record its result; ``True`` if its checks held."""
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
        """Every step in order, stopping at the first that fails (the demo)."""
        return all(self._run_step(key) for key, _ in self.STEPS)

    def run_through(self, last: str) -> None:
        """Run the steps not run yet, up to and including ``last`` (the end-to-end test).

        ``ScenarioFailed`` names the first step that failed, now or in an earlier call.
        """
        keys = [key for key, _ in self.STEPS]
        if last not in keys:
            raise ValueError(f"no scenario step {last!r}; the steps are {keys}")
        for key in keys[: keys.index(last) + 1]:
            if key not in self.done:
                self._run_step(key)
            result = self.done[key]
            if not result.ok:
                raise ScenarioFailed(f"step {result.name!r} failed: {result.detail}")

    def _run_step(self, key: str) -> bool:
        ok = self.step(dict(self.STEPS)[key], getattr(self, key))
        self.done[key] = self.results[-1]
        return ok

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

    def find(self) -> str:
        ids, run = self.state["ids"], self.state["run"]
        # "Demo" is the titles' first word; the run's id (a word of their tag) keeps it to them
        by_title = {i["imageId"] for i in self.market.search(q=f"{run} demo")}
        check(by_title == {ids["jpeg"], ids["png"]}, f"q='{run} demo' found {by_title}")
        labels = self.market.image(ids["jpeg"]).json().get("labels") or []
        check(bool(labels), "the JPEG has no labels to search by")
        by_label = {i["imageId"] for i in self.market.search(q=f"{run} {labels[0]}")}
        check(ids["jpeg"] in by_label, f"the JPEG is not found by its label {labels[0]!r}")
        response = self.market.call("GET", "catalog", f"/images/{ids['jpeg']}/similar")
        check(response.status_code == 200, f"similar: {response.status_code} {response.text}")
        similar = response.json()["items"]
        tags = set(self.state["uploads"]["jpeg"]["tags"])
        check(bool(similar), "the JPEG has no similar images (the PNG shares its tag)")
        check(all(i["imageId"] != ids["jpeg"] for i in similar), "similar shows the image itself")
        check(all(tags & set(i["tags"]) for i in similar), "a similar image shares no tag")
        return f"label {labels[0]!r}; {len(similar)} similar images"

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
        wait_for(  # the tombstone is written first, then its search entries are removed
            "the search to drop the image",
            lambda: {i["imageId"] for i in self.market.search(tag=tag)},
            lambda listed: image_id not in listed,
            notify=self.out,
        )
        refused = wait_for(
            "the purchase service to refuse it",
            lambda: self.market.purchase(buyer, image_id, str(uuid.uuid4())),
            lambda response: response.status_code in (404, 409, 410),
            notify=self.out,
        )
        message = refused.json().get("message", "")
        return f"catalog 404; POST /purchases -> {refused.status_code} {message!r}"

    def moderation(self) -> str:
        from local.users import admin_group, operator_grant, sign_in_user

        env, run = self.market.env, self.state["run"]
        group = operator_grant(env.cloud, admin_group())
        tokens = sign_in_user(env.cloud, f"moderator-{run}", group=group)
        moderator = User(f"moderator-{run}", tokens["id_token"], tokens.get("sub", ""))
        refused = self.market.call("GET", "upload", "/admin/reviews", self.state["photographer"])
        check(refused.status_code == 403, f"photographer: {refused.status_code}")
        queue = self.market.call("GET", "upload", "/admin/reviews", moderator)
        check(queue.status_code == 200, f"moderator: {queue.status_code} {queue.text}")
        waiting = len(queue.json()["items"])
        return f"photographer 403; moderator 200, {waiting} upload(s) waiting in review"
