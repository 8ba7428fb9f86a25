"""Colour modes: bring whatever the decoder produced to RGB a browser shows correctly.

Two steps, so that the expensive part runs on the small image: `resamplable` fixes, before
resizing, only what cannot be averaged (palette indexes, 1-bit, 16-bit, a transparent colour
key); `to_rgb`, after resizing, flattens transparency and converts CMYK and greyscale (through
the embedded ICC profile when there is one).

Transparency comes in two shapes: an alpha band (LA, RGBA, PA, ...) or, in modes without one,
a colour key (`info["transparency"]`, a PNG tRNS chunk: one grey level, one RGB colour or an
alpha per palette entry). A key is turned into an alpha band before anything else, because
any conversion or average would change the pixel values it names; after that, every image is
in one of `_RESAMPLABLE` and carries no key.
"""

from __future__ import annotations

import functools
import io
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    from PIL import ImageCms

_RESAMPLABLE = frozenset({"RGB", "RGBA", "L", "LA", "CMYK", "YCbCr", "RGBX"})
_WITH_GREY_ALPHA = {"1": "LA", "L": "LA", "La": "LA"}
"""Modes whose transparent form is LA; every other mode with transparency becomes RGBA."""
_PROFILE_SPACES = {b"RGB ": "RGB", b"CMYK": "CMYK", b"GRAY": "L"}
"""ICC header colour space (bytes 16-20 of the profile) -> the Pillow mode it describes."""
_SIXTEEN_BIT_RANGE = 65536


def needs_conversion(image: Image.Image) -> bool:
    """Whether `resamplable` would convert `image` (a copy of every pixel, often 4x larger)."""
    return image.mode not in _RESAMPLABLE or _keyed(image)


def resamplable(image: Image.Image) -> Image.Image:
    """`image` in a mode Pillow can resample without corrupting it, with no colour key."""
    if not needs_conversion(image):
        return image
    if image.mode.startswith("I"):
        return _eight_bit_grey(image)
    if image.has_transparency_data:
        return image.convert(_WITH_GREY_ALPHA.get(image.mode, "RGBA"))
    return image.convert("L" if image.mode == "1" else "RGB")


def _keyed(image: Image.Image) -> bool:
    return "transparency" in image.info and image.mode not in ("LA", "RGBA")


def _eight_bit_grey(image: Image.Image) -> Image.Image:
    """16-bit (or 32-bit integer) grey scaled to 8 bits, its colour key as an alpha band.

    convert("L") would clip every value above 255 to white: values are scaled first. Pillow's
    own keyed conversion of "I" compares the key with clipped values, so the alpha band comes
    from a lookup table over the 16-bit range (values beyond it, which no PNG holds, clamp).
    """
    grey = image.point(lambda value: value * (1 / 256)).convert("L")
    key = image.info.get("transparency")
    if isinstance(key, int):
        wide = image if image.mode == "I" else image.convert("I")
        grey = Image.merge("LA", (grey, wide.point(_opaque_except(key), "L")))
    grey.info.pop("transparency", None)  # inherited from `image`; it named 16-bit values
    return grey


@functools.lru_cache(maxsize=4)
def _opaque_except(key: int) -> list[int]:
    return [0 if value == key else 255 for value in range(_SIXTEEN_BIT_RANGE)]


def to_rgb(image: Image.Image, icc_profile: bytes | None) -> tuple[Image.Image, bytes | None]:
    """RGB pixels for a JPEG rendition and the ICC profile to embed with them, if any.

    An RGB profile (Adobe RGB, Display P3) is embedded as is: browsers honour it and it costs
    nothing. CMYK and grey profiles cannot describe RGB pixels, so those are converted to sRGB.
    """
    image = resamplable(image)  # a no-op after `resample`; makes any decoded image safe here
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
