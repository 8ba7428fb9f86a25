"""The demo scenario as tests: upload, publish, search, purchase, download, withdraw.

Module-scoped fixtures perform each stage once (in order: upload -> purchase -> download);
each test states one property of the outcome.
"""

from __future__ import annotations

import io
import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageOps

from local.demo import (
    GPS_IFD,
    WATERMARK_FREE_DIFFERENCE,
    Marketplace,
    User,
    corrupt_file,
    mean_difference,
    png,
    rotated_jpeg_with_gps,
    tampered,
    wait_for,
)
from services.purchase.signing import sign_url

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def people(market: Marketplace) -> dict[str, User]:
    run = uuid.uuid4().hex[:6]
    return {role: market.sign_in(f"{role}-{run}") for role in ("photographer", "buyer", "other")}


@pytest.fixture(scope="module")
def uploads(market: Marketplace, people: dict[str, User]) -> dict[str, Any]:
    """The three files uploaded through presigned POSTs and processed."""
    tag = f"e2e-{uuid.uuid4().hex[:6]}"
    samples = {"jpeg": rotated_jpeg_with_gps(), "png": png(), "corrupt": corrupt_file()}
    photographer = people["photographer"]
    ids = {k: market.upload(photographer, s, f"E2E {k}", [tag, k]) for k, s in samples.items()}
    processed = {k: market.wait_until_processed(photographer, i) for k, i in ids.items()}
    return {"tag": tag, "samples": samples, "ids": ids, "records": processed}


@pytest.fixture(scope="module")
def purchase(market: Marketplace, people: dict[str, User], uploads: dict[str, Any]) -> dict:
    """The buyer's purchase of the JPEG, posted twice with one idempotency key."""
    key = str(uuid.uuid4())
    first = market.buy(people["buyer"], uploads["ids"]["jpeg"], key)
    retry = market.purchase(people["buyer"], uploads["ids"]["jpeg"], key)
    completed = wait_for(
        "the purchase to complete",
        lambda: market.my_purchase(people["buyer"], first["purchaseId"]).json(),
        lambda p: p["status"] != "PENDING",
    )
    return {"first": first, "retry": retry, "completed": completed}


@pytest.fixture(scope="module")
def download_url(market: Marketplace, people: dict[str, User], purchase: dict) -> str:
    return market.download_link(people["buyer"], purchase["first"]["purchaseId"])


def test_upload_good_images_are_published(uploads: dict[str, Any]) -> None:
    # GIVEN a rotated JPEG and a PNG uploaded through presigned POSTs (fixture)
    # WHEN processing ends
    statuses = {k: uploads["records"][k]["status"] for k in ("jpeg", "png")}
    # THEN both are published, with their displayed dimensions
    assert statuses == {"jpeg": "PUBLISHED", "png": "PUBLISHED"}
    jpeg = uploads["records"]["jpeg"]
    assert (jpeg["width"], jpeg["height"]) == uploads["samples"]["jpeg"].displayed_size


def test_upload_corrupt_file_is_rejected_with_reason(uploads: dict[str, Any]) -> None:
    # GIVEN a corrupt file uploaded as a JPEG (fixture)
    record = uploads["records"]["corrupt"]
    # THEN it is rejected with a reason that says what is wrong with it (a damaged JPEG,
    # the bytes after its header are not image data), not merely that something failed
    assert record["status"] == "REJECTED"
    assert "JPEG" in record["reason"], record["reason"]
    assert "incomplete or damaged" in record["reason"], record["reason"]


def test_catalog_finds_published_images_by_tag_not_the_rejected(
    market: Marketplace, uploads: dict[str, Any]
) -> None:
    # GIVEN the processed uploads
    ids = uploads["ids"]
    # WHEN the catalog is searched by the uploads' tag
    found = wait_for(
        "both images in the catalog",
        lambda: {i["imageId"] for i in market.search(tag=uploads["tag"])},
        lambda found: {ids["jpeg"], ids["png"]} <= found,
    )
    # THEN exactly the published ones are listed; the rejected one has no page
    assert found == {ids["jpeg"], ids["png"]}
    assert market.image(ids["corrupt"]).status_code == 404


def test_catalog_finds_image_by_its_dominant_colour(
    market: Marketplace, uploads: dict[str, Any]
) -> None:
    # GIVEN the red PNG, published
    record, image_id = uploads["records"]["png"], uploads["ids"]["png"]
    assert record["colours"][0] == "red"
    # WHEN the catalog is searched by that colour (and by another one)
    by_red = wait_for(
        "the PNG by colour",
        lambda: {i["imageId"] for i in market.search(tag=uploads["tag"], colour="red")},
        lambda found: image_id in found,
    )
    by_green = {i["imageId"] for i in market.search(tag=uploads["tag"], colour="green")}
    # THEN only the matching colour finds it
    assert image_id in by_red
    assert image_id not in by_green


def test_purchase_retry_with_same_idempotency_key_is_same_purchase(purchase: dict) -> None:
    # GIVEN a POST /purchases retried with the same Idempotency-Key (fixture)
    # THEN the retry answers with the first purchase
    assert purchase["retry"].status_code in (200, 201)
    assert purchase["retry"].json()["purchaseId"] == purchase["first"]["purchaseId"]


def test_purchase_completes_and_counts_in_popularity(
    market: Marketplace, uploads: dict[str, Any], purchase: dict
) -> None:
    # GIVEN the completed purchase of the JPEG
    assert purchase["completed"]["status"] == "COMPLETED"
    # WHEN the catalog shows the image
    image = wait_for(
        "popularity to count the purchase",
        lambda: market.image(uploads["ids"]["jpeg"]).json(),
        lambda image: image.get("popularity", 0) >= 1,
    )
    # THEN its popularity is one purchase
    assert image["popularity"] == 1


def test_download_licensed_copy_has_original_size_no_watermark_no_gps(
    market: Marketplace, uploads: dict[str, Any], download_url: str
) -> None:
    # GIVEN the buyer's signed download URL
    # WHEN the buyer fetches it from the CDN
    response = market.fetch(download_url)
    # THEN it is the original image: same size as shown, same pixels, no GPS
    assert response.status_code == 200
    licensed = Image.open(io.BytesIO(response.content))
    shown = ImageOps.exif_transpose(licensed)
    sample = uploads["samples"]["jpeg"]
    assert shown.size == sample.displayed_size
    assert mean_difference(shown, sample.displayed) < WATERMARK_FREE_DIFFERENCE
    assert not licensed.getexif().get_ifd(GPS_IFD)


def test_download_link_opens_with_plain_curl_as_given(
    download_url: str,
    uploads: dict[str, Any],
    curl: Callable[[str, Path], subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    # GIVEN the link exactly as GET /purchases/{id}/download returned it
    # WHEN the real curl fetches it, with no option touching TLS or the URL
    done = curl(download_url, tmp_path / "licensed.jpg")
    # THEN it downloads the licensed copy (curl fails on an https link to a plain-HTTP CDN)
    assert done.returncode == 0, f"curl {download_url}: {done.stderr}"
    licensed = ImageOps.exif_transpose(Image.open(tmp_path / "licensed.jpg"))
    assert licensed.size == uploads["samples"]["jpeg"].displayed_size


def test_preview_rendition_is_public_and_watermarked(
    market: Marketplace, uploads: dict[str, Any]
) -> None:
    # GIVEN the published JPEG's public preview URL
    record = uploads["records"]["jpeg"]
    # WHEN anyone fetches it from the public CDN path, without a signature
    response = market.fetch(record["previewUrl"])
    # THEN it is served, and differs visibly from the original (the tiled watermark)
    assert response.status_code == 200
    preview = Image.open(io.BytesIO(response.content)).convert("RGB")
    original = uploads["samples"]["jpeg"].displayed.resize(preview.size)
    assert mean_difference(preview, original) > WATERMARK_FREE_DIFFERENCE + 2


@pytest.mark.parametrize("variant", ["tampered", "expired", "unsigned", "other key pair"])
def test_download_url_refused_when_not_validly_signed(
    market: Marketplace, download_url: str, variant: str
) -> None:
    # GIVEN a download URL that CloudFront would refuse
    signing = market.env.graph.signing  # type: ignore[union-attr]
    unsigned = download_url.split("?", 1)[0]
    urls = {
        "tampered": tampered(download_url),
        "expired": sign_url(
            unsigned,
            signing["key_pair_id"],
            signing["private_key_pem"],
            datetime.now(UTC) - timedelta(seconds=1),
        ),
        "unsigned": unsigned,
        "other key pair": download_url.replace(signing["key_pair_id"], "KUNKNOWN0000"),
    }
    # WHEN it is fetched
    response = market.fetch(urls[variant])
    # THEN the CDN answers 403
    assert response.status_code == 403


def test_purchase_not_visible_to_another_buyer(
    market: Marketplace, people: dict[str, User], purchase: dict
) -> None:
    # GIVEN the buyer's completed purchase
    purchase_id = purchase["first"]["purchaseId"]
    # WHEN another buyer asks for it, its download link, and their own list
    direct = market.my_purchase(people["other"], purchase_id)
    link = market.call("GET", "purchase", f"/purchases/{purchase_id}/download", people["other"])
    listed = market.call("GET", "purchase", "/purchases", people["other"]).json()["items"]
    # THEN it does not exist for them
    assert (direct.status_code, link.status_code) == (404, 404)
    assert purchase_id not in {p["purchaseId"] for p in listed}


def test_withdrawn_image_leaves_catalog_and_cannot_be_bought(
    market: Marketplace, people: dict[str, User], uploads: dict[str, Any], purchase: dict
) -> None:
    # GIVEN the published PNG (purchase fixture first: the JPEG's purchase is unaffected)
    image_id = uploads["ids"]["png"]
    # WHEN the photographer withdraws it
    response = market.withdraw(people["photographer"], image_id)
    # THEN the catalog drops it and the purchase service refuses to sell it
    assert response.status_code in (200, 204)
    wait_for(
        "the catalog to drop it",
        lambda: market.image(image_id).status_code,
        lambda status: status == 404,
    )
    refused = wait_for(
        "purchase to refuse it",
        lambda: market.purchase(people["buyer"], image_id, str(uuid.uuid4())),
        lambda r: r.status_code != 201,
    )
    assert refused.status_code in (404, 409)
    assert image_id not in {i["imageId"] for i in market.search(tag=uploads["tag"])}
