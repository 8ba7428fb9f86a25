"""The marketplace in a real browser: a buyer, a photographer, signing out and in.

Each journey drives the app at the local environment's one URL as a person would (labels,
roles, buttons); the ``app`` fixture fails it on any console error or failed request.
"""

from __future__ import annotations

import base64
import uuid

from playwright.sync_api import expect

from local.demo.client import Marketplace, wait_for
from local.demo.samples import corrupt_file, png, rotated_jpeg_with_gps
from local.runtime.environment import LocalEnvironment
from tests.browser.conftest import TIMEOUT_MS, App, unique

DROP_FILES = """([zone, files]) => {
  const transfer = new DataTransfer();
  for (const file of files) {
    const bytes = Uint8Array.from(atob(file.content), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], file.name, { type: file.type }));
  }
  const init = { dataTransfer: transfer, bubbles: true, cancelable: true };
  zone.dispatchEvent(new DragEvent("drop", init));
}"""


def published_pair(local_env: LocalEnvironment, word: str) -> dict[str, str]:
    """A red PNG and a blue JPEG tagged ``word``, published and for sale; ids by colour."""
    market = Marketplace(local_env)
    photographer = market.sign_in(unique("pat"))
    ids = {
        "red": market.upload(photographer, png(), f"{word} red sunset", [word, "sunset"]),
        "blue": market.upload(photographer, rotated_jpeg_with_gps(), f"{word} blue lake", [word]),
    }
    for upload_id in ids.values():
        assert market.wait_until_processed(photographer, upload_id)["status"] == "PUBLISHED"
    wait_for("both in the catalog", lambda: market.search(q=word), lambda found: len(found) == 2)
    # Purchase's read model learns offers from the same events: an earlier buyer's purchase
    # proves both are for sale (the journey's first click must not meet a 404).
    earlier = market.sign_in(unique("early"))
    for image_id in ids.values():
        market.buy(earlier, image_id, str(uuid.uuid4()))
    return ids


def test_buyer_searches_filters_opens_similar_buys_once_and_downloads(
    app: App, local_env: LocalEnvironment
) -> None:
    # GIVEN a red and a blue image sharing a word, published and for sale
    word = unique("fjord")
    ids = published_pair(local_env, word)
    page = app.page
    app.open("/")
    app.sign_in(unique("buyer"))
    # WHEN the buyer searches the word
    page.get_by_label("Search", exact=True).fill(word)
    page.get_by_role("search").get_by_role("button", name="Search").click()
    results = page.get_by_role("list", name="Results").get_by_role("listitem")
    # THEN both images are found
    expect(results).to_have_count(2)
    # WHEN they keep only red ones
    page.get_by_role("button", name="red", exact=True).click()
    # THEN only the red image is left
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text(f"{word} red sunset")
    app.screenshot("homesite")
    # WHEN they open it
    results.first.get_by_role("link").click()
    # THEN its page shows the watermarked preview, its tags, and the blue one as similar
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{word} red sunset")
    expect(page.get_by_alt_text(f"{word} red sunset (watermarked preview)")).to_be_visible()
    similar = page.get_by_role("list", name="Similar images")
    expect(similar.get_by_role("link", name=f"{word} blue lake")).to_be_visible()
    app.screenshot("image-page")
    # WHEN they double-click Buy
    page.get_by_role("button", name="Buy for").dblclick()
    expect(page.locator(".buy .result")).to_contain_text("Purchase")
    # THEN there is exactly one purchase of it, which completes and downloads
    page.get_by_role("link", name="My purchases").first.click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    download = page.get_by_role("button", name=f"Download {word} red sunset")
    expect(download).to_be_visible(timeout=TIMEOUT_MS)
    app.screenshot("purchases")
    with app.context.expect_page() as opened:
        download.click()
    licensed = opened.value
    licensed.wait_for_load_state()
    # AND the download opens the licensed image itself (not the app, not an error)
    answer = licensed.request.get(licensed.url)
    assert answer.status == 200, licensed.url
    assert answer.headers["content-type"] in ("image/png", "image/jpeg"), licensed.url
    assert ids["red"]


def test_photographer_drops_three_files_sees_outcomes_and_withdraws(app: App) -> None:
    # GIVEN a signed-in photographer on the panel
    page = app.page
    app.open("/photographer")
    app.sign_in(unique("photog"))
    word = unique("alps")
    page.get_by_label("Tags for new uploads (comma separated)").fill(word)
    # WHEN three files are dropped at once, one of them corrupt
    files = [
        {"name": f"{word}-red.png", "type": "image/png", "content": png().content},
        {"name": f"{word}-blue.jpg", "type": "image/jpeg", "content": rotated_jpeg_with_gps()},
        {"name": f"{word}-broken.jpg", "type": "image/jpeg", "content": corrupt_file().content},
    ]
    for file in files:
        content = file["content"]
        raw = content if isinstance(content, bytes) else content.content
        file["content"] = base64.b64encode(raw).decode("ascii")
    zone = page.get_by_test_id("dropzone").element_handle()
    page.evaluate(DROP_FILES, [zone, files])
    # THEN each file has its own progress bar, and all three are sent
    expect(page.get_by_role("progressbar")).to_have_count(3)
    expect(page.locator(".transfers .state", has_text="sent")).to_have_count(3)
    # AND two end PUBLISHED and the corrupt one REJECTED with its reason shown
    rows = page.locator("tbody tr")
    expect(rows.filter(has_text="PUBLISHED")).to_have_count(2, timeout=TIMEOUT_MS)
    rejected = rows.filter(has_text="REJECTED")
    expect(rejected).to_have_count(1, timeout=TIMEOUT_MS)
    expect(rejected).to_contain_text(f"{word} broken")
    expect(rejected.locator(".reason")).not_to_be_empty()
    app.screenshot("photographer")
    # WHEN they withdraw one of the published images
    page.get_by_role("button", name=f"Withdraw {word} red").click()
    # THEN it is withdrawn
    expect(rows.filter(has_text=f"{word} red")).to_contain_text("WITHDRAWN", timeout=TIMEOUT_MS)


def test_sign_out_then_sign_in_again(app: App) -> None:
    # GIVEN a signed-in user
    page = app.page
    name = unique("sam")
    app.open("/")
    app.sign_in(name)
    # WHEN they sign out
    page.get_by_role("button", name="Sign out").click()
    # THEN the app offers to sign in again, and the panels ask for it
    expect(page.get_by_role("banner").get_by_role("button", name="Sign in")).to_be_visible()
    page.get_by_role("link", name="Photographer").click()
    expect(page.get_by_role("button", name="Sign in to upload")).to_be_visible()
    # WHEN they sign in again
    app.sign_in(name)
    # THEN they are back on the page they were on, signed in
    expect(page.get_by_role("heading", name="Photographer")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
