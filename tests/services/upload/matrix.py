"""The image matrix: every colour mode x transparency x ICC profile x orientation x shape.

Each case is a valid file, written by Pillow with private metadata (GPS, serial, maker note,
XMP) and a layout that shows any wrong orientation: a dark top-left quadrant, a light rest and
a bottom-right quadrant whose colour is the transparent one when the case has transparency.

Which combinations exist is Pillow's answer, not a list kept here: `writable` writes a small
image of the combination and keeps it only if Pillow writes it and the file holds what was
asked for (the transparency, the profile, the orientation). What a case should look like is
Pillow's too (`appearance`): the plain, full-size way (decode, `ImageOps.exif_transpose`,
convert to RGBA, flatten on white); the pipeline has to agree with it.
"""

from __future__ import annotations

import functools
import itertools
import math
import struct
import warnings
import zlib
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageDraw, ImageOps

from tests.services.upload import images

FORMATS = ("PNG", "WEBP", "JPEG")
MODES = ("1", "L", "LA", "P", "I", "I;16", "RGB", "RGBA", "CMYK", "YCbCr")
"""The modes the issue names; the issue's "P with and without transparency" is `transparent`."""
TRANSPARENCY = (False, True)
ICC = (False, True)
ORIENTATIONS = tuple(range(1, 9))
SHAPES = ((1, 1), (1, 10_000), (10_000, 1), (37, 23))
"""The extreme shapes, and a small odd-sized one on which every flip and turn is visible."""

DARK, LIGHT, KEYED = 40, 210, 128
"""Grey levels of the layout; KEYED is the colour made transparent when a case has it."""
_SIXTEEN_BIT = 257
"""8-bit grey -> 16-bit (255 -> 65535), as a 16-bit file spans its range."""
_PROBE_SHAPE = (4, 3)
_PROBE_ORIENTATION = 6
WRITE_ERRORS = (OSError, ValueError, KeyError, TypeError)
"""What Pillow raises for a mode, option or combination a format cannot hold."""


@dataclass(frozen=True)
class Case:
    image_format: str
    mode: str
    transparent: bool
    icc: bool
    orientation: int
    shape: tuple[int, int]
    """The size as displayed (after orientation); the file stores it turned when 5-8."""

    @property
    def id(self) -> str:
        alpha = "transparent" if self.transparent else "opaque"
        profile = "icc" if self.icc else "noicc"
        size = "x".join(map(str, self.shape))
        return f"{self.image_format}-{self.mode}-{alpha}-{profile}-o{self.orientation}-{size}"


@functools.cache
def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def layout(shape: tuple[int, int]) -> Image.Image:
    """The displayed picture in grey levels: dark top-left, KEYED bottom-right, LIGHT rest."""
    width, height = shape
    grey = Image.new("L", shape, LIGHT)
    draw = ImageDraw.Draw(grey)
    draw.rectangle((0, 0, math.ceil(width / 2) - 1, math.ceil(height / 2) - 1), fill=DARK)
    draw.rectangle((width // 2, height // 2, width - 1, height - 1), fill=KEYED)
    return grey


def source_image(case: Case) -> Image.Image:
    """The case's pixels in its mode, stored turned for its orientation, transparency set."""
    stored = images.stored_for_orientation(layout(case.shape), case.orientation)
    image = in_mode(stored, case.mode)
    if not case.transparent:
        return image
    keyed = stored.point(lambda value: 0 if value == KEYED else 255)
    if "A" in image.getbands():
        image.putalpha(keyed)
    else:
        # The colour key is whatever value the mode gave the KEYED grey (for "1": white).
        corner = next(p for p in _points(stored.size) if keyed.getpixel(p) == 0)
        image.info["transparency"] = image.getpixel(corner)
    return image


def in_mode(grey: Image.Image, mode: str) -> Image.Image:
    """`grey` in `mode`: thresholded for 1-bit, spread over the 16-bit range for I modes."""
    if mode == "1":
        return grey.convert("1", dither=Image.Dither.NONE)
    if mode.startswith("I"):
        return grey.convert("I").point(lambda value: value * _SIXTEEN_BIT).convert(mode)
    return grey.convert(mode)


def _points(size: tuple[int, int]) -> itertools.product[tuple[int, int]]:
    return itertools.product(range(size[0]), range(size[1]))


def encode(case: Case) -> bytes:
    """The case's file, with GPS, serial, maker note and XMP, and the profile if asked."""
    params = {"icc_profile": srgb_profile()} if case.icc else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. Pillow's advice to convert palette transparency
        return images.photo_with_private_metadata(
            source_image(case), case.image_format, case.orientation, **params
        )


@functools.cache
def encoded(case: Case) -> bytes:
    return encode(case)


def appearance(data: bytes) -> Image.Image:
    """How `data` looks on a white page, as displayed: Pillow's plain full-size way."""
    return on_white(ImageOps.exif_transpose(images.decode(data)))


def on_white(image: Image.Image) -> Image.Image:
    """`image` (any mode) as RGB on a white page: transparent pixels are white."""
    rgba = plain_rgba(image)
    page = Image.new("RGB", rgba.size, (255, 255, 255))
    page.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
    return page


def has_transparent_pixels(data: bytes) -> bool:
    """Whether some pixel of `data` shows the page through."""
    return plain_rgba(images.decode(data)).getchannel("A").getextrema()[0] == 0


def plain_rgba(image: Image.Image) -> Image.Image:
    """`image` as RGBA, by Pillow's conversion except for 16-bit grey.

    Pillow clips 16-bit grey to 8 bits on conversion and compares a 16-bit colour key with the
    clipped values, so those images are converted here pixel by pixel instead.
    """
    if not image.mode.startswith("I"):
        return image.convert("RGBA")
    values = image.convert("I").get_flattened_data()
    key = image.info.get("transparency")
    grey = Image.new("L", image.size)
    grey.putdata([min(255, max(0, round(value / _SIXTEEN_BIT))) for value in values])
    alpha = Image.new("L", image.size)
    alpha.putdata([0 if value == key else 255 for value in values])
    return Image.merge("RGBA", (grey, grey, grey, alpha))


def holds_what_was_asked(case: Case, data: bytes) -> bool:
    """Pillow's say on a written file: decodable, with the case's transparency, profile and
    orientation (JPEG drops transparency silently, for instance)."""
    image = images.decode(data)
    return (
        has_transparent_pixels(data) == case.transparent
        and bool(image.info.get("icc_profile")) == case.icc
        and image.getexif().get(images.ORIENTATION, 1) == case.orientation
    )


@functools.cache
def writable(image_format: str, mode: str, transparent: bool, icc: bool) -> bool:
    """Whether Pillow writes this combination into `image_format` and the file keeps it."""
    probe = Case(image_format, mode, transparent, icc, _PROBE_ORIENTATION, _PROBE_SHAPE)
    try:
        data = encode(probe)
    except WRITE_ERRORS:
        return False
    return holds_what_was_asked(probe, data)


def kinds() -> list[tuple[str, str, bool, bool]]:
    """(format, mode, transparency, profile) combinations Pillow can write, in a fixed order."""
    return [
        kind for kind in itertools.product(FORMATS, MODES, TRANSPARENCY, ICC) if writable(*kind)
    ]


def cases() -> list[Case]:
    """Every writable kind x every orientation x every shape: the full cross product."""
    return [
        Case(*kind, orientation, shape)
        for kind in kinds()
        for orientation, shape in itertools.product(ORIENTATIONS, SHAPES)
    ]


PNG_COLOUR_TYPES = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
"""The PNG specification's table (section 11.2.2): colour type -> allowed bit depths. Pillow
writes only some of these, other encoders write all of them."""
_PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_KEYED_COLOUR_TYPES = (0, 2, 3)
"""Types that may carry a tRNS chunk (the others have an alpha sample)."""


def png_of_type(colour_type: int, bit_depth: int, keyed: bool, size: tuple[int, int]) -> bytes:
    """A PNG written chunk by chunk: blocks of 16 px, each one sample value, tRNS if `keyed`.

    The key (tRNS) names the value of the second block; palettes are a grey ramp.
    """
    width, height = size
    top = (1 << bit_depth) - 1
    levels = [top * step // 5 for step in range(6)]

    def sample(x: int, y: int) -> int:
        return levels[(x // 16 + 3 * (y // 16)) % len(levels)]

    samples = _PNG_SAMPLES[colour_type]
    rows = []
    for y in range(height):
        values = [sample(x, y) for x in range(width) for _ in range(samples)]
        rows.append(b"\x00" + _packed(values, bit_depth))
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0))]
    if colour_type == 3:
        chunks.append((b"PLTE", bytes(v * 255 // top for v in range(top + 1) for _ in range(3))))
    if keyed:
        key = levels[1]
        chunks.append((b"tRNS", _trns(colour_type, key, bit_depth)))
    chunks += [(b"IDAT", zlib.compress(b"".join(rows))), (b"IEND", b"")]
    return images.png_from_chunks(chunks)


def png_types() -> list[tuple[int, int, bool]]:
    """(colour type, bit depth, keyed) for every combination the specification allows."""
    return [
        (colour_type, bit_depth, keyed)
        for colour_type, depths in PNG_COLOUR_TYPES.items()
        for bit_depth in depths
        for keyed in (False, True)
        if colour_type in _KEYED_COLOUR_TYPES or not keyed
    ]


def _trns(colour_type: int, key: int, bit_depth: int) -> bytes:
    if colour_type == 3:
        return bytes(0 if index == key else 255 for index in range(key + 1))
    return struct.pack(">H", key) * (3 if colour_type == 2 else 1)


def _packed(values: list[int], bit_depth: int) -> bytes:
    if bit_depth == 16:
        return b"".join(struct.pack(">H", value) for value in values)
    if bit_depth == 8:
        return bytes(values)
    per_byte = 8 // bit_depth
    values = values + [0] * (-len(values) % per_byte)
    return bytes(
        sum(
            value << (8 - bit_depth * (i + 1)) for i, value in enumerate(values[at : at + per_byte])
        )
        for at in range(0, len(values), per_byte)
    )
