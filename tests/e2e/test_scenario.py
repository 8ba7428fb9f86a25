"""The demo scenario as tests: the same steps ``python -m local demo`` runs, then more.

One ``Scenario`` for the module; each test runs the scenario up to the step it is about
(``run_through``: every step runs once, in order, and a failed step fails every test that
needs it, naming it), then states further properties of what the step left behind.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageOps

from local.demo.client import Marketplace
from local.demo.samples import WATERMARK_FREE_DIFFERENCE, mean_difference
from local.demo.scenario import Scenario

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def scenario(market: Marketplace) -> Scenario:
    return Scenario(market, out=lambda line: None)


def through(scenario: Scenario, step: str) -> dict[str, Any]:
    """The scenario's state once ``step`` (and every step before it) has held."""
    scenario.run_through(step)
    return scenario.state


def test_scenario_steps_are_known_and_unknown_ones_refused(scenario: Scenario) -> None:
    # GIVEN the scenario's steps
    # WHEN a step that does not exist is asked for
    # THEN it is refused naming the steps there are (no step runs)
    with pytest.raises(ValueError, match=r"no scenario step 'teleport'.*sign_in"):
        scenario.run_through("teleport")


def test_upload_good_images_are_published_with_displayed_dimensions(scenario: Scenario) -> None:
    # GIVEN / WHEN the scenario's uploads are processed (steps up to "outcome")
    state = through(scenario, "outcome")
    # THEN the rotated JPEG is published with the dimensions a viewer shows
    jpeg = state["uploads"]["jpeg"]
    assert (jpeg["width"], jpeg["height"]) == state["samples"]["jpeg"].displayed_size


def test_upload_corrupt_file_is_rejected_with_reason(scenario: Scenario) -> None:
    # GIVEN / WHEN the corrupt file is processed
    record = through(scenario, "outcome")["uploads"]["corrupt"]
    # THEN its reason is one a photographer can read
    assert len(record["reason"]) > 10


def test_catalog_lists_exactly_the_published_images_of_the_tag(
    scenario: Scenario, market: Marketplace
) -> None:
    # GIVEN the images found by tag and colour (step "search")
    state = through(scenario, "search")
    ids = state["ids"]
    # WHEN the catalog is searched by the uploads' tag, and by a colour neither has
    by_tag = {i["imageId"] for i in market.search(tag=state["tag"])}
    by_green = {i["imageId"] for i in market.search(tag=state["tag"], colour="green")}
    # THEN exactly the published ones are listed, and the red PNG is not green
    assert by_tag == {ids["jpeg"], ids["png"]}
    assert state["uploads"]["png"]["colours"][0] == "red"
    assert ids["png"] not in by_green


def test_purchase_counts_once_in_popularity(scenario: Scenario, market: Marketplace) -> None:
    # GIVEN the purchase, completed and counted (steps "buy" to "popularity"; the retry with
    # the same idempotency key was the same purchase)
    state = through(scenario, "popularity")
    # WHEN the catalog shows the image
    image = market.image(state["ids"]["jpeg"]).json()
    # THEN its popularity is exactly one purchase
    assert image["popularity"] == 1


def test_download_link_opens_with_plain_curl_as_given(
    scenario: Scenario,
    curl: Callable[[str, Path], subprocess.CompletedProcess[str]],
    tmp_path: Path,
) -> None:
    # GIVEN the link exactly as GET /purchases/{id}/download returned it (step "download")
    state = through(scenario, "download")
    # WHEN the real curl fetches it, with no option touching TLS or the URL
    done = curl(state["download_url"], tmp_path / "licensed.jpg")
    # THEN it downloads the licensed copy (curl fails on an https link to a plain-HTTP CDN)
    assert done.returncode == 0, f"curl {state['download_url']}: {done.stderr}"
    licensed = ImageOps.exif_transpose(Image.open(tmp_path / "licensed.jpg"))
    assert licensed.size == state["samples"]["jpeg"].displayed_size


def test_preview_rendition_is_public_and_watermarked(
    scenario: Scenario, market: Marketplace
) -> None:
    # GIVEN the published JPEG's public preview URL
    state = through(scenario, "outcome")
    # WHEN anyone fetches it from the public CDN path, without a signature
    response = market.fetch(state["uploads"]["jpeg"]["previewUrl"])
    # THEN it is served, and differs visibly from the original (the tiled watermark)
    assert response.status_code == 200
    preview = Image.open(io.BytesIO(response.content)).convert("RGB")
    original = state["samples"]["jpeg"].displayed.resize(preview.size)
    assert mean_difference(preview, original) > WATERMARK_FREE_DIFFERENCE + 2


def test_download_url_signed_for_another_key_pair_is_refused(
    scenario: Scenario, market: Marketplace
) -> None:
    # GIVEN the tampered, expired and unsigned URLs refused (step "refused")
    state = through(scenario, "refused")
    signing = market.env.graph.signing  # type: ignore[union-attr]
    # WHEN the URL names a key pair the distribution does not trust
    url = state["download_url"].replace(signing["key_pair_id"], "KUNKNOWN0000")
    # THEN the CDN answers 403 too
    assert market.fetch(url).status_code == 403


def test_another_buyer_and_withdrawal(scenario: Scenario, market: Marketplace) -> None:
    # GIVEN / WHEN the last steps: another buyer looks, the photographer withdraws the PNG
    state = through(scenario, "withdraw")
    # THEN the earlier purchase of the JPEG is unaffected and still downloads
    assert market.fetch(state["download_url"]).status_code == 200
    # AND every step of the demo held
    assert scenario.passed
    assert [r.name for r in scenario.results] == [title for _, title in Scenario.STEPS]
