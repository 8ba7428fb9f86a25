"""Moderation review end to end, over the running marketplace: a Rekognition outage sends
uploads to review (never to the DLQ), the circuit opens, an admin approves one (the catalog
lists it, the public CDN serves it) and rejects another, non-admins are refused through the
real JWT authorizer, and after the cool-down one probe closes the circuit."""

from __future__ import annotations

import uuid

import jwt
import pytest

from local.demo.client import Marketplace, wait_for
from local.endpoints import load as load_endpoints
from local.redrive import dead_letter_queues, depth
from local.runtime.environment import LocalEnvironment
from services.upload.analysis import ANALYSIS_UNAVAILABLE
from services.upload.circuit import OPEN
from tests.e2e import review_helpers
from tests.e2e.review_helpers import (
    circuit,
    close_circuit,
    photo,
    rekognition_outage,
    sign_in_admin,
)
from tests.e2e.test_scripting import local_token

pytestmark = pytest.mark.e2e
circuit_closed_afterwards = review_helpers.circuit_closed_afterwards
"""Later tests find the circuit closed (shared with the browser's admin journey)."""

OUTAGE_UPLOADS = 4
"""One more than the local environment's failure threshold (3): the last skips Rekognition."""


@pytest.mark.usefixtures("circuit_closed_afterwards")
def test_outage_review_approve_reject_and_the_circuit_closes(
    market: Marketplace, local_env: LocalEnvironment
) -> None:
    graph = local_env.graph
    assert graph is not None
    run = uuid.uuid4().hex[:6]
    photographer = market.sign_in(f"review-photographer-{run}")
    stranger = market.sign_in(f"review-stranger-{run}")
    moderator = sign_in_admin(local_env, f"review-admin-{run}")
    parked_before = {q.name: depth(graph, q) for q in dead_letter_queues(graph)}

    # GIVEN Rekognition failing for the processor
    with rekognition_outage(local_env):
        # WHEN uploads are processed one after another
        ids = []
        for seed in range(OUTAGE_UPLOADS):
            upload_id = market.upload(photographer, photo(seed), f"Outage {seed}", [run])
            ids.append(upload_id)
            processed = market.wait_until_processed(photographer, upload_id)
            # THEN each waits IN_REVIEW, "analysis unavailable", with no public URLs
            assert processed["status"] == "IN_REVIEW", processed
            assert processed["reviewReason"] == ANALYSIS_UNAVAILABLE
            assert processed.get("previewUrl") is None and processed.get("thumbnailUrl") is None
        # AND the circuit opened after the threshold, and nothing reached a DLQ
        assert circuit(local_env)["circuitState"] == OPEN
    assert {q.name: depth(graph, q) for q in dead_letter_queues(graph)} == parked_before

    # WHEN someone outside the admin group, or nobody, calls the admin routes
    # THEN 403 and 401, through the real authorizer
    assert market.call("GET", "upload", "/admin/reviews", stranger).status_code == 403
    approve = f"/admin/reviews/{ids[0]}/approve"
    assert market.call("POST", "upload", approve, stranger, json={}).status_code == 403
    assert market.call("GET", "upload", "/admin/reviews").status_code == 401

    # WHEN an admin reads the queue
    queue = market.call("GET", "upload", "/admin/reviews", moderator, params={"limit": 100})
    assert queue.status_code == 200, queue.text
    # THEN the outage's uploads are there, oldest first, with the photographer's id
    listed = [item for item in queue.json()["items"] if item["uploadId"] in ids]
    assert [item["uploadId"] for item in listed] == ids
    assert {item["photographerId"] for item in listed} == {photographer.sub}
    # AND the preview link opens the private review copy, which the public CDN does not serve
    item = market.call("GET", "upload", f"/admin/reviews/{ids[0]}", moderator).json()
    preview = market.fetch(item["previewUrl"])
    assert preview.status_code == 200 and preview.content[:2] == b"\xff\xd8"
    public_cdn = load_endpoints(local_env.endpoints_file).cdn["public"]
    public_preview = f"{public_cdn}/previews/{ids[0]}.jpg"
    assert market.fetch(public_preview).status_code in (403, 404)

    # WHEN the admin approves the first and rejects the second
    approved = market.call("POST", "upload", approve, moderator, json={"note": "Fine."})
    reason = "The horizon is tilted; please straighten it and upload again."
    rejected = market.call(
        "POST", "upload", f"/admin/reviews/{ids[1]}/reject", moderator, json={"reason": reason}
    )
    # THEN the decisions are recorded, and the catalog lists the approved image
    assert approved.status_code == 200 and approved.json()["status"] == "PUBLISHED"
    assert rejected.status_code == 200 and rejected.json()["status"] == "REJECTED"
    listed_image = wait_for(
        "the approved image in the catalog",
        lambda: market.image(ids[0]),
        lambda response: response.status_code == 200,
    )
    assert listed_image.json()["title"] == "Outage 0"
    wait_for(  # the image item is written before its search entries
        "the approved image listed under its tag",
        lambda: [i["imageId"] for i in market.search(tag=run)],
        lambda found: found == [ids[0]],
    )
    assert listed_image.json()["previewUrl"] == public_preview
    assert market.fetch(public_preview).status_code == 200
    # AND the photographer sees both outcomes, the rejection with its reason
    mine = market.my_upload(photographer, ids[1])
    assert mine["status"] == "REJECTED" and mine["reason"] == reason
    assert mine["decision"]["outcome"] == "REJECTED"
    # AND a repeated decision is idempotent, a contrary one a conflict
    again = market.call("POST", "upload", approve, moderator, json={})
    assert again.status_code == 200 and again.json()["decision"] == approved.json()["decision"]
    contrary = market.call(
        "POST", "upload", f"/admin/reviews/{ids[0]}/reject", moderator, json={"reason": "No."}
    )
    assert contrary.status_code == 409

    # WHEN Rekognition is back and the cool-down is over
    probe = close_circuit(local_env, market, photographer)
    # THEN one probe published an upload and closed the circuit
    assert market.my_upload(photographer, probe)["labels"]
    for upload_id in ids[2:]:  # leave the queue as found
        market.call("POST", "upload", f"/admin/reviews/{upload_id}/approve", moderator, json={})


def test_token_admin_gives_a_moderators_token_from_another_terminal(
    market: Marketplace, local_env: LocalEnvironment
) -> None:
    # GIVEN tokens printed by `python -m local token` for a moderator and for a plain user
    run = uuid.uuid4().hex[:6]
    admin = local_token(local_env.endpoints_file, f"moderator-{run}", "--admin")
    plain = local_token(local_env.endpoints_file, f"plain-{run}")
    assert admin.returncode == 0 and plain.returncode == 0, admin.stderr + plain.stderr
    admin_token, plain_token = admin.stdout.strip(), plain.stdout.strip()
    # THEN only the moderator's carries the admin group, and only it may read the queue
    assert (
        "admins" in jwt.decode(admin_token, options={"verify_signature": False})["cognito:groups"]
    )
    assert "cognito:groups" not in jwt.decode(plain_token, options={"verify_signature": False})
    url = market.url("upload", "/admin/reviews")
    for token, status in ((admin_token, 200), (plain_token, 403)):
        answer = market.session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == status, answer.text
