"""Sizes, resampling and JPEG encoding of the public renditions."""

from __future__ import annotations

import io

from PIL import Image

from services.upload.pipeline.modes import resamplable

PREVIEW_SIDE = 1600
THUMBNAIL_SIDE = 400
PREVIEW_QUALITY = 82
THUMBNAIL_QUALITY = 80
RESAMPLE = Image.Resampling.HAMMING
"""After DCT scaling the remaining ratio is below 2; there HAMMING costs what BILINEAR does
(half of LANCZOS) and lands within one grey level, on average, of a full-size LANCZOS resize,
far below the JPEG encoder's own error."""
REDUCING_GAP = 1.0
"""Box-average by the largest integer factor that keeps the image at least as large as the
target (`Image.reduce`, very cheap), then resample the rest (at most 2x) with RESAMPLE."""


def fit_within(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled so its longest side is `side`; never enlarged, never below 1 px."""
    width, height = size
    scale = side / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def resample(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` at exactly `size`, in a mode that resamples correctly."""
    image = resamplable(image)
    if image.size == size:
        return image
    return image.resize(size, RESAMPLE, reducing_gap=REDUCING_GAP)


def encode_jpeg(image: Image.Image, quality: int, icc_profile: bytes | None = None) -> bytes:
    """Baseline JPEG: `optimize`/`progressive` would double or quintuple the encode for 3-6 %.

    `comment` is given explicitly because Pillow otherwise copies the original's COM segment,
    which the resized image inherited in `image.info`.
    """
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, icc_profile=icc_profile, comment=b"")
    return buffer.getvalue()
