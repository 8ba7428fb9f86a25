"""The admin panel in a real browser: a moderator works the review queue, a non-moderator
is told it is not theirs.

Locally moto has no content moderation, so uploads reach review the way an outage sends them
there: the processor loses its Rekognition grant while they are processed (the end-to-end
review test's helpers); the circuit is closed again afterwards for later tests.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from local.demo.client import Marketplace, User, wait_for
from local.runtime.environment import LocalEnvironment
from services.upload.analysis import ANALYSIS_UNAVAILABLE
from tests.browser.conftest import App, unique
from tests.e2e import review_helpers
from tests.e2e.review_helpers import photo, rekognition_outage, sign_in_admin

circuit_closed_afterwards = review_helpers.circuit_closed_afterwards
"""Later journeys find the circuit closed (an open one would send their uploads to review)."""

LOADED = "image => image.complete && image.naturalWidth > 0"


def uploads_in_review(
    local_env: LocalEnvironment, market: Marketplace, photographer: User, titles: list[str]
) -> list[str]:
    """The photographer's uploads, one per title (tagged its first word), each processed
    IN_REVIEW in an outage."""
    ids = []
    with rekognition_outage(local_env):
        for seed, title in enumerate(titles):
            upload_id = market.upload(photographer, photo(seed), title, title.split()[:1])
            processed = market.wait_until_processed(photographer, upload_id)
            assert processed["status"] == "IN_REVIEW", processed
            ids.append(upload_id)
    return ids


@pytest.mark.usefixtures("circuit_closed_afterwards")
def test_moderator_approves_one_upload_and_rejects_another_with_a_reason(
    app: App, local_env: LocalEnvironment, market: Marketplace
) -> None:
    # GIVEN two uploads waiting in review, and a moderator (a member of the admins group)
    word = unique("quay")
    titles = [f"{word} harbour", f"{word} pier"]
    photographer = market.sign_in(unique("lens"))
    ids = uploads_in_review(local_env, market, photographer, titles)
    moderator = unique("mod")
    sign_in_admin(local_env, moderator)
    page = app.page
    # WHEN the moderator signs in through the app and opens the admin panel
    app.open("/admin")
    app.sign_in(moderator)
    # THEN both uploads are listed, oldest first, each with its preview loaded
    queue = page.get_by_role("list", name="Uploads waiting for review")
    cards = queue.get_by_role("listitem").filter(has_text=word)
    expect(cards.get_by_role("heading")).to_have_text(titles)
    for title in titles:
        preview = page.get_by_alt_text(f"{title} (preview for review)")
        page.wait_for_function(LOADED, arg=preview.element_handle())
    expect(cards.first).to_contain_text(ANALYSIS_UNAVAILABLE)
    app.screenshot("admin-review")
    # WHEN they approve the first
    page.get_by_role("button", name=f"Approve {titles[0]}").click()
    # THEN it is PUBLISHED and leaves the queue
    decided = page.get_by_role("list", name="Decided").get_by_role("listitem")
    expect(decided.filter(has_text=titles[0])).to_have_text(f"{titles[0]}: PUBLISHED")
    expect(cards.get_by_role("heading")).to_have_text([titles[1]])
    # WHEN they reject the second with a reason typed in its form
    reason = "The horizon is tilted; please straighten it and upload again."
    page.get_by_label(f"Reason for rejecting {titles[1]}").fill(reason)
    page.get_by_role("button", name=f"Reject {titles[1]}").click()
    # THEN it is REJECTED and the queue holds neither
    expect(decided.filter(has_text=titles[1])).to_have_text(f"{titles[1]}: REJECTED")
    expect(cards).to_have_count(0)
    # AND the photographer sees the rejection with the moderator's reason
    rejected = market.my_upload(photographer, ids[1])
    assert (rejected["status"], rejected["reason"]) == ("REJECTED", reason), rejected
    wait_for(
        "the approved image listed under its tag",
        lambda: [image["imageId"] for image in market.search(tag=word)],
        lambda found: found == [ids[0]],
    )
    # AND a buyer's search on the homesite finds the approved image by its tag, alone
    page.get_by_role("link", name="Browse").click()
    page.get_by_label("Search", exact=True).fill(word)
    page.get_by_role("search").get_by_role("button", name="Search").click()
    results = page.get_by_role("list", name="Results").get_by_role("listitem")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text(titles[0])


def test_a_non_moderator_is_told_the_queue_is_not_theirs(app: App) -> None:
    # GIVEN someone signed in who is not in the admins group
    page = app.page
    app.open("/admin")
    app.sign_in(unique("visitor"))
    # THEN the panel says who reviews uploads, and shows (and asks the API for) no queue
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_text("Only moderators (members of the admins group)")).to_be_visible()
    expect(page.get_by_role("list", name="Uploads waiting for review")).to_have_count(0)
