"""Decode only as many pixels as the largest rendition needs.

The decode is most of the pipeline's time and memory. libjpeg-turbo can decode a JPEG directly
at a reduced scale (DCT scaling), so a 24 MP photo is never held at full size. libwebp can
scale while decoding too, which Pillow does not expose (`webp_decode`). PNG has no reduced
decoding at all: it is decoded whole and `Image.reduce` follows.
"""

from __future__ import annotations

import math

from PIL import Image, ImageFile

from services.upload.pipeline.validation import DECODE_ERRORS, damaged
from services.upload.pipeline.webp_decode import WebPDecodeError, decode_scaled

_SCALED_FORMATS = ("JPEG", "MPO")
_HALF, _THREE_EIGHTHS = 2, 3
"""Pillow hands its draft scale to libjpeg as 1/scale; libjpeg-turbo rounds that up to the
next N/8 it implements, so 2 gives 4/8 and 3 gives 3/8."""


def decode_at_least(
    image: ImageFile.ImageFile, size: tuple[int, int], data: bytes | None = None
) -> Image.Image:
    """The pixels of `image` at the smallest cheap scale that is still at least `size`.

    `size` is in stored (not EXIF-rotated) orientation. Forces the decode: truncated or garbled
    data only shows at this point, never at open. A WebP whose bytes are given as `data` is
    decoded at exactly `size` by libwebp.
    """
    image_format = str(image.format)
    if image_format == "WEBP" and data is not None:
        try:
            scaled = decode_scaled(data, size)
        except WebPDecodeError as error:
            raise damaged(image_format) from error
        if scaled is not None:
            return scaled
    if image_format in _SCALED_FORMATS:
        original = image.size
        image.draft("RGB", size)
        _prefer_three_eighths(image, original, size)
    try:
        image.load()
    except DECODE_ERRORS as error:
        raise damaged("JPEG" if image_format == "MPO" else image_format) from error
    return image


def _prefer_three_eighths(
    image: ImageFile.ImageFile, original: tuple[int, int], size: tuple[int, int]
) -> None:
    """Decode at 3/8 instead of 1/2 when 3/8 is still large enough.

    Pillow's `draft` only offers 1/2, 1/4, 1/8; for the common 6000 x 4000 -> 1600 px case
    that means a 3000 px decode and a costly resize. libjpeg-turbo also implements 3/8: a
    2250 px decode costs about the same and the resize afterwards ~45 % less. Pillow exposes
    no public way to ask for it, so this adjusts what `draft` just set up, in exactly the
    places `draft` itself writes; anything unexpected leaves Pillow's choice untouched.
    """
    if image.decoderconfig != (_HALF, 0) or len(image.tile) != 1:
        return
    tile = image.tile[0]
    if not hasattr(tile, "_replace"):
        return
    scaled = (math.ceil(original[0] * 3 / 8), math.ceil(original[1] * 3 / 8))
    if scaled[0] < size[0] or scaled[1] < size[1]:
        return
    image.tile = [tile._replace(extents=(0, 0, *scaled))]
    image._size = scaled
    image.decoderconfig = (_THREE_EIGHTHS, 0)
