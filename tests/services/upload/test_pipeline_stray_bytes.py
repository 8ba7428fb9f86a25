"""JPEGs with stray bytes between marker segments: as tolerant as the decoder, never copied.

Photoshop and some scanners leave bytes between segments; libjpeg skips them to the next marker
with a warning, and so does Pillow. The cases are generated: every gap between the segments
of a photo carrying private metadata (before the first scan) x several kinds of stray bytes.
What Pillow decodes must be published with a licensed copy that holds the original's pixels
and none of the stray bytes; what Pillow refuses must be rejected as damaged.
"""

from __future__ import annotations

import functools
import io
import itertools
import struct

import pytest
from PIL import Image

from services.upload.pipeline import ImageRejected, process_image
from services.upload.pipeline.jpeg_segments import strip_jpeg
from services.upload.pipeline.validation import DECODE_ERRORS
from tests.services.upload import images

STRAY = {
    "text": b"STRAY-BYTES-0451",
    "zeros": b"\x00" * 7,
    "stuffed-ff": b"\x17\xff\x00\x2a\xff\x00",
    "fill-ff": b"\xff\xff\xff",
    "single": b"\x5a",
}
"""Kinds of bytes found between segments; `fill-ff` is legal padding, the others are not."""
SOS = 0xDA


@functools.cache
def photo() -> bytes:
    """A photo with JFIF, EXIF (GPS, serial, maker note), XMP, a comment and IPTC."""
    return images.photo_with_private_metadata(images.natural_image(64, 48), orientation=6)


def segment_starts(jpeg: bytes) -> list[int]:
    """Where each segment after SOI starts, up to and including the first scan's SOS."""
    starts, position = [], 2
    while True:
        starts.append(position)
        marker, length = jpeg[position + 1], struct.unpack_from(">H", jpeg, position + 2)[0]
        if marker == SOS:
            return starts
        position += 2 + length


def with_stray_bytes(gap: int, stray: bytes) -> bytes:
    data = photo()
    start = segment_starts(data)[gap]
    return data[:start] + stray + data[start:]


def pillow_pixels(data: bytes) -> bytes | None:
    """What Pillow decodes from `data`, or None when it refuses it."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except DECODE_ERRORS:
        return None
    return image.tobytes()


@functools.cache
def clean_licensed() -> bytes:
    licensed = process_image(photo()).licensed
    assert images.CAMERA_SERIAL.encode() not in licensed
    assert Image.open(io.BytesIO(licensed)).getexif().get(images.ORIENTATION) == 6
    return licensed


GAPS = range(len(segment_starts(photo())))
CASES = list(itertools.product(GAPS, STRAY))


@pytest.mark.parametrize(("gap", "kind"), CASES, ids=[f"gap{g}-{k}" for g, k in CASES])
def test_process_image_is_as_tolerant_of_stray_bytes_as_pillow(gap: int, kind: str) -> None:
    # GIVEN a photo with stray bytes before one of its segments
    data = with_stray_bytes(gap, STRAY[kind])
    decoded = pillow_pixels(data)

    # WHEN processed
    try:
        result = process_image(data)
    except ImageRejected as rejection:
        # THEN a file Pillow refuses is rejected as a damaged JPEG ...
        assert decoded is None, f"Pillow decodes it, but it was rejected: {rejection.reason}"
        assert rejection.code == "corrupt"
        assert "JPEG file is incomplete or damaged" in rejection.reason
        return

    # ... and one Pillow decodes is published, its licensed copy byte for byte the clean
    # photo's: the same scan, the orientation, no stray byte and no private metadata
    assert decoded == pillow_pixels(photo())
    assert result.licensed == clean_licensed()
    assert (result.width, result.height) == (48, 64)


def test_strip_jpeg_skips_stray_bytes_to_the_next_marker() -> None:
    # GIVEN a photo with stray bytes before every one of its segments
    clean = photo()
    starts = segment_starts(clean)
    pieces = [clean[a:b] for a, b in itertools.pairwise([0, *starts, len(clean)])]
    data = STRAY["text"].join(pieces)

    # WHEN stripped
    stripped = strip_jpeg(data)

    # THEN the result is what stripping the clean photo gives, byte for byte
    assert stripped == strip_jpeg(clean)


def test_pillow_decodes_stray_bytes_between_segments() -> None:
    # GIVEN the kinds of stray bytes the cases use, each before the frame header
    # WHEN Pillow decodes them / THEN it does (so the cases test publishing, not only refusals)
    frame = [i for i, start in enumerate(segment_starts(photo())) if photo()[start + 1] == 0xC0]
    for kind, stray in STRAY.items():
        assert pillow_pixels(with_stray_bytes(frame[0], stray)) is not None, kind
