"""Sizes, resampling and JPEG encoding of the public renditions."""

from __future__ import annotations

import io

from PIL import Image

from services.upload.pipeline.modes import needs_conversion, resamplable

PREVIEW_SIDE = 1600
THUMBNAIL_SIDE = 400
PREVIEW_QUALITY = 82
THUMBNAIL_QUALITY = 80
RESAMPLE = Image.Resampling.BOX
"""After DCT scaling (already a low-pass) the remaining ratio is below 2. BOX, an area average
of 2-3 taps, costs 30 % less than HAMMING or BILINEAR (3-4 taps; 5.5 ms of 120 on 24 MP) and
lands 1.9 grey levels, on average, from a full-size LANCZOS resize (HAMMING: 1.1), below the
JPEG encoder's own error at quality 82 (3.3)."""
REDUCING_GAP = 1.0
"""Box-average by the largest integer factor that keeps the image at least as large as the
target (`Image.reduce`, very cheap), then resample the rest (at most 2x) with RESAMPLE."""
BAND_PIXELS = 4_000_000
"""Pixels converted at a time when a mode must be converted before resampling (see
`reduced_in_bands`): 16 MB of RGBA, instead of the whole image at once."""


def fit_within(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled so its longest side is `side`; never enlarged, never below 1 px."""
    width, height = size
    scale = side / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def resample(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` at exactly `size`, in a mode that resamples correctly."""
    if needs_conversion(image):
        image = reduced_in_bands(image, size)
    image = resamplable(image)
    if image.size == size:
        return image
    factor = exact_reduction(image.size, size)
    if factor:
        return image.reduce(factor)
    return image.resize(size, RESAMPLE, reducing_gap=REDUCING_GAP)


def reduced_in_bands(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` converted by `resamplable` and box-reduced towards `size`, band by band.

    A 100 MP palette PNG with transparency would otherwise be converted to RGBA whole: 400 MB
    next to its 100 MB of indexes (a 920 MB process peak). Bands whose height is a multiple of
    the factor reduce exactly as the whole image would. Unchanged when no integer factor
    applies (the image is then at most twice the target, and small).
    """
    factor_x, factor_y = image.width // size[0], image.height // size[1]
    if factor_x < 2 and factor_y < 2:
        return image
    factor_x, factor_y = max(1, factor_x), max(1, factor_y)
    rows = factor_y * max(1, BAND_PIXELS // (image.width * factor_y))
    reduced: Image.Image | None = None
    for top in range(0, image.height, rows):
        band = image.crop((0, top, image.width, min(image.height, top + rows)))
        part = resamplable(band).reduce((factor_x, factor_y))
        if reduced is None:
            width, height = -(-image.width // factor_x), -(-image.height // factor_y)
            reduced = Image.new(part.mode, (width, height))
        reduced.paste(part, (0, top // factor_y))
    assert reduced is not None  # an image has at least one row
    return reduced


def exact_reduction(source: tuple[int, int], target: tuple[int, int]) -> int | None:
    """The integer factor whose box average (`Image.reduce`) makes `target` from `source`.

    1600 x 1067 -> 400 x 267 is one: `reduce(4)` alone costs half of `resize`, which would
    add a resampling pass to cover the quarter row that 1067 / 4 leaves over.
    """
    factor = source[0] // target[0]
    if factor < 2 or any(
        -(-side // factor) != want for side, want in zip(source, target, strict=True)
    ):
        return None
    return factor


def encode_jpeg(image: Image.Image, quality: int, icc_profile: bytes | None = None) -> bytes:
    """Baseline JPEG: `optimize`/`progressive` would double or quintuple the encode for 3-6 %.

    `comment` is given explicitly because Pillow otherwise copies the original's COM segment,
    which the resized image inherited in `image.info`.
    """
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, icc_profile=icc_profile, comment=b"")
    return buffer.getvalue()
