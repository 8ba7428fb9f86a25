"""A photographer's withdrawal takes the image's public renditions down (thumbnail and
preview in the renditions bucket, which the public CDN serves) and leaves the licensed copy
(buyers keep what they bought); also when the processor raced the withdrawal and lost."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.services.upload.conftest import ALICE, LICENSED, RENDITIONS, Call, UploadAws

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

Uploaded = Callable[..., tuple[str, str]]
Run = Callable[..., dict[str, Any]]


def public_renditions(upload_aws: UploadAws, upload_id: str) -> list[str]:
    return sorted(k for k in upload_aws.keys(RENDITIONS) if k.endswith(f"/{upload_id}.jpg"))


def published(uploaded: Uploaded, run_processor: Run, upload_aws: UploadAws, photo: bytes) -> str:
    upload_id, key = uploaded(photo)
    run_processor(key)
    assert upload_aws.record(upload_id)["status"] == "PUBLISHED"
    assert public_renditions(upload_aws, upload_id) == [
        f"previews/{upload_id}.jpg",
        f"thumbnails/{upload_id}.jpg",
    ]
    return upload_id


def test_withdrawing_a_published_upload_removes_its_public_renditions_only(
    uploaded: Uploaded, run_processor: Run, call_api: Call, upload_aws: UploadAws, photo: bytes
) -> None:
    # GIVEN two published uploads, each with public renditions and a licensed copy
    upload_id = published(uploaded, run_processor, upload_aws, photo)
    other_id = published(uploaded, run_processor, upload_aws, photo)
    licensed = sorted(upload_aws.keys(LICENSED))
    assert len(licensed) == 2
    # WHEN the photographer withdraws one, and repeats the withdrawal
    for _ in range(2):
        status, body = call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)
        assert status == 200 and body["status"] == "WITHDRAWN", body
    # THEN its thumbnail and preview are gone; the other upload's stay; licensed copies stay
    assert public_renditions(upload_aws, upload_id) == []
    assert public_renditions(upload_aws, other_id) == [
        f"previews/{other_id}.jpg",
        f"thumbnails/{other_id}.jpg",
    ]
    assert sorted(upload_aws.keys(LICENSED)) == licensed
    assert [event.type for event in upload_aws.events()] == [
        "image.published",
        "image.published",
        "image.withdrawn",
    ]


def test_a_failed_delete_fails_the_withdrawal_and_its_repeat_removes_the_renditions(
    uploaded: Uploaded,
    run_processor: Run,
    call_api: Call,
    api: ModuleType,
    upload_aws: UploadAws,
    photo: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a published upload, and S3 failing to delete
    upload_id = published(uploaded, run_processor, upload_aws, photo)
    upload_aws.events()

    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "DeleteObject")

    # WHEN the photographer withdraws it
    with monkeypatch.context() as patch, pytest.raises(ClientError):
        patch.setattr(api.s3(), "delete_object", fail)
        call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)
    # THEN the request fails after the withdrawal stands and is announced
    assert upload_aws.record(upload_id)["status"] == "WITHDRAWN"
    assert [event.type for event in upload_aws.events()] == ["image.withdrawn"]
    assert len(public_renditions(upload_aws, upload_id)) == 2
    # WHEN S3 recovers and the photographer retries
    status, body = call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)
    # THEN the renditions are gone and nothing is announced again
    assert status == 200 and body["status"] == "WITHDRAWN"
    assert public_renditions(upload_aws, upload_id) == []
    assert upload_aws.events() == []


@pytest.mark.parametrize("winner", ["withdrawal", "another run"])
def test_the_processors_lost_race_leaves_public_renditions_only_if_the_winner_published(
    uploaded: Uploaded,
    run_processor: Run,
    processor: ModuleType,
    call_api: Call,
    upload_aws: UploadAws,
    photo: bytes,
    monkeypatch: pytest.MonkeyPatch,
    winner: str,
) -> None:
    # GIVEN a withdrawal (its deletes included) or another run of the same notification that
    # completes after the processor read the upload as PENDING and before it stores the public
    # renditions
    upload_id, key = uploaded(photo)
    store_renditions = processor.store_renditions
    nested: list[str] = []

    def win_then_store(*args: Any, **kwargs: Any) -> dict[str, str]:
        if not nested:
            nested.append(winner)
            if winner == "withdrawal":
                assert call_api("DELETE", f"/uploads/{upload_id}", sub=ALICE)[0] == 200
            else:
                run_processor(key)
        return store_renditions(*args, **kwargs)

    monkeypatch.setattr(processor, "store_renditions", win_then_store)
    # WHEN the processor stores them and loses its conditional write
    response = run_processor(key)
    # THEN a withdrawn upload has no public renditions; the winning run's (same keys) stay
    assert response["batchItemFailures"] == []
    record = upload_aws.record(upload_id)
    if winner == "withdrawal":
        assert record["status"] == "WITHDRAWN"
        assert public_renditions(upload_aws, upload_id) == []
        assert [event.type for event in upload_aws.events()] == ["image.withdrawn"]
    else:
        assert record["status"] == "PUBLISHED"
        assert public_renditions(upload_aws, upload_id) == [
            f"previews/{upload_id}.jpg",
            f"thumbnails/{upload_id}.jpg",
        ]
