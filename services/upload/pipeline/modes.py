"""Colour modes: bring whatever the decoder produced to RGB a browser shows correctly.

Two steps, so that the expensive part runs on the small image: `resamplable` fixes, before
resizing, only what cannot be averaged (palette indexes, 1-bit, 16-bit); `to_rgb`, after
resizing, flattens transparency and converts CMYK and greyscale (through the embedded ICC
profile when there is one).
"""

from __future__ import annotations

import functools
import io
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    from PIL import ImageCms

_RESAMPLABLE = {"RGB", "RGBA", "L", "LA", "CMYK", "YCbCr", "RGBX"}
_SIXTEEN_BIT = {"I;16", "I;16B", "I;16L", "I;16N", "I"}
_PROFILE_SPACES = {b"RGB ": "RGB", b"CMYK": "CMYK", b"GRAY": "L"}
"""ICC header colour space (bytes 16-20 of the profile) -> the Pillow mode it describes."""


def needs_conversion(image: Image.Image) -> bool:
    """Whether `resamplable` would convert `image` (a copy of every pixel, often 4x larger)."""
    return ("transparency" in image.info and image.mode in ("P", "L", "RGB")) or (
        image.mode not in _RESAMPLABLE
    )


def resamplable(image: Image.Image) -> Image.Image:
    """`image` in a mode Pillow can resample without corrupting it."""
    if "transparency" in image.info and image.mode in ("P", "L", "RGB"):
        return image.convert("RGBA")
    if image.mode in _RESAMPLABLE:
        return image
    if image.mode == "P":
        return image.convert("RGB")
    if image.mode in ("PA", "La", "RGBa"):
        return image.convert("RGBA")
    if image.mode == "1":
        return image.convert("L")
    if image.mode in _SIXTEEN_BIT:
        # convert("L") would clip every value above 255 to white: scale 16 bits to 8 first.
        return image.point(lambda value: value * (1 / 256)).convert("L")
    return image.convert("RGB")


def to_rgb(image: Image.Image, icc_profile: bytes | None) -> tuple[Image.Image, bytes | None]:
    """RGB pixels for a JPEG rendition and the ICC profile to embed with them, if any.

    An RGB profile (Adobe RGB, Display P3) is embedded as is: browsers honour it and it costs
    nothing. CMYK and grey profiles cannot describe RGB pixels, so those are converted to sRGB.
    """
    if image.mode in ("RGBA", "LA"):
        image = _flatten(image)
    space = _profile_space(icc_profile)
    if space == "RGB" and image.mode == "RGB":
        return image, icc_profile
    if icc_profile is not None and space == image.mode:
        converted = _to_srgb(image, icc_profile)
        if converted is not None:
            return converted, None
    return image.convert("RGB") if image.mode != "RGB" else image, None


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent areas become white, as a browser shows them on a white page."""
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image.convert("RGB"), mask=image.getchannel("A"))
    return background


def _profile_space(icc_profile: bytes | None) -> str | None:
    if not icc_profile or len(icc_profile) < 20:
        return None
    return _PROFILE_SPACES.get(icc_profile[16:20])


def _to_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image | None:
    from PIL import ImageCms  # lazily: only CMYK/grey images with a profile need it

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(image, source, _srgb(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken profile: fall back to Pillow's plain conversion


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
