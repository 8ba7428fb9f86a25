"""The moderators' API (/admin/reviews) against moto: who may call it, the queue, one item,
approve and reject, idempotent and race-free decisions, and what the photographer sees."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from services.upload.manifest import MANIFEST
from tests.services.factories import http_event
from tests.services.upload.conftest import (
    ALICE,
    CDN_DOMAIN,
    ORIGINALS,
    RENDITIONS,
    Call,
    UploadAws,
)
from tests.services.upload.fakes import EXPLICIT, FakeRekognition

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

ADMIN = "admin-0009"
OTHER_ADMIN = "admin-0010"
Admin = Callable[..., tuple[int, Any]]


@pytest.fixture
def admin(upload_aws: UploadAws, load_handler: Callable[[str], ModuleType]) -> ModuleType:
    return load_handler("services.upload.admin")


@pytest.fixture
def call_admin(admin: ModuleType, lambda_context: Any) -> Admin:
    """Invoke the admin handler as ``sub`` in ``groups`` (API Gateway's ``[a b]`` claim text)."""

    def call(
        method: str, path: str, sub: str = ADMIN, groups: Any = "[admins]", **kwargs: Any
    ) -> tuple[int, Any]:
        event = http_event(method, path, sub=sub, **kwargs)
        if groups is not None:
            event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = groups
        response = admin.lambda_handler(event, lambda_context)
        return response["statusCode"], json.loads(response.get("body") or "null")

    return call


@pytest.fixture
def in_review(
    uploaded: Callable[..., tuple[str, str]],
    run_processor: Callable[..., dict[str, Any]],
    load_processor: Callable[..., ModuleType],
    upload_aws: UploadAws,
    photo: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., str]:
    """Uploads that moderation flags: each ends IN_REVIEW; returns its id."""
    load_processor(REKOGNITION_MODERATION="true")
    from services.upload import labels

    monkeypatch.setattr(labels, "client", lambda: FakeRekognition(EXPLICIT))

    def make(**fields: Any) -> str:
        upload_id, key = uploaded(photo, **fields)
        run_processor(key)
        assert upload_aws.record(upload_id)["status"] == "IN_REVIEW"
        return upload_id

    return make


ADMIN_ROUTES = [(r.method, r.path.replace("{id}", "{upload}")) for r in MANIFEST.routes_of("admin")]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
@pytest.mark.parametrize("groups", [None, "[]", "[photographers]", "[admins-readonly other]"])
def test_non_admins_are_refused_on_every_admin_route(
    call_admin: Admin,
    in_review: Callable[..., str],
    upload_aws: UploadAws,
    method: str,
    path: str,
    groups: str | None,
) -> None:
    # GIVEN an upload in review and a signed-in user outside the admin group
    upload_id = in_review()
    # WHEN they call an admin route
    status, body = call_admin(
        method, path.format(upload=upload_id), groups=groups, body={"reason": "Not allowed."}
    )
    # THEN 403, naming the group, and nothing changed
    assert status == 403, body
    assert "'admins'" in body["message"]
    assert upload_aws.record(upload_id)["status"] == "IN_REVIEW"
    assert upload_aws.events() == []


def test_anonymous_callers_get_401(admin: ModuleType, lambda_context: Any) -> None:
    response = admin.lambda_handler(http_event("GET", "/admin/reviews"), lambda_context)
    assert response["statusCode"] == 401


@pytest.mark.parametrize("groups", ["[admins]", "[photographers admins]", ["admins"]])
def test_admins_are_recognised_in_any_claim_form(call_admin: Admin, groups: Any) -> None:
    # API Gateway hands claims over as text ("[a b]"); a JSON list is accepted too
    status, body = call_admin("GET", "/admin/reviews", groups=groups)
    assert status == 200, body


def test_queue_lists_uploads_in_review_oldest_first_in_pages(
    call_admin: Admin, in_review: Callable[..., str]
) -> None:
    # GIVEN three uploads sent to review one after another
    ids = [in_review(title=f"Flagged {n}") for n in range(3)]
    # WHEN the queue is read two at a time
    status, first = call_admin("GET", "/admin/reviews", query={"limit": "2"})
    assert status == 200, first
    status, second = call_admin(
        "GET", "/admin/reviews", query={"limit": "2", "cursor": first["nextCursor"]}
    )
    # THEN every upload appears once, oldest first, with what a moderator needs
    listed = [item["uploadId"] for item in first["items"] + second["items"]]
    assert listed == ids
    item = first["items"][0]
    assert item["photographerId"] == ALICE and item["status"] == "IN_REVIEW"
    assert "explicit nudity" in item["reviewReason"]
    assert item["moderationFindings"][0] == {
        "name": "Explicit Nudity",
        "parentName": None,
        "confidence": 97.0,
    }
    assert second.get("nextCursor") is None


def test_queue_refuses_a_forged_cursor(call_admin: Admin) -> None:
    status, body = call_admin("GET", "/admin/reviews", query={"cursor": "bm90LWEtY3Vyc29y"})
    assert status == 400 and body["message"].startswith("cursor:")


def test_one_item_links_to_the_private_review_copies(
    call_admin: Admin, in_review: Callable[..., str], upload_aws: UploadAws
) -> None:
    # GIVEN an upload in review
    upload_id = in_review()
    # WHEN an admin opens it
    status, item = call_admin("GET", f"/admin/reviews/{upload_id}")
    # THEN the preview is a presigned link to the review copy, not a public CDN URL
    assert status == 200, item
    preview = urlsplit(item["previewUrl"])
    assert preview.path.endswith(f"review/{upload_id}/preview.jpg")
    assert "X-Amz-Signature" in preview.query
    assert CDN_DOMAIN not in item["previewUrl"]
    # AND the link opens the image (fetched as the link's holder would)
    key = f"review/{upload_id}/preview.jpg"
    body = upload_aws.s3.get_object(Bucket=preview.hostname.split(".")[0], Key=key)["Body"].read()
    assert body[:2] == b"\xff\xd8"


def test_an_upload_never_in_review_is_not_found(
    call_admin: Admin, request_upload: Callable[..., dict[str, Any]]
) -> None:
    pending = request_upload()["uploadId"]
    for path in (f"/admin/reviews/{pending}", "/admin/reviews/not-an-id"):
        status, body = call_admin("GET", path)
        assert status == 404, body


def test_approval_publishes_the_upload_and_its_renditions(
    call_admin: Admin, in_review: Callable[..., str], upload_aws: UploadAws, call_api: Call
) -> None:
    # GIVEN an upload in review
    upload_id = in_review()
    # WHEN an admin approves it
    status, item = call_admin(
        "POST", f"/admin/reviews/{upload_id}/approve", body={"note": "Artistic, allowed."}
    )
    # THEN it is PUBLISHED with the decision recorded, and image.published announces it
    assert status == 200, item
    assert item["status"] == "PUBLISHED"
    assert item["decision"]["outcome"] == "APPROVED"
    assert item["decision"]["decidedBy"] == ADMIN
    assert item["decision"]["reason"] == "Artistic, allowed."
    (event,) = upload_aws.events()
    assert event.type == "image.published"
    assert event.data["previewUrl"] == f"https://{CDN_DOMAIN}/previews/{upload_id}.jpg"
    # AND the renditions are now where the public CDN serves them
    assert sorted(upload_aws.keys(RENDITIONS)) == [
        f"previews/{upload_id}.jpg",
        f"thumbnails/{upload_id}.jpg",
    ]
    # AND it left the queue
    assert call_admin("GET", "/admin/reviews")[1]["items"] == []
    # AND the photographer sees the decision (not who made it)
    status, mine = call_api("GET", f"/uploads/{upload_id}", sub=ALICE)
    assert mine["status"] == "PUBLISHED"
    assert mine["decision"]["outcome"] == "APPROVED" and "decidedBy" not in mine["decision"]
    assert "explicit nudity" in mine["reviewReason"]


def test_rejection_records_the_reason_and_publishes_nothing_public(
    call_admin: Admin, in_review: Callable[..., str], upload_aws: UploadAws, call_api: Call
) -> None:
    # GIVEN an upload in review
    upload_id = in_review()
    # WHEN an admin rejects it with a reason
    reason = "Explicit content is not accepted in this marketplace."
    status, item = call_admin("POST", f"/admin/reviews/{upload_id}/reject", body={"reason": reason})
    # THEN it is REJECTED with the reason, announced by image.rejected, nothing made public
    assert status == 200, item
    assert item["status"] == "REJECTED" and item["reason"] == reason
    (event,) = upload_aws.events()
    assert event.type == "image.rejected" and event.data["reason"] == reason
    assert upload_aws.keys(RENDITIONS) == []
    status, mine = call_api("GET", f"/uploads/{upload_id}", sub=ALICE)
    assert mine["reason"] == reason and mine["decision"]["outcome"] == "REJECTED"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}])
def test_rejection_needs_a_reason(
    call_admin: Admin, in_review: Callable[..., str], body: dict[str, Any]
) -> None:
    upload_id = in_review()
    status, answer = call_admin("POST", f"/admin/reviews/{upload_id}/reject", body=body)
    assert status == 400 and "reason" in answer["message"]


def test_decisions_are_idempotent(
    call_admin: Admin, in_review: Callable[..., str], upload_aws: UploadAws
) -> None:
    # GIVEN an approved upload
    upload_id = in_review()
    first = call_admin("POST", f"/admin/reviews/{upload_id}/approve", body={})
    upload_aws.events()
    # WHEN the approval is repeated (a retry, a double click, another admin)
    again = call_admin("POST", f"/admin/reviews/{upload_id}/approve", body={}, sub=OTHER_ADMIN)
    # THEN the answer is the same decision, and nothing more is published
    assert again[0] == first[0] == 200
    assert again[1]["decision"] == first[1]["decision"]
    assert again[1]["revision"] == first[1]["revision"]
    assert upload_aws.events() == []
    # AND rejecting it now is a conflict naming the decision
    status, body = call_admin(
        "POST", f"/admin/reviews/{upload_id}/reject", body={"reason": "Too late."}
    )
    assert status == 409 and f"approved by {ADMIN}" in body["message"]


@pytest.mark.parametrize("loser", ["approve", "reject"])
def test_two_admins_deciding_at_once_produce_one_outcome(
    call_admin: Admin,
    in_review: Callable[..., str],
    upload_aws: UploadAws,
    admin: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    loser: str,
) -> None:
    # GIVEN an upload in review that the losing admin read before the winner wrote
    # (Lambda runs the two requests in two instances; the stale read stands for the other one)
    upload_id = in_review()
    stale = [admin.store.get(upload_id)]
    winner = "reject" if loser == "approve" else "approve"
    bodies = {"approve": {}, "reject": {"reason": "Not for this marketplace."}}
    won = call_admin("POST", f"/admin/reviews/{upload_id}/{winner}", body=bodies[winner])
    real_get = admin.store.get
    monkeypatch.setattr(admin.store, "get", lambda i: stale.pop() if stale else real_get(i))

    # WHEN the other admin's opposite decision is written on that stale read
    lost = call_admin(
        "POST", f"/admin/reviews/{upload_id}/{loser}", body=bodies[loser], sub=OTHER_ADMIN
    )

    # THEN its conditional write lost: 409 naming the winner; one outcome, one event
    assert won[0] == 200, won
    assert stale == []  # the loser did act on the stale read
    assert lost[0] == 409 and f"by {ADMIN}" in lost[1]["message"], lost
    record = upload_aws.record(upload_id)
    assert record["status"] == ("PUBLISHED" if winner == "approve" else "REJECTED")
    assert record["decision"]["decidedBy"] == ADMIN
    assert record["revision"] == 2  # PENDING -> IN_REVIEW -> one decision
    assert len(upload_aws.events()) == 1


def test_a_withdrawn_upload_cannot_be_decided(
    call_admin: Admin, in_review: Callable[..., str], call_api: Call, upload_aws: UploadAws
) -> None:
    # GIVEN an upload the photographer withdrew while it waited in review
    upload_id = in_review()
    status, _ = call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)
    assert status == 200
    upload_aws.events()
    # WHEN an admin approves it
    status, body = call_admin("POST", f"/admin/reviews/{upload_id}/approve", body={})
    # THEN 409: it is no longer in review; it left the queue; nothing was made public
    assert status == 409 and "WITHDRAWN" in body["message"]
    assert call_admin("GET", "/admin/reviews")[1]["items"] == []
    assert upload_aws.keys(RENDITIONS) == [] and upload_aws.events() == []


# --- review copies: deleted once a decision or a withdrawal is applied -----------------------


def review_copies(upload_aws: UploadAws, upload_id: str) -> list[str]:
    return sorted(k for k in upload_aws.keys(ORIGINALS) if k.startswith(f"review/{upload_id}/"))


def public_copies(upload_id: str) -> list[str]:
    return [f"previews/{upload_id}.jpg", f"thumbnails/{upload_id}.jpg"]


REVIEW_COPIES = ["review/{id}/preview.jpg", "review/{id}/thumbnail.jpg"]


def test_approval_deletes_the_review_copies_and_a_repeat_still_succeeds(
    call_admin: Admin, in_review: Callable[..., str], upload_aws: UploadAws
) -> None:
    # GIVEN an upload in review, its renditions kept privately
    upload_id = in_review()
    assert review_copies(upload_aws, upload_id) == [k.format(id=upload_id) for k in REVIEW_COPIES]
    # WHEN an admin approves it
    status, first = call_admin("POST", f"/admin/reviews/{upload_id}/approve", body={})
    # THEN the public copies exist and the review copies are gone
    assert status == 200, first
    assert sorted(upload_aws.keys(RENDITIONS)) == public_copies(upload_id)
    assert review_copies(upload_aws, upload_id) == []
    assert [event.type for event in upload_aws.events()] == ["image.published"]
    # AND the admin's view links to the public copies, not to the deleted review copies
    assert first["previewUrl"] == f"https://{CDN_DOMAIN}/previews/{upload_id}.jpg"
    assert first.get("linksExpireAt") is None
    # AND repeating the approval (no review copies left) answers the same decision
    status, again = call_admin(
        "POST", f"/admin/reviews/{upload_id}/approve", body={}, sub=OTHER_ADMIN
    )
    assert status == 200, again
    assert again["decision"] == first["decision"] and again["revision"] == first["revision"]
    assert sorted(upload_aws.keys(RENDITIONS)) == public_copies(upload_id)
    assert upload_aws.events() == []


def test_rejection_deletes_the_review_copies(
    call_admin: Admin, in_review: Callable[..., str], upload_aws: UploadAws
) -> None:
    upload_id = in_review()
    status, item = call_admin(
        "POST", f"/admin/reviews/{upload_id}/reject", body={"reason": "Not for sale here."}
    )
    assert status == 200 and item["status"] == "REJECTED", item
    assert review_copies(upload_aws, upload_id) == []
    assert upload_aws.keys(RENDITIONS) == []
    # AND the admin's view no longer links to them
    status, seen = call_admin("GET", f"/admin/reviews/{upload_id}")
    assert status == 200 and seen.get("previewUrl") is None and seen.get("thumbnailUrl") is None
    # AND a repeat answers the same decision
    again = call_admin(
        "POST", f"/admin/reviews/{upload_id}/reject", body={"reason": "Other words."}
    )
    assert again[0] == 200 and again[1]["decision"] == item["decision"]


def test_withdrawing_an_upload_in_review_deletes_its_review_copies(
    in_review: Callable[..., str], upload_aws: UploadAws, call_api: Call
) -> None:
    # GIVEN two uploads in review
    upload_id, other_id = in_review(), in_review()
    # WHEN the photographer withdraws one (and repeats the withdrawal)
    for _ in range(2):
        status, body = call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)
        assert status == 200 and body["status"] == "WITHDRAWN", body
    # THEN its review copies are gone, the other upload's are untouched
    assert review_copies(upload_aws, upload_id) == []
    assert review_copies(upload_aws, other_id) == [k.format(id=other_id) for k in REVIEW_COPIES]
    assert upload_aws.keys(RENDITIONS) == []


def _delete_fails(**_: Any) -> dict[str, Any]:
    raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "DeleteObject")


@pytest.mark.parametrize(
    ("decision", "body"), [("approve", {}), ("reject", {"reason": "Not for sale here."})]
)
def test_a_failed_delete_leaves_the_decision_applied_and_a_repeat_cleans_up(
    call_admin: Admin,
    in_review: Callable[..., str],
    upload_aws: UploadAws,
    admin: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    decision: str,
    body: dict[str, Any],
) -> None:
    # GIVEN an upload in review, and S3 failing to delete (the function dies after the copy)
    upload_id = in_review()
    # WHEN an admin decides
    with monkeypatch.context() as patch, pytest.raises(ClientError):
        patch.setattr(admin.s3(), "delete_object", _delete_fails)
        call_admin("POST", f"/admin/reviews/{upload_id}/{decision}", body=body)
    # THEN the decision is applied: recorded, announced, public copies made if approved
    record = upload_aws.record(upload_id)
    assert record["decision"]["outcome"] == ("APPROVED" if decision == "approve" else "REJECTED")
    assert "pendingEvent" not in record
    assert len(upload_aws.events()) == 1
    expected_public = public_copies(upload_id) if decision == "approve" else []
    assert sorted(upload_aws.keys(RENDITIONS)) == expected_public
    # AND only the review copies are left over
    assert review_copies(upload_aws, upload_id) == [k.format(id=upload_id) for k in REVIEW_COPIES]
    # WHEN S3 recovers and the admin repeats the decision
    status, item = call_admin("POST", f"/admin/reviews/{upload_id}/{decision}", body=body)
    # THEN the same decision, nothing published again, and the review copies are gone
    assert status == 200, item
    assert {k: item["decision"].get(k) for k in record["decision"]} == record["decision"]
    assert upload_aws.events() == []
    assert review_copies(upload_aws, upload_id) == []
    assert sorted(upload_aws.keys(RENDITIONS)) == expected_public


def test_a_repeat_that_read_before_the_winner_settled_succeeds_without_review_copies(
    call_admin: Admin,
    in_review: Callable[..., str],
    upload_aws: UploadAws,
    admin: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN an approval that died after its transition (PUBLISHED, public copies still owed)
    upload_id = in_review()

    def crash(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "later"}}, "CopyObject")

    with monkeypatch.context() as patch, pytest.raises(ClientError):
        patch.setattr(admin.s3(), "copy_object", crash)
        call_admin("POST", f"/admin/reviews/{upload_id}/approve", body={})
    owing = admin.store.get(upload_id)
    assert owing["status"] == "PUBLISHED" and owing["pendingEvent"] == "image.published"
    assert upload_aws.keys(RENDITIONS) == [] and upload_aws.events() == []
    # AND a retry that settled it: public copies, event, review copies deleted
    assert call_admin("POST", f"/admin/reviews/{upload_id}/approve", body={})[0] == 200
    assert review_copies(upload_aws, upload_id) == []
    assert [event.type for event in upload_aws.events()] == ["image.published"]
    # WHEN another retry acts on a read made before that one settled (review copies gone now)
    stale = [owing]
    real_get = admin.store.get
    monkeypatch.setattr(admin.store, "get", lambda i: stale.pop() if stale else real_get(i))
    status, item = call_admin("POST", f"/admin/reviews/{upload_id}/approve", body={})
    # THEN its failed copy is recognised as already done: same decision, nothing republished
    assert stale == []
    assert status == 200, item
    assert {k: item["decision"].get(k) for k in owing["decision"]} == owing["decision"]
    assert sorted(upload_aws.keys(RENDITIONS)) == public_copies(upload_id)
    assert upload_aws.events() == []


# --- an approval racing a withdrawal leaves no public copies -------------------------------


@pytest.mark.parametrize("withdrawal", ["still deleting", "done"])
def test_a_withdrawal_landing_between_approval_and_its_copy_leaves_no_public_copies(
    call_admin: Admin,
    in_review: Callable[..., str],
    upload_aws: UploadAws,
    admin: ModuleType,
    api: ModuleType,
    call_api: Call,
    monkeypatch: pytest.MonkeyPatch,
    withdrawal: str,
) -> None:
    # GIVEN an upload in review, and a withdrawal that lands after the approval's transition
    # and before its copy: recorded and announced, its deletes not run yet ("still deleting":
    # they fail here, as if they came later) or all done (review copies gone too)
    upload_id = in_review()
    copy_object = admin.s3().copy_object
    landed: list[bool] = []

    def withdraw_then_copy(**kwargs: Any) -> Any:
        if not landed:
            landed.append(True)
            assert upload_aws.record(upload_id)["status"] == "PUBLISHED"
            with monkeypatch.context() as patch:
                if withdrawal == "still deleting":
                    patch.setattr(api.s3(), "delete_object", _delete_fails)
                try:
                    call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)
                except ClientError:
                    assert withdrawal == "still deleting"
        return copy_object(**kwargs)

    monkeypatch.setattr(admin.s3(), "copy_object", withdraw_then_copy)
    # WHEN the approval copies to the public bucket
    status, item = call_admin("POST", f"/admin/reviews/{upload_id}/approve", body={})
    # THEN it succeeds, the upload stays withdrawn, and nothing of it is public
    assert status == 200, item
    assert landed and upload_aws.record(upload_id)["status"] == "WITHDRAWN"
    assert upload_aws.keys(RENDITIONS) == []
    assert review_copies(upload_aws, upload_id) == []
