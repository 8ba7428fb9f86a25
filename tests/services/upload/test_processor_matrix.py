"""The processor publishes or rejects every kind of image in the matrix; it never fails on one.

An exception other than a rejection would make SQS retry the upload into the DLQ, so valid
images of an odd mode would never be published. One case per (format, mode, transparency,
profile) kind that Pillow writes (`matrix.kinds`), orientations and shapes dealt round-robin
across them so each of the 8 orientations and 4 shapes is used several times; the full cross
product runs against `process_image` in `test_pipeline_matrix.py`, without AWS. The cases of a
format arrive as one SQS batch (a record each), which also shows that none fails the others.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from services.upload.pipeline import CONTENT_TYPES
from tests.services.upload import matrix
from tests.services.upload.conftest import LICENSED, UploadAws
from tests.services.upload.test_pipeline_stray_bytes import STRAY, clean_licensed, with_stray_bytes

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")

Uploaded = Callable[..., tuple[str, str]]
Run = Callable[..., dict[str, Any]]

DEALT = zip(
    matrix.kinds(),
    itertools.cycle(matrix.ORIENTATIONS),
    itertools.cycle(matrix.SHAPES),
    strict=False,
)
CASES = [matrix.Case(*kind, orientation, shape) for kind, orientation, shape in DEALT]


def upload_all(uploaded: Uploaded, files: dict[str, tuple[bytes, str]]) -> dict[str, str]:
    """Upload each named (data, content type); name -> (upload id, key)."""
    return {name: uploaded(data, content_type=kind) for name, (data, kind) in files.items()}


@pytest.mark.parametrize("image_format", matrix.FORMATS)
def test_processor_publishes_every_kind_of_valid_image(
    uploaded: Uploaded, run_processor: Run, upload_aws: UploadAws, image_format: str
) -> None:
    # GIVEN uploads whose originals are valid images of every kind of this format
    cases = {case.id: case for case in CASES if case.image_format == image_format}
    files = {
        name: (matrix.encoded(case), CONTENT_TYPES[image_format]) for name, case in cases.items()
    }
    ids = upload_all(uploaded, files)

    # WHEN the processor handles their notifications in one batch
    response = run_processor(*(key for _, key in ids.values()))

    # THEN no record fails, and each upload is published at its displayed size
    assert response["batchItemFailures"] == []
    for name, (upload_id, _) in ids.items():
        record = upload_aws.record(upload_id)
        assert record["status"] == "PUBLISHED", (name, record.get("reason"))
        assert (record["width"], record["height"]) == cases[name].shape, name
    events = upload_aws.events()
    assert sorted(event.type for event in events) == ["image.published"] * len(cases)
    assert len(upload_aws.keys(LICENSED)) == len(cases)


def test_processor_publishes_jpegs_with_stray_bytes_between_segments(
    uploaded: Uploaded, run_processor: Run, upload_aws: UploadAws
) -> None:
    # GIVEN JPEGs with stray bytes of each kind before their frame header
    files = {kind: (with_stray_bytes(3, stray), "image/jpeg") for kind, stray in STRAY.items()}
    ids = upload_all(uploaded, files)

    # WHEN processed
    response = run_processor(*(key for _, key in ids.values()))

    # THEN each is published, its licensed copy in the bucket the clean photo's, stray-free
    assert response["batchItemFailures"] == []
    for kind, (upload_id, _) in ids.items():
        record = upload_aws.record(upload_id)
        assert record["status"] == "PUBLISHED", (kind, record.get("reason"))
        stored = upload_aws.s3.get_object(Bucket=LICENSED, Key=record["licensedKey"])
        assert stored["Body"].read() == clean_licensed(), kind


def test_processor_rejects_damaged_images_of_every_format_with_a_reason(
    uploaded: Uploaded, run_processor: Run, upload_aws: UploadAws
) -> None:
    # GIVEN originals of several kinds that lost their second half in transit
    cases = {case.id: case for case in CASES[::7]}
    files = {
        name: (
            matrix.encoded(case)[: len(matrix.encoded(case)) // 2],
            CONTENT_TYPES[case.image_format],
        )
        for name, case in cases.items()
    }
    assert {case.image_format for case in cases.values()} == set(matrix.FORMATS)
    ids = upload_all(uploaded, files)

    # WHEN processed
    response = run_processor(*(key for _, key in ids.values()))

    # THEN each is rejected (not retried), saying the file is incomplete or damaged
    assert response["batchItemFailures"] == []
    for name, (upload_id, _) in ids.items():
        record = upload_aws.record(upload_id)
        assert record["status"] == "REJECTED", name
        assert "incomplete or damaged" in record["reason"], name
    assert {event.type for event in upload_aws.events()} == {"image.rejected"}
