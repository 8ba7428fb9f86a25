"""Upload API: POST/GET/DELETE /uploads against moto."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
import requests

from services.upload import uploads
from tests.services.upload.conftest import (
    ALICE,
    BOB,
    MAX_UPLOAD_BYTES,
    ORIGINALS,
    Call,
    UploadAws,
    upload_request,
)

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

RequestUpload = Callable[..., dict[str, Any]]


def policy_of(created: dict[str, Any]) -> dict[str, Any]:
    return json.loads(base64.b64decode(created["upload"]["fields"]["policy"]))


# --- POST /uploads ---------------------------------------------------------------------------


def test_create_upload_returns_presigned_post_limited_to_size_and_type(
    call_api: Call, upload_aws: UploadAws
) -> None:
    # GIVEN a photographer declaring a 123 456 byte PNG
    body = upload_request(contentType="image/png", sizeBytes=123_456)

    # WHEN they request an upload
    status, created = call_api("POST", "/uploads", sub=ALICE, body=body)

    # THEN the POST policy pins the key under their prefix, the type and the size range
    assert status == 201, created
    upload_id = created["uploadId"]
    assert uploads.is_upload_id(upload_id)
    fields = created["upload"]["fields"]
    assert fields["key"] == f"originals/{uploads.owner_segment(ALICE)}/{upload_id}"
    assert fields["Content-Type"] == "image/png"
    conditions = policy_of(created)["conditions"]
    assert ["content-length-range", 1, 123_456] in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert {"key": fields["key"]} in conditions
    assert {"bucket": ORIGINALS} in conditions
    assert created["expiresAt"].endswith("Z")


def test_create_upload_records_a_pending_upload(call_api: Call, upload_aws: UploadAws) -> None:
    # GIVEN a request carrying a correlation id
    headers = {"x-correlation-id": "corr-create-1"}

    # WHEN a photographer requests an upload
    _, created = call_api("POST", "/uploads", sub=ALICE, body=upload_request(), headers=headers)

    # THEN the record is PENDING at revision 0, indexed by owner, with the correlation id
    item = upload_aws.record(created["uploadId"])
    assert item["status"] == "PENDING"
    assert item["revision"] == 0
    assert item["gsi1pk"] == f"OWNER#{ALICE}"
    assert item["gsi1sk"] == item["createdAt"]
    assert item["correlationId"] == "corr-create-1"
    assert item["tags"] == ["kayak", "lake", "summer"]
    # AND it is forgotten (TTL) about a week after its upload URL expired, if no file arrives
    week = 7 * 24 * 3600
    assert time.time() + week < item["expiration"] < time.time() + week + 3600


def test_create_upload_presigned_post_accepts_the_file(
    request_upload: RequestUpload, upload_aws: UploadAws
) -> None:
    # GIVEN a presigned POST for a small JPEG
    data = b"\xff\xd8" + b"x" * 98
    created = request_upload(sizeBytes=len(data))

    # WHEN the browser posts the form with the file (moto intercepts requests in-process)
    form = created["upload"]
    response = requests.post(
        form["url"], data=form["fields"], files={"file": ("a.jpg", data, "image/jpeg")}, timeout=5
    )

    # THEN the original lands at the upload's key
    assert response.status_code in (200, 201, 204)
    stored = upload_aws.s3.get_object(Bucket=ORIGINALS, Key=form["fields"]["key"])
    assert stored["Body"].read() == data


def test_create_upload_keeps_unsafe_subjects_inside_their_prefix(
    request_upload: RequestUpload,
) -> None:
    # GIVEN a subject with characters that would escape or confuse an S3 prefix
    subject = "auth0|../x y/ü"

    # WHEN that user requests an upload
    created = request_upload(sub=subject)

    # THEN the key segment is URL-safe and reads back as the subject
    key = created["upload"]["fields"]["key"]
    assert key.count("/") == 2
    assert uploads.parse_original_key(key) == uploads.OriginalKey(subject, created["uploadId"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "   "),
        ("title", "x" * 121),
        ("title", "tab\tinside"),
        ("tags", []),
        ("tags", [f"t{i}" for i in range(21)]),
        ("tags", ["Kayak"]),
        ("tags", ["two words"]),
        ("tags", ["x" * 33]),
        ("tags", "kayak"),
        ("priceCents", 49),
        ("priceCents", 1_000_001),
        ("priceCents", "1500"),
        ("priceCents", 15.5),
        ("currency", "XYZ"),
        ("currency", "eur"),
        ("contentType", "image/gif"),
        ("sizeBytes", 0),
        ("sizeBytes", MAX_UPLOAD_BYTES + 1),
        ("sizeBytes", None),
    ],
)
def test_create_upload_rejects_invalid_field(call_api: Call, field: str, value: Any) -> None:
    # GIVEN an otherwise valid request with one bad field
    body = upload_request(**{field: value})

    # WHEN it is posted
    status, response = call_api("POST", "/uploads", sub=ALICE, body=body)

    # THEN it is a 400 whose message names the field
    assert status == 400, response
    assert field in response["message"]


def test_create_upload_rejects_a_missing_field(call_api: Call) -> None:
    # GIVEN a request without a title
    body = upload_request()
    del body["title"]

    # WHEN it is posted
    status, response = call_api("POST", "/uploads", sub=ALICE, body=body)

    # THEN the 400 names the missing field
    assert status == 400
    assert "title" in response["message"]


def test_create_upload_rejects_a_body_that_is_not_json(call_api: Call) -> None:
    # GIVEN a body that is not JSON
    # WHEN it is posted
    status, response = call_api("POST", "/uploads", sub=ALICE, body="{not json")

    # THEN the client is told, with a 4xx
    assert status == 400
    assert response["message"]


def test_create_upload_drops_duplicate_tags(call_api: Call, upload_aws: UploadAws) -> None:
    # GIVEN tags with a repetition (event schemas require unique tags)
    body = upload_request(tags=["lake", "kayak", "lake"])

    # WHEN it is posted
    _, created = call_api("POST", "/uploads", sub=ALICE, body=body)

    # THEN the record keeps each tag once, in order
    assert upload_aws.record(created["uploadId"])["tags"] == ["lake", "kayak"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/uploads"), ("GET", "/uploads"), ("GET", "/uploads/x"), ("DELETE", "/uploads/x")],
)
def test_routes_require_a_signed_in_user(call_api: Call, method: str, path: str) -> None:
    # GIVEN a request without JWT claims
    body = upload_request() if method == "POST" else None

    # WHEN it reaches the handler
    status, response = call_api(method, path, body=body)

    # THEN it is refused
    assert status == 401
    assert "sub" in response["message"]


# --- GET /uploads, GET /uploads/{id} ---------------------------------------------------------


def test_list_uploads_returns_only_own_newest_first(
    call_api: Call, request_upload: RequestUpload
) -> None:
    # GIVEN two uploads by Alice and one by Bob
    first = request_upload(sub=ALICE, title="first")["uploadId"]
    request_upload(sub=BOB, title="bob's")
    second = request_upload(sub=ALICE, title="second")["uploadId"]

    # WHEN Alice lists her uploads
    status, page = call_api("GET", "/uploads", sub=ALICE)

    # THEN she sees exactly hers, newest first, without internal fields
    assert status == 200
    assert [item["uploadId"] for item in page["items"]] == [second, first]
    assert page["nextCursor"] is None
    assert "ownerId" not in page["items"][0]
    assert "pk" not in page["items"][0]


def test_list_uploads_paginates_with_an_opaque_cursor(
    call_api: Call, request_upload: RequestUpload
) -> None:
    # GIVEN five uploads
    ids = [request_upload(title=f"photo {i}")["uploadId"] for i in range(5)]

    # WHEN they are listed two at a time
    seen: list[str] = []
    query: dict[str, str] = {"limit": "2"}
    for _ in range(5):
        status, page = call_api("GET", "/uploads", sub=ALICE, query=query)
        assert status == 200
        seen += [item["uploadId"] for item in page["items"]]
        if not page["nextCursor"]:
            break
        query = {"limit": "2", "cursor": page["nextCursor"]}

    # THEN every upload comes exactly once, newest first
    assert seen == list(reversed(ids))


def test_list_uploads_rejects_a_cursor_of_another_owner(
    call_api: Call, request_upload: RequestUpload
) -> None:
    # GIVEN a cursor forged to point into Bob's listing
    request_upload(sub=BOB)
    forged = uploads.encode_cursor(
        {"pk": "UPLOAD#x", "sk": "UPLOAD", "gsi1pk": f"OWNER#{BOB}", "gsi1sk": "2026"}
    )

    # WHEN Alice uses it
    status, response = call_api("GET", "/uploads", sub=ALICE, query={"cursor": forged})

    # THEN it is a 400 naming the cursor
    assert status == 400
    assert "cursor" in response["message"]


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "e30"},
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "x"},
    ],
)
def test_list_uploads_rejects_bad_query_parameters(call_api: Call, query: dict[str, str]) -> None:
    # GIVEN a malformed query parameter
    # WHEN the listing is requested
    status, response = call_api("GET", "/uploads", sub=ALICE, query=query)

    # THEN it is a 400 naming the parameter
    assert status == 400
    assert next(iter(query)) in response["message"]


def test_get_upload_returns_own_upload(call_api: Call, request_upload: RequestUpload) -> None:
    # GIVEN Alice's upload
    upload_id = request_upload(sub=ALICE, title="Harbour at dawn")["uploadId"]

    # WHEN she reads it
    status, upload = call_api(
        "GET", f"/uploads/{upload_id}", sub=ALICE, path_parameters={"id": upload_id}
    )

    # THEN she sees its declared fields and status
    assert status == 200
    assert upload["uploadId"] == upload_id
    assert upload["title"] == "Harbour at dawn"
    assert upload["status"] == "PENDING"
    assert upload["revision"] == 0


@pytest.mark.parametrize("path_id", ["other", "unknown", "not-a-uuid"])
def test_get_upload_of_another_user_or_unknown_is_not_found(
    call_api: Call, request_upload: RequestUpload, path_id: str
) -> None:
    # GIVEN Bob's upload, an unknown uuid and a malformed id
    upload_id = {
        "other": request_upload(sub=BOB)["uploadId"],
        "unknown": "6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10",
        "not-a-uuid": "x" * 3000,
    }[path_id]

    # WHEN Alice asks for it
    status, response = call_api("GET", f"/uploads/{upload_id}", sub=ALICE)

    # THEN it does not exist for her
    assert status == 404
    assert "not found" in response["message"]


# --- DELETE /uploads/{id} --------------------------------------------------------------------


def test_withdraw_upload_publishes_withdrawn_event(
    call_api: Call, request_upload: RequestUpload, upload_aws: UploadAws
) -> None:
    # GIVEN Alice's upload
    upload_id = request_upload(sub=ALICE)["uploadId"]

    # WHEN she withdraws it
    status, upload = call_api(
        "DELETE", f"/uploads/{upload_id}", sub=ALICE, headers={"x-correlation-id": "corr-del"}
    )

    # THEN it is WITHDRAWN at the next revision and one valid image.withdrawn says so
    assert status == 200
    assert upload["status"] == "WITHDRAWN"
    assert upload["revision"] == 1
    (event,) = upload_aws.events()
    assert event.type == "image.withdrawn"
    assert event.source == "upload"
    assert event.correlation_id == "corr-del"
    assert event.data["imageId"] == upload_id
    assert event.data["photographerId"] == ALICE
    assert event.data["revision"] == 1
    assert "pendingEvent" not in upload_aws.record(upload_id)


def test_withdraw_upload_twice_publishes_once(
    call_api: Call, request_upload: RequestUpload, upload_aws: UploadAws
) -> None:
    # GIVEN a withdrawn upload
    upload_id = request_upload(sub=ALICE)["uploadId"]
    call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)

    # WHEN it is withdrawn again
    status, upload = call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)

    # THEN the answer is the same and only one event was published
    assert status == 200
    assert upload["status"] == "WITHDRAWN"
    assert upload["revision"] == 1
    assert [e.type for e in upload_aws.events()] == ["image.withdrawn"]


def test_withdraw_upload_of_another_user_is_not_found(
    call_api: Call, request_upload: RequestUpload, upload_aws: UploadAws
) -> None:
    # GIVEN Bob's upload
    upload_id = request_upload(sub=BOB)["uploadId"]

    # WHEN Alice tries to withdraw it
    status, _ = call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)

    # THEN it is a 404 and nothing changed
    assert status == 404
    assert upload_aws.record(upload_id)["status"] == "PENDING"
    assert upload_aws.events() == []


def test_withdraw_upload_pays_the_event_a_crashed_attempt_owes(
    api: ModuleType,
    call_api: Call,
    request_upload: RequestUpload,
    upload_aws: UploadAws,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a withdrawal that died after its write, before publishing (SNS down)
    upload_id = request_upload(sub=ALICE)["uploadId"]

    def sns_down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("SNS unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(api.publisher, "publish", sns_down)
        with pytest.raises(ConnectionError):
            call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)
    assert upload_aws.record(upload_id)["pendingEvent"] == "image.withdrawn"

    # WHEN the photographer retries
    status, upload = call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)

    # THEN the owed event is published exactly once, for the one withdrawal
    assert status == 200
    assert upload["revision"] == 1
    (event,) = upload_aws.events()
    assert event.type == "image.withdrawn"
    assert event.data["revision"] == 1
    assert "pendingEvent" not in upload_aws.record(upload_id)


# --- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "originals/YWxpY2U/not-a-uuid",
        "originals/YWxpY2U/6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10/extra",
        "originals/bad%segment/6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10",
        "originals//6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10",
        "thumbnails/YWxpY2U/6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10",
        "originals/_w/6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10",
    ],
)
def test_parse_original_key_refuses_other_keys(key: str) -> None:
    # GIVEN a key that the API never hands out
    # WHEN it is parsed
    parsed = uploads.parse_original_key(key)

    # THEN it names no upload
    assert parsed is None


def test_parse_original_key_reads_back_what_original_key_built() -> None:
    # GIVEN the key built for a subject and an upload id
    key = uploads.original_key("google-oauth2|1234", "6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10")

    # WHEN it is parsed
    parsed = uploads.parse_original_key(key)

    # THEN both parts come back
    assert parsed == uploads.OriginalKey(
        "google-oauth2|1234", "6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10"
    )
