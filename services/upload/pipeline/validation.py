"""Decide from the header alone whether the bytes are an image we accept.

Everything here runs before a single pixel is decoded: a decompression bomb (a few bytes
declaring a billion pixels) is refused in microseconds, and a file that is not a JPEG, PNG or
WebP never reaches a Pillow decoder at all.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib

# Importing the three plugins registers exactly the decoders we accept, so Image.open never
# falls back to loading (and exposing) every format Pillow knows.
from PIL import Image, ImageFile, JpegImagePlugin, PngImagePlugin, WebPImagePlugin  # noqa: F401

from services.upload.pipeline.errors import ImageRejected

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
DEFAULT_MAX_PIXELS = 120_000_000
"""Covers today's 100 MP medium-format bodies (11648 x 8736) with some margin."""
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)
"""What Pillow raises on damaged data (UnidentifiedImageError is an OSError)."""

_ACCEPTED_SIGNATURES = (
    # SOI alone: stray bytes may follow it (a damaged JPEG, not "not an image").
    (b"\xff\xd8", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)
_OTHER_SIGNATURES = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF (or camera RAW)"),
    (b"MM\x00*", "TIFF (or camera RAW)"),
    (b"8BPS", "Photoshop (PSD)"),
    (b"\x00\x00\x00\x0cjP  \r\n", "JPEG 2000"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"qoif", "QOI"),
)
_HEIF_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"avif": "AVIF", b"avis": "AVIF"}
_BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}
_ALLOWED = "Please upload a JPEG, PNG or WebP file."


def open_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES
) -> ImageFile.ImageFile:
    """Open `data` lazily (header parsed, no pixels decoded) after every cheap check passed."""
    check_byte_size(data, max_bytes)
    image_format = sniff_format(data)
    image = _open_header(data, image_format)
    check_dimensions(image.size, max_pixels)
    check_still(image)
    return image


def check_byte_size(data: bytes, max_bytes: int) -> None:
    if not data:
        raise ImageRejected("The file is empty (0 bytes). Please upload it again.", code="empty")
    if len(data) > max_bytes:
        raise ImageRejected(
            f"The file is {_megabytes(len(data))}, more than the {_megabytes(max_bytes)} limit.",
            code="file_too_large",
        )


def sniff_format(data: bytes) -> str:
    """The accepted format the magic bytes announce; a reason naming what it is otherwise."""
    for signature, image_format in _ACCEPTED_SIGNATURES:
        if data.startswith(signature):
            return image_format
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    other = _other_format(data)
    if other:
        raise ImageRejected(
            f"{other} images are not supported. {_ALLOWED}", code="unsupported_format"
        )
    raise ImageRejected(
        f"The file is not an image (it may be a document or a renamed file). {_ALLOWED}",
        code="not_an_image",
    )


def _other_format(data: bytes) -> str | None:
    for signature, name in _OTHER_SIGNATURES:
        if data.startswith(signature):
            return name
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return _HEIF_BRANDS[data[8:12]]
    # "BM" alone would match any text starting with it; the DIB header size must fit too.
    if data[:2] == b"BM" and int.from_bytes(data[14:18], "little") in _BMP_HEADER_SIZES:
        return "BMP"
    return None


def _open_header(data: bytes, image_format: str) -> ImageFile.ImageFile:
    try:
        with warnings.catch_warnings():
            # check_dimensions below is the authority on size, for any configured limit; Pillow's
            # soft warning (global MAX_IMAGE_PIXELS) would only duplicate it. Its hard
            # DecompressionBombError stays as a backstop. The processor handles one image at a
            # time per process, so the scoped filter change is not shared with other work.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=(image_format,))
    except Image.DecompressionBombError as error:
        raise ImageRejected(
            "The image declares far more pixels than any camera makes, so it was not opened.",
            code="too_many_pixels",
        ) from error
    except DECODE_ERRORS as error:
        raise damaged(image_format) from error


def check_dimensions(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ImageRejected("The image has no pixels (its width or height is 0).", code="corrupt")
    if width * height > max_pixels:
        raise ImageRejected(
            f"The image is {width} x {height} pixels ({width * height / 1e6:.1f} megapixels); "
            f"the limit is {max_pixels / 1e6:g} megapixels. Please upload a smaller version.",
            code="too_many_pixels",
        )


def check_still(image: ImageFile.ImageFile) -> None:
    """Refuse animations: a buyer would license one frame of something else than they saw.

    MPO (a JPEG followed by secondary images, as many phones write) is a still photo: we use
    its primary image and the licensed copy drops the others.
    """
    if image.format != "MPO" and getattr(image, "n_frames", 1) > 1:
        raise ImageRejected(
            "Animated images are not supported. Please upload a still photo.", code="animated"
        )


def damaged(image_format: str) -> ImageRejected:
    name = "WebP" if image_format == "WEBP" else image_format
    return ImageRejected(
        f"The {name} file is incomplete or damaged (the upload may have been interrupted). "
        "Please upload it again.",
        code="corrupt",
    )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
