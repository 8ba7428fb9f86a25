"""Image processor: S3 notifications via SQS to published / rejected uploads, against moto."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.services.factories import s3_notification, sqs_event
from tests.services.upload.conftest import (
    ALICE,
    CDN_DOMAIN,
    LICENSED,
    ORIGINALS,
    RENDITIONS,
    Call,
    UploadAws,
)
from tests.services.upload.fakes import EXPLICIT, FakeRekognition
from tests.services.upload.images import TEXT_FILE, truncated_jpeg

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

Uploaded = Callable[..., tuple[str, str]]
Run = Callable[..., dict[str, Any]]


def failed_ids(response: dict[str, Any]) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def test_processor_publishes_a_good_jpeg(
    uploaded: Uploaded, run_processor: Run, upload_aws: UploadAws, photo: bytes
) -> None:
    # GIVEN a pending upload whose original JPEG has arrived
    upload_id, key = uploaded(photo, title="Harbour", tags=["harbour", "boats"])

    # WHEN the processor handles the S3 notification
    response = run_processor(key)

    # THEN renditions are stored with type and caching, the record is PUBLISHED at revision 1
    assert response["batchItemFailures"] == []
    thumbnail = upload_aws.s3.get_object(Bucket=RENDITIONS, Key=f"thumbnails/{upload_id}.jpg")
    assert thumbnail["ContentType"] == "image/jpeg"
    assert "max-age" in thumbnail["CacheControl"]
    assert upload_aws.keys(RENDITIONS) == sorted(
        [f"previews/{upload_id}.jpg", f"thumbnails/{upload_id}.jpg"]
    )
    assert upload_aws.keys(LICENSED) == [f"licensed/{upload_id}.jpg"]
    record = upload_aws.record(upload_id)
    assert record["status"] == "PUBLISHED"
    assert record["revision"] == 1
    assert (record["width"], record["height"]) == (640, 480)
    assert record["palette"] and record["colours"]
    assert "pendingEvent" not in record
    assert "expiration" not in record, "a processed upload must not be forgotten by TTL"
    # AND one image.published (valid against its schema) carries the upload's correlation id
    (event,) = upload_aws.events()
    assert event.type == "image.published"
    assert event.correlation_id == record["correlationId"]
    assert event.data["imageId"] == upload_id
    assert event.data["photographerId"] == ALICE
    assert event.data["revision"] == 1
    assert event.data["title"] == "Harbour"
    assert event.data["tags"] == ["harbour", "boats"]
    assert event.data["thumbnailUrl"] == f"https://{CDN_DOMAIN}/thumbnails/{upload_id}.jpg"
    assert event.data["previewUrl"] == f"https://{CDN_DOMAIN}/previews/{upload_id}.jpg"
    assert event.data["licensedKey"] == f"licensed/{upload_id}.jpg"


@pytest.mark.parametrize("data", [truncated_jpeg(), TEXT_FILE], ids=["truncated", "text"])
def test_processor_rejects_a_corrupt_file_with_a_reason(
    uploaded: Uploaded, run_processor: Run, upload_aws: UploadAws, data: bytes
) -> None:
    # GIVEN an upload whose "JPEG" is damaged or not an image at all
    upload_id, key = uploaded(data)

    # WHEN it is processed
    response = run_processor(key)

    # THEN it is a rejection (not a failure) with a reason, announced by image.rejected
    assert response["batchItemFailures"] == []
    record = upload_aws.record(upload_id)
    assert record["status"] == "REJECTED"
    assert record["revision"] == 1
    assert len(record["reason"]) > 10
    (event,) = upload_aws.events()
    assert event.type == "image.rejected"
    assert event.data["reason"] == record["reason"]
    assert upload_aws.keys(RENDITIONS) == []
    assert upload_aws.keys(LICENSED) == []


def test_processor_rejects_a_file_larger_than_declared(
    uploaded: Uploaded, run_processor: Run, upload_aws: UploadAws, photo: bytes
) -> None:
    # GIVEN an original bigger than the size declared (and signed) for the upload
    upload_id, key = uploaded(photo, sizeBytes=len(photo) - 1)

    # WHEN it is processed
    run_processor(key)

    # THEN it is rejected, saying why
    record = upload_aws.record(upload_id)
    assert record["status"] == "REJECTED"
    assert "larger" in record["reason"]
    assert [event.type for event in upload_aws.events()] == ["image.rejected"]


def test_processor_reprocessing_the_same_object_is_harmless(
    uploaded: Uploaded, run_processor: Run, upload_aws: UploadAws, photo: bytes
) -> None:
    # GIVEN a published upload
    upload_id, key = uploaded(photo)
    run_processor(key)
    assert [event.type for event in upload_aws.events()] == ["image.published"]

    # WHEN the same notification is delivered again (twice in one batch, even)
    response = run_processor(key, key)

    # THEN nothing changes and no second event is published
    assert response["batchItemFailures"] == []
    assert upload_aws.record(upload_id)["revision"] == 1
    assert upload_aws.events() == []


def test_processor_infrastructure_failure_fails_alone(
    uploaded: Uploaded,
    request_upload: Callable[..., dict[str, Any]],
    processor: ModuleType,
    lambda_context: Any,
    upload_aws: UploadAws,
    photo: bytes,
) -> None:
    # GIVEN three good originals and one notification whose object S3 cannot return
    good = [uploaded(photo) for _ in range(3)]
    missing = request_upload(sizeBytes=len(photo))
    keys = [good[0][1], good[1][1], missing["upload"]["fields"]["key"], good[2][1]]
    event = sqs_event(*(s3_notification(ORIGINALS, key) for key in keys))

    # WHEN the batch is processed
    response = processor.lambda_handler(event, lambda_context)

    # THEN only that record is reported for retry; the others are published
    assert failed_ids(response) == [event["Records"][2]["messageId"]]
    assert upload_aws.record(missing["uploadId"])["status"] == "PENDING"
    assert [upload_aws.record(upload_id)["status"] for upload_id, _ in good] == ["PUBLISHED"] * 3
    assert sorted(e.data["imageId"] for e in upload_aws.events()) == sorted(i for i, _ in good)


def test_processor_storage_failure_leaves_the_upload_pending_for_retry(
    uploaded: Uploaded, run_processor: Run, upload_aws: UploadAws, photo: bytes
) -> None:
    # GIVEN an original, and a renditions bucket that has gone missing
    upload_id, key = uploaded(photo)
    upload_aws.s3.delete_bucket(Bucket=RENDITIONS)

    # WHEN it is processed
    # THEN the invocation fails (a batch whose records all failed is retried whole)
    with pytest.raises(BatchProcessingError):
        run_processor(key)

    # AND the upload is not rejected and nothing is announced
    assert upload_aws.record(upload_id)["status"] == "PENDING"
    assert upload_aws.events() == []


def test_processor_publishes_the_event_owed_after_a_crash(
    uploaded: Uploaded,
    run_processor: Run,
    processor: ModuleType,
    upload_aws: UploadAws,
    photo: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a run that recorded PUBLISHED and then could not reach SNS
    upload_id, key = uploaded(photo)

    def sns_down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("SNS unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(processor.publisher, "publish", sns_down)
        with pytest.raises(BatchProcessingError):
            run_processor(key)
    assert upload_aws.record(upload_id)["pendingEvent"] == "image.published"

    # WHEN SQS redelivers the notification
    response = run_processor(key)

    # THEN the owed event is published once, without re-processing
    assert response["batchItemFailures"] == []
    (event,) = upload_aws.events()
    assert event.type == "image.published"
    assert event.data["revision"] == 1
    record = upload_aws.record(upload_id)
    assert record["revision"] == 1
    assert "pendingEvent" not in record


def test_processor_does_not_resurrect_a_withdrawn_upload(
    uploaded: Uploaded, run_processor: Run, call_api: Call, upload_aws: UploadAws, photo: bytes
) -> None:
    # GIVEN an upload withdrawn before the processor got to it
    upload_id, key = uploaded(photo)
    call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)
    assert [event.type for event in upload_aws.events()] == ["image.withdrawn"]

    # WHEN its notification is processed
    response = run_processor(key)

    # THEN it stays withdrawn: no renditions, no image.published
    assert response["batchItemFailures"] == []
    assert upload_aws.record(upload_id)["status"] == "WITHDRAWN"
    assert upload_aws.keys(RENDITIONS) == []
    assert upload_aws.events() == []


def test_processor_loses_to_a_withdrawal_made_while_processing(
    uploaded: Uploaded,
    run_processor: Run,
    processor: ModuleType,
    call_api: Call,
    upload_aws: UploadAws,
    photo: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a withdrawal that lands while the renditions are being made
    upload_id, key = uploaded(photo)
    render = processor.render

    def render_then_withdraw(record: dict[str, Any], object_key: str) -> dict[str, Any]:
        changes = render(record, object_key)
        call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)
        return changes

    monkeypatch.setattr(processor, "render", render_then_withdraw)

    # WHEN the processor tries to record its result
    response = run_processor(key)

    # THEN the withdrawal stands and only image.withdrawn was published
    assert response["batchItemFailures"] == []
    record = upload_aws.record(upload_id)
    assert record["status"] == "WITHDRAWN"
    assert record["revision"] == 1
    assert [event.type for event in upload_aws.events()] == ["image.withdrawn"]


@pytest.mark.parametrize("winner", ["withdrawal", "another run"])
def test_review_copies_of_a_lost_race_go_unless_the_winner_needs_them(
    uploaded: Uploaded,
    run_processor: Run,
    load_processor: Callable[..., ModuleType],
    call_api: Call,
    upload_aws: UploadAws,
    photo: bytes,
    monkeypatch: pytest.MonkeyPatch,
    winner: str,
) -> None:
    # GIVEN a flagged image (its renditions go to review copies) and, while they are made,
    # a withdrawal or another run of the same notification that holds it for review
    processor = load_processor(REKOGNITION_MODERATION="true")
    from services.upload import labels

    monkeypatch.setattr(labels, "client", lambda: FakeRekognition(EXPLICIT))
    upload_id, key = uploaded(photo)
    render = processor.render
    nested: list[str] = []

    def render_then_lose(record: dict[str, Any], object_key: str) -> Any:
        changes = render(record, object_key)
        if not nested:
            nested.append(winner)
            if winner == "withdrawal":
                call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)
            else:
                run_processor(key)
        return changes

    monkeypatch.setattr(processor, "render", render_then_lose)

    # WHEN the first run tries to record IN_REVIEW
    response = run_processor(key)

    # THEN it lost; a withdrawn upload keeps no review copies, one waiting in review keeps them
    assert response["batchItemFailures"] == []
    record = upload_aws.record(upload_id)
    review_keys = sorted(k for k in upload_aws.keys(ORIGINALS) if k.startswith("review/"))
    if winner == "withdrawal":
        assert record["status"] == "WITHDRAWN" and review_keys == []
    else:
        assert record["status"] == "IN_REVIEW" and record["revision"] == 1
        assert review_keys == [
            f"review/{upload_id}/preview.jpg",
            f"review/{upload_id}/thumbnail.jpg",
        ]


def test_processor_ignores_test_events_and_stray_objects(
    processor: ModuleType, lambda_context: Any, upload_aws: UploadAws
) -> None:
    # GIVEN S3's setup test event, a key outside originals/, and an original nobody requested
    stray = "originals/YWxpY2UtMDAwMQ/6f1c2b1e-8a55-4c3e-9f57-0c2d6f3a9b10"
    upload_aws.s3.put_object(Bucket=ORIGINALS, Key=stray, Body=b"x")
    event = sqs_event(
        {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": ORIGINALS},
        s3_notification(ORIGINALS, "elsewhere/file.jpg"),
        s3_notification(ORIGINALS, stray),
    )

    # WHEN they are processed
    response = processor.lambda_handler(event, lambda_context)

    # THEN none is a failure and nothing is published
    assert response["batchItemFailures"] == []
    assert upload_aws.events() == []


def test_processor_fails_a_message_that_is_not_an_s3_notification(
    processor: ModuleType, lambda_context: Any
) -> None:
    # GIVEN a message that is not an S3 notification
    event = sqs_event({"hello": "world"}, "not json")

    # WHEN it is processed
    # THEN both records fail (to the DLQ, where they are visible) rather than vanish
    with pytest.raises(BatchProcessingError, match="2 individual errors"):
        processor.lambda_handler(event, lambda_context)


def test_created_objects_decodes_keys_and_skips_other_events(processor: ModuleType) -> None:
    # GIVEN a notification with an encoded key and a non-create record
    body = s3_notification(ORIGINALS, "originals/a%2Bb/my+photo.jpg")
    body["Records"].append({**body["Records"][0], "eventName": "ObjectRemoved:Delete"})

    # WHEN its objects are read
    created = processor.created_objects(body)

    # THEN the one created key is decoded (%2B is "+", "+" is a space)
    assert created == [processor.CreatedObject(ORIGINALS, "originals/a+b/my photo.jpg")]


# --- Rekognition -----------------------------------------------------------------------------


def test_processor_adds_rekognition_labels_when_switched_on(
    uploaded: Uploaded,
    run_processor: Run,
    load_processor: Callable[..., ModuleType],
    upload_aws: UploadAws,
    photo: bytes,
) -> None:
    # GIVEN label detection switched on (moto answers with its canned label)
    load_processor(REKOGNITION_LABELS="true")
    upload_id, key = uploaded(photo)

    # WHEN the upload is processed
    run_processor(key)

    # THEN the labels are recorded and published
    assert upload_aws.record(upload_id)["labels"] == ["mobile phone"]
    (event,) = upload_aws.events()
    assert event.data["labels"] == ["mobile phone"]


def test_processor_moderation_sends_flagged_content_to_review(
    uploaded: Uploaded,
    run_processor: Run,
    load_processor: Callable[..., ModuleType],
    upload_aws: UploadAws,
    photo: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN moderation switched on and Rekognition finding explicit nudity
    load_processor(REKOGNITION_MODERATION="true")
    from services.upload import labels

    fake = FakeRekognition(EXPLICIT)
    monkeypatch.setattr(labels, "client", lambda: fake)
    upload_id, key = uploaded(photo)

    # WHEN the upload is processed
    run_processor(key)

    # THEN it waits IN_REVIEW with the reason and the findings, in the review queue
    assert fake.calls == ["detect_moderation_labels"]
    record = upload_aws.record(upload_id)
    assert record["status"] == "IN_REVIEW"
    assert "explicit nudity" in record["reviewReason"]
    assert [f["name"] for f in record["moderationFindings"]] == [
        "Explicit Nudity",
        "Graphic Male Nudity",
    ]
    assert record["gsi2pk"] == "REVIEW" and record["gsi2sk"] == record["inReviewAt"]
    # AND nothing is announced and nothing is where the public CDN serves
    assert upload_aws.events() == []
    assert upload_aws.keys(RENDITIONS) == []
    assert "previewUrl" not in record and "thumbnailUrl" not in record
    # AND its renditions exist, privately: review copies and the licensed copy
    review_keys = [k for k in upload_aws.keys(ORIGINALS) if k.startswith("review/")]
    assert sorted(review_keys) == [
        f"review/{upload_id}/preview.jpg",
        f"review/{upload_id}/thumbnail.jpg",
    ]
    assert upload_aws.keys(LICENSED) == [record["licensedKey"]]


@pytest.mark.parametrize(
    ("switch", "moderation_labels", "calls"),
    [
        ("true", [{"Name": "Swimwear or Underwear", "ParentName": "", "Confidence": 90.0}], 1),
        ("false", EXPLICIT, 0),
    ],
    ids=["harmless-labels", "switched-off"],
)
def test_processor_moderation_publishes_when_nothing_blocks(
    uploaded: Uploaded,
    run_processor: Run,
    load_processor: Callable[..., ModuleType],
    upload_aws: UploadAws,
    photo: bytes,
    monkeypatch: pytest.MonkeyPatch,
    switch: str,
    moderation_labels: list[dict[str, Any]],
    calls: int,
) -> None:
    # GIVEN moderation that finds nothing blocking, or is switched off
    load_processor(REKOGNITION_MODERATION=switch)
    from services.upload import labels

    fake = FakeRekognition(moderation_labels)
    monkeypatch.setattr(labels, "client", lambda: fake)
    upload_id, key = uploaded(photo)

    # WHEN the upload is processed
    run_processor(key)

    # THEN it is published, having asked Rekognition only when switched on
    assert upload_aws.record(upload_id)["status"] == "PUBLISHED"
    assert fake.calls == ["detect_moderation_labels"] * calls


@pytest.mark.parametrize(
    ("moderation_labels", "blocked"),
    [
        ([], None),
        ([{"Name": "Alcohol", "ParentName": ""}], None),
        ([{"Name": "Graphic Violence", "ParentName": "Violence"}], "violence"),
        (
            [{"Name": "Explicit", "ParentName": ""}, {"Name": "Hate Symbols", "ParentName": ""}],
            "explicit, hate symbols",
        ),
    ],
)
def test_review_reason_names_blocked_categories_only(
    moderation_labels: list[dict[str, Any]], blocked: str | None
) -> None:
    # GIVEN a moderation response
    from services.upload import labels

    # WHEN its findings are judged
    reason = labels.review_reason(labels.findings({"ModerationLabels": moderation_labels}))

    # THEN only blocked categories (at any level) send the image to review, and are named
    if blocked is None:
        assert reason is None
    else:
        assert reason is not None and f"possible {blocked} content" in reason
