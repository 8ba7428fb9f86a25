"""A burst of uploads: every one ends PUBLISHED, none lost, none duplicated in the catalog."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.demo.client import Marketplace, wait_for
from local.demo.samples import SampleImage
from tests.services.upload.images import encode, natural_image

pytestmark = pytest.mark.e2e

BURST = 50
"""Uploads at once (the emulator's DynamoDB workarounds keep this under a minute on two cores:
BENCHMARKS.md, "Local emulator")."""


def small_photo(seed: int) -> SampleImage:
    """About 0.3 MP: realistic content, quick to process."""
    image = natural_image(640, 480, seed=seed)
    return SampleImage(
        f"burst-{seed}.jpg", encode(image, "JPEG", quality=85), "image/jpeg", (640, 480)
    )


def test_burst_of_uploads_all_published_once_in_catalog(market: Marketplace) -> None:
    # GIVEN a photographer and BURST images
    photographer = market.sign_in(f"burst-{uuid.uuid4().hex[:6]}")
    tag = f"burst-{uuid.uuid4().hex[:6]}"
    samples = [small_photo(seed) for seed in range(BURST)]
    # WHEN they are all uploaded at once
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(lambda s: market.upload(photographer, s, s.name, [tag]), samples))

    # THEN every upload ends PUBLISHED
    def statuses() -> dict[str, str]:
        page = market.call("GET", "upload", "/uploads", photographer, params={"limit": 100})
        if page.status_code == 503:  # the listing timed out on the loaded emulator: ask again
            return {}
        return {u["uploadId"]: u["status"] for u in page.json()["items"]}

    final = wait_for(
        "every upload processed",
        statuses,
        lambda s: len(s) == BURST and "PENDING" not in s.values(),
        timeout=240,
    )
    assert set(final) == set(ids)
    assert set(final.values()) == {"PUBLISHED"}
    # AND the catalog lists each exactly once
    listed = wait_for(
        "every image in the catalog",
        lambda: [i["imageId"] for i in market.search(tag=tag)],
        lambda items: len(set(items)) >= BURST,
        timeout=240,
    )
    drained = time.monotonic() - started
    assert sorted(listed) == sorted(ids)
    print(f"\nburst of {BURST}: uploaded, processed and indexed in {drained:.1f}s")
