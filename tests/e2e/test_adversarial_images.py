"""The adversarial image corpus through the real upload path, end to end.

Every file of ``tests/e2e/adversarial.py`` goes ``POST /uploads`` -> presigned POST to the
emulator's S3 -> S3 notification -> ingest queue -> processor. Each must end PUBLISHED with
correct renditions (fetched through the public CDN: size, aspect, orientation, no private
metadata) or REJECTED with a reason a photographer understands; nothing stays PENDING, no
batch of the processor fails and the ingest DLQ stays as it was (bad files are rejections,
not failures). The whole corpus is uploaded at once, so the module costs one wait.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image, ImageOps

from local.demo.client import Marketplace, User, upload_declaration, wait_for
from local.runtime.environment import LocalEnvironment
from local.runtime.sqs_poller import SqsPoller
from tests.e2e.adversarial import NAMES, PUBLISHED, REJECTED, AdversarialImage, build, corpus
from tests.services.upload.images import GPS_IFD, ORIENTATION, QUADRANT_COLOURS, colour_distance

pytestmark = pytest.mark.e2e

PREVIEW_SIDE = 1600
THUMBNAIL_SIDE = 400
"""The rendition sizes the product promises (longest side), stated here independently."""
PROCESSING_TIMEOUT = 120.0
QUADRANT_TOLERANCE = 60
MAX_REASON_LENGTH = 240
TECHNICAL = re.compile(
    r"Traceback|\b\w+(Error|Exception)\b|File \"|\.py\b|0x[0-9a-f]+|errno|PIL|Pillow|None\b"
)
"""What a reason shown to a photographer must never contain (stack traces, internals)."""
REFUSED_AT_POST = [({"contentType": "image/gif"}, "contentType"), ({"sizeBytes": 0}, "sizeBytes")]
"""Declarations ``POST /uploads`` refuses before handing out an upload: (change, field)."""


@dataclass
class IngestWatch:
    """The processor's queue, DLQ and poller, to prove no batch failed."""

    sqs: Any
    queue_url: str
    dlq_url: str
    poller: SqsPoller
    errors_before: int
    dlq_before: int

    def dlq_depth(self) -> int:
        return _depth(self.sqs, self.dlq_url)

    def in_flight(self) -> int:
        return _depth(self.sqs, self.queue_url)


@dataclass
class Outcomes:
    uploaded: dict[str, str]
    """Corpus name -> upload id."""
    records: dict[str, dict[str, Any]]
    watch: IngestWatch
    seconds: float


def _depth(sqs: Any, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def ingest_watch(env: LocalEnvironment) -> IngestWatch:
    """The ingest queue and DLQ from the graph, read with the upload account's client."""
    graph, runtime = env.graph, env.runtime
    assert graph is not None and runtime is not None
    queues = {
        r["name"]: r["outputs"]["url"] for r in graph.of_type("upload-local", "aws:sqs/queue:Queue")
    }
    queue_url = next(url for name, url in queues.items() if name.endswith("ingest-queue"))
    dlq_url = next(url for name, url in queues.items() if name.endswith("ingest-dlq"))
    poller = next(
        p for p in runtime.pollers if isinstance(p, SqsPoller) and p.queue_url == queue_url
    )
    sqs = graph.client("sqs", graph.accounts["upload"])
    return IngestWatch(sqs, queue_url, dlq_url, poller, poller.errors, _depth(sqs, dlq_url))


def send(market: Marketplace, user: User, image: AdversarialImage, tag: str) -> str:
    """``POST /uploads`` declaring the file's type, then the presigned POST; the upload id."""
    declaration = upload_declaration(
        f"Adversarial {image.name}", [tag], image.content_type, image.declared_size
    )
    return market.upload_file(user, declaration, image.filename, image.content)


@pytest.fixture(scope="module")
def photographer(market: Marketplace) -> User:
    return market.sign_in(f"adversary-{uuid.uuid4().hex[:6]}")


@pytest.fixture(scope="module")
def outcomes(
    local_env: LocalEnvironment, market: Marketplace, photographer: User
) -> Iterator[Outcomes]:
    """The whole corpus uploaded at once and waited for until none is PENDING."""
    watch = ingest_watch(local_env)
    tag = f"adversarial-{uuid.uuid4().hex[:6]}"
    images = corpus()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(lambda image: send(market, photographer, image, tag), images))
    uploaded = {image.name: upload_id for image, upload_id in zip(images, ids, strict=True)}

    def statuses() -> dict[str, dict[str, Any]]:
        page = market.call("GET", "upload", "/uploads", photographer, params={"limit": 100})
        if page.status_code == 503:  # the listing timed out on the loaded emulator: ask again
            return {}
        return {u["uploadId"]: u for u in page.json()["items"]}

    by_id = wait_for(
        "every adversarial upload to leave PENDING",
        statuses,
        lambda found: set(ids) <= set(found) and all(found[i]["status"] != "PENDING" for i in ids),
        timeout=PROCESSING_TIMEOUT,
    )
    records = {name: by_id[upload_id] for name, upload_id in uploaded.items()}
    yield Outcomes(uploaded, records, watch, time.monotonic() - started)


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print how many files were tried and how they ended (the issue's closing figures)."""
    yield
    built = [build(name) for name in NAMES]
    published = sum(image.expected.status == PUBLISHED for image in built)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(
            f"\nadversarial images: {len(built)} tried through the upload path "
            f"({published} to publish, {len(built) - published} to reject), "
            f"{len(REFUSED_AT_POST)} refused at POST"
        )


# -- each file ---------------------------------------------------------------------------


def fetch_image(market: Marketplace, url: str) -> Image.Image:
    response = market.fetch(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    assert response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def longest_side_and_aspect_hold(
    rendition: tuple[int, int], original: tuple[int, int], side: int
) -> bool:
    """Longest side is ``side`` (never enlarged) and the aspect is the original's to 1 px."""
    width, height = rendition
    original_width, original_height = original
    longest_ok = max(width, height) == min(side, max(original))
    aspect_ok = abs(width * original_height - height * original_width) <= max(original)
    return longest_ok and aspect_ok and min(width, height) >= 1


def quadrants_misplaced(image: Image.Image) -> dict[str, tuple[int, ...]]:
    """Quadrant name -> colour found, for every quadrant not showing its expected colour."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    centres = {
        "top_left": (width // 4, height // 4),
        "top_right": (3 * width // 4, height // 4),
        "bottom_left": (width // 4, 3 * height // 4),
        "bottom_right": (3 * width // 4, 3 * height // 4),
    }
    found = {name: rgb.getpixel(xy) for name, xy in centres.items()}
    return {
        name: colour
        for name, colour in found.items()
        if colour_distance(colour, QUADRANT_COLOURS[name]) > QUADRANT_TOLERANCE
    }


def has_private_metadata(image: Image.Image) -> bool:
    exif = image.getexif()
    return bool(exif.get_ifd(GPS_IFD)) or exif.get(ORIENTATION, 1) != 1


def assert_published(market: Marketplace, image: AdversarialImage, record: dict[str, Any]) -> None:
    expected = image.expected
    assert expected.size is not None
    assert (record["width"], record["height"]) == expected.size
    thumbnail = fetch_image(market, record["thumbnailUrl"])
    preview = fetch_image(market, record["previewUrl"])
    assert longest_side_and_aspect_hold(thumbnail.size, expected.size, THUMBNAIL_SIDE), (
        f"thumbnail {thumbnail.size} for an original of {expected.size}"
    )
    assert longest_side_and_aspect_hold(preview.size, expected.size, PREVIEW_SIDE), (
        f"preview {preview.size} for an original of {expected.size}"
    )
    for name, rendition in (("thumbnail", thumbnail), ("preview", preview)):
        assert not has_private_metadata(rendition), f"{name} keeps GPS or an orientation tag"
    if expected.quadrants:
        # What a browser shows (it would honour any orientation tag left behind).
        assert quadrants_misplaced(ImageOps.exif_transpose(thumbnail)) == {}


def assert_rejected(image: AdversarialImage, record: dict[str, Any]) -> None:
    reason = str(record.get("reason", ""))
    missing = [w for w in image.expected.reason_words if w.lower() not in reason.lower()]
    assert not missing, f"reason {reason!r} does not say {missing}"
    assert not TECHNICAL.search(reason), f"reason {reason!r} shows internals"
    assert len(reason) <= MAX_REASON_LENGTH and reason.endswith("."), reason
    assert record.get("thumbnailUrl") is None and record.get("previewUrl") is None


@pytest.mark.parametrize("name", NAMES)
def test_adversarial_image_ends_published_with_renditions_or_rejected_with_reason(
    market: Marketplace, outcomes: Outcomes, name: str
) -> None:
    # GIVEN one file of the corpus sent through the presigned POST (fixture)
    image, record = build(name), outcomes.records[name]
    # WHEN the processor is done with it
    status = record["status"]
    # THEN it ended as the corpus says, with renditions or with an understandable reason
    assert status == image.expected.status, f"{name}: {status} {record.get('reason', '')}"
    if status == PUBLISHED:
        assert_published(market, image, record)
    else:
        assert status == REJECTED
        assert_rejected(image, record)


def test_transparent_palette_png_is_flattened_on_white(
    market: Marketplace, outcomes: Outcomes
) -> None:
    # GIVEN a palette PNG: a blue square on a transparent background
    record = outcomes.records["palette-png-transparent"]
    # WHEN its thumbnail is fetched through the public CDN
    thumbnail = fetch_image(market, record["thumbnailUrl"]).convert("RGB")
    # THEN transparency shows as white and the square stays blue (not black, not garbled)
    width, height = thumbnail.size
    assert colour_distance(thumbnail.getpixel((2, 2)), (255, 255, 255)) < 20
    assert colour_distance(thumbnail.getpixel((width // 2, height // 2)), (0, 0, 255)) < 40


def test_icc_profile_is_kept_on_public_renditions(market: Marketplace, outcomes: Outcomes) -> None:
    # GIVEN a JPEG with an RGB ICC profile
    record = outcomes.records["icc-profile"]
    # WHEN its preview is fetched
    preview = fetch_image(market, record["previewUrl"])
    # THEN the profile travels with it, so browsers show the colours the photographer saw
    assert preview.info.get("icc_profile")


def test_rejected_images_never_reach_the_catalog(market: Marketplace, outcomes: Outcomes) -> None:
    # GIVEN the rejected files, and a published one the catalog has indexed
    rejected = [n for n in NAMES if build(n).expected.status == REJECTED]
    published_id = outcomes.uploaded["one-pixel"]
    wait_for(
        "the catalog to index a published adversarial image",
        lambda: market.image(published_id).status_code,
        lambda status: status == 200,
    )
    # WHEN each rejected one is looked up
    statuses = {n: market.image(outcomes.uploaded[n]).status_code for n in rejected}
    # THEN none has a page
    assert set(statuses.values()) == {404}, statuses


def test_processor_never_failed_a_batch_and_the_dlq_stays_empty(outcomes: Outcomes) -> None:
    # GIVEN every corpus file processed (fixture)
    watch = outcomes.watch
    # WHEN the ingest queue has drained
    wait_for("the ingest queue to drain", watch.in_flight, lambda depth: depth == 0)
    # THEN no invocation reported a failed record, and nothing went to the DLQ
    assert watch.poller.errors == watch.errors_before
    assert watch.dlq_depth() == watch.dlq_before
    print(f"\nadversarial corpus processed in {outcomes.seconds:.1f}s, DLQ {watch.dlq_depth()}")


# -- refused before any upload --------------------------------------------------------------


@pytest.mark.parametrize(("change", "field"), REFUSED_AT_POST)
def test_upload_request_refused_naming_the_field(
    market: Marketplace, photographer: User, change: dict[str, Any], field: str
) -> None:
    # GIVEN an upload request for an animated GIF (declared as such) or a zero-byte file
    body = upload_declaration("Refused", ["refused"], "image/jpeg", 1000)
    # WHEN it is posted
    response = market.call("POST", "upload", "/uploads", photographer, json=body | change)
    # THEN it is a 400 naming the field, and no presigned upload is handed out
    assert response.status_code in (400, 422), response.text
    assert field in response.text
    assert "upload" not in response.json()
