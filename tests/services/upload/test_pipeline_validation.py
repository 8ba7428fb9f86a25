"""What process_image refuses, and the reason the photographer reads."""

from __future__ import annotations

import random
import time
import warnings

import pytest
from PIL import Image

from services.upload.pipeline import ImageRejected, process_image
from tests.services.upload import images


def rejection(data: bytes, **limits: int) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        process_image(data, **limits)
    return caught.value


def test_process_image_rejects_zero_bytes() -> None:
    # GIVEN an empty upload
    # WHEN processed
    error = rejection(b"")

    # THEN the reason says the file is empty
    assert error.code == "empty"
    assert "empty" in error.reason


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (images.truncated_jpeg(), "JPEG"),
        (images.encode(images.natural_image(64, 48), "PNG")[:-120], "PNG"),
        (images.encode(images.natural_image(64, 48), "WEBP")[:-120], "WebP"),
    ],
    ids=["jpeg", "png", "webp"],
)
def test_process_image_rejects_truncated_files(data: bytes, name: str) -> None:
    # GIVEN an upload cut short (a truncated JPEG opens fine: only the decode notices)
    # WHEN processed
    error = rejection(data)

    # THEN the reason says the file is incomplete, naming its format
    assert error.code == "corrupt"
    assert f"The {name} file is incomplete or damaged" in error.reason


def test_process_image_rejects_a_text_file_named_jpg() -> None:
    # GIVEN a text file (say, holiday.jpg)
    # WHEN processed
    error = rejection(images.TEXT_FILE)

    # THEN the reason says it is not an image and which formats are accepted
    assert error.code == "not_an_image"
    assert "not an image" in error.reason and "JPEG, PNG or WebP" in error.reason


def test_process_image_rejects_an_html_polyglot() -> None:
    # GIVEN an HTML page with a JPEG inside
    # WHEN processed
    error = rejection(images.html_polyglot())

    # THEN it is not an image
    assert error.code == "not_an_image"


@pytest.mark.parametrize(
    ("image_format", "named"),
    [("GIF", "GIF"), ("BMP", "BMP"), ("TIFF", "TIFF"), ("PPM", "not an image")],
)
def test_process_image_rejects_unsupported_formats(image_format: str, named: str) -> None:
    # GIVEN a real image in a format we do not sell
    data = images.encode(images.natural_image(32, 24), image_format)

    # WHEN processed
    error = rejection(data)

    # THEN the reason names the format (when it is a known one) and the accepted ones
    assert error.code in ("unsupported_format", "not_an_image")
    assert named in error.reason and "JPEG, PNG or WebP" in error.reason


def test_process_image_rejects_a_decompression_bomb_before_decoding() -> None:
    # GIVEN a tiny PNG declaring 100000 x 100000 pixels
    data = images.bomb_png()
    assert len(data) < 200

    # WHEN processed
    started = time.perf_counter()
    error = rejection(data)

    # THEN it is refused from the header alone, in far less time than decoding would take
    assert error.code == "too_many_pixels"
    assert time.perf_counter() - started < 0.5


def test_process_image_rejects_dimensions_over_the_limit_with_the_numbers() -> None:
    # GIVEN a PNG declaring 12000 x 11000 (132 MP): within Pillow's own bomb limit, over ours
    data = images.bomb_png(12000, 11000)

    # WHEN processed with the default limit
    error = rejection(data)

    # THEN the reason gives the size and the limit
    assert error.code == "too_many_pixels"
    assert "12000 x 11000" in error.reason and "120 megapixels" in error.reason


def test_process_image_applies_a_configured_pixel_limit() -> None:
    # GIVEN a valid 400 x 300 JPEG and a 0.1 MP limit
    data = images.encode(images.natural_image(400, 300), "JPEG")

    # WHEN processed
    error = rejection(data, max_pixels=100_000)

    # THEN it is refused for its dimensions
    assert error.code == "too_many_pixels"
    assert "400 x 300" in error.reason and "0.1 megapixels" in error.reason


def test_process_image_rejects_files_over_the_byte_limit() -> None:
    # GIVEN a valid JPEG larger than the configured byte limit
    data = images.encode(images.natural_image(64, 48), "JPEG")

    # WHEN processed
    error = rejection(data, max_bytes=len(data) - 1)

    # THEN the reason says the file is too large
    assert error.code == "file_too_large"
    assert "limit" in error.reason


def test_process_image_owns_its_pixel_limit_without_touching_pillow_globals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN Pillow's process-wide bomb threshold set below a perfectly valid image
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3000)
    data = images.encode(images.natural_image(64, 64), "PNG")  # 4096 pixels

    # WHEN processed with our own (larger) limit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = process_image(data)

    # THEN our limit decides, no bomb warning leaks out, and Pillow's global is unchanged
    assert (result.width, result.height) == (64, 64)
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    assert Image.MAX_IMAGE_PIXELS == 3000


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_process_image_rejects_animations(image_format: str) -> None:
    # GIVEN an animated PNG / WebP
    data = images.animated(image_format)

    # WHEN processed
    error = rejection(data)

    # THEN the reason asks for a still photo
    assert error.code == "animated"
    assert "still photo" in error.reason


def test_process_image_accepts_a_single_pixel() -> None:
    # GIVEN a 1 x 1 JPEG
    data = images.encode(Image.new("RGB", (1, 1), (200, 10, 10)), "JPEG")

    # WHEN processed
    result = process_image(data)

    # THEN it is accepted as is
    assert (result.width, result.height) == (1, 1)
    assert result.colours == ["red"]


def test_process_image_rejects_a_png_failing_its_checksum() -> None:
    # GIVEN a PNG whose last IDAT byte was flipped (CRC no longer matches)
    data = bytearray(images.encode(images.natural_image(64, 48), "PNG"))
    iend = data.index(b"IEND")
    data[iend - 9] ^= 0xFF

    # WHEN processed
    error = rejection(bytes(data))

    # THEN it is refused as damaged
    assert error.code == "corrupt"


def test_process_image_rejects_a_jpeg_with_a_broken_segment() -> None:
    # GIVEN a JPEG whose first segment claims to run past the end of the file
    data = bytearray(images.encode(images.natural_image(64, 48), "JPEG"))
    data[4:6] = b"\xff\xf0"

    # WHEN processed
    error = rejection(bytes(data))

    # THEN it is refused as damaged
    assert error.code == "corrupt"


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the corrupt EXIF
@pytest.mark.parametrize(
    "seed",
    [
        images.photo_with_private_metadata(images.natural_image(48, 32), orientation=6),
        images.photo_with_private_metadata(images.natural_image(24, 16), "PNG", orientation=3),
        images.photo_with_private_metadata(images.natural_image(24, 16), "WEBP", orientation=8),
    ],
    ids=["jpeg", "png", "webp"],
)
def test_process_image_only_ever_rejects_mangled_files(seed: bytes) -> None:
    # GIVEN 150 random mutations (overwritten, deleted, inserted bytes) of a valid image
    rng = random.Random(seed[:64])
    for _ in range(150):
        data = bytearray(seed)
        for _ in range(rng.choice((1, 2, 4, 8))):
            position = rng.randrange(len(data))
            roll = rng.random()
            if roll < 0.6:
                data[position] = rng.randrange(256)
            elif roll < 0.8:
                del data[position : position + rng.randrange(1, 16)]
            else:
                data[position:position] = rng.randbytes(rng.randrange(1, 8))

        # WHEN processed
        try:
            result = process_image(bytes(data))
        except ImageRejected as rejection:
            # THEN it is either refused with a reason ...
            assert rejection.reason
        else:
            # ... or processed into a decodable preview; never any other error
            assert images.decode(result.preview).format == "JPEG"
