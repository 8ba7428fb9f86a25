"""The adversarial image corpus: hostile, broken and unusual files, generated on the fly.

Nothing is downloaded: every file is made here (most from ``tests.services.upload.images``),
so what each one exercises is visible in the code that made it. Each case says what the
platform must make of it: PUBLISHED with the size a viewer shows (EXIF orientation applied),
or REJECTED with a reason naming the problem in a photographer's words.

Files stay small except where size is the point: the bomb and the over-limit image are tiny
files whose headers declare huge dimensions; only the 30000 x 500 panorama has many pixels.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageDraw

from tests.services.upload.images import (
    GPS_IFD,
    ORIENTATION,
    TEXT_FILE,
    animated,
    bomb_png,
    cmyk_jpeg,
    encode,
    grey_jpeg,
    html_polyglot,
    jpeg_with_trailer,
    natural_image,
    palette_png_with_transparency,
    png_16bit_grey,
    png_16bit_rgb,
    quadrant_pattern,
    stored_for_orientation,
    truncated_jpeg,
)

PUBLISHED = "PUBLISHED"
REJECTED = "REJECTED"
MAX_APP1_PAYLOAD = 65533
"""A JPEG segment's length field is 16 bits and counts itself: 65535 - 2 bytes of payload."""
MAKER_NOTE = 0x927C
EXIF_IFD = 0x8769
DAMAGED = ("damaged",)
NOT_AN_IMAGE = ("not an image",)
ORIENTED_SIZE = (240, 160)
"""Displayed size of the EXIF-orientation cases (landscape, so 5-8 are stored portrait)."""


@dataclass(frozen=True)
class Expected:
    """What the platform must make of a file."""

    status: str
    size: tuple[int, int] | None = None
    """Width and height as displayed (EXIF orientation applied), for PUBLISHED."""
    reason_words: tuple[str, ...] = ()
    """Words the REJECTED reason must contain (case-insensitive)."""
    quadrants: bool = False
    """The image is ``quadrant_pattern``: renditions must show its colours where they belong."""


@dataclass(frozen=True)
class AdversarialImage:
    """One file of the corpus, as a photographer's client would send it."""

    name: str
    filename: str
    content_type: str
    """Declared at ``POST /uploads``: what the file claims to be (its name's type)."""
    content: bytes
    expected: Expected

    @property
    def declared_size(self) -> int:
        """The size sent at ``POST /uploads``, which refuses 0 (a client sends at least 1)."""
        return max(1, len(self.content))


@dataclass(frozen=True)
class _Case:
    filename: str
    content_type: str
    make: Callable[[], bytes]
    expected: Expected


def published(width: int, height: int, quadrants: bool = False) -> Expected:
    return Expected(PUBLISHED, size=(width, height), quadrants=quadrants)


def rejected(*words: str) -> Expected:
    return Expected(REJECTED, reason_words=words)


# -- crafted files ---------------------------------------------------------------------------


def small_jpeg(width: int = 160, height: int = 120, seed: int = 7, **params: object) -> bytes:
    return encode(natural_image(width, height, seed=seed), "JPEG", quality=85, **params)


def _segment_offset(jpeg: bytes, marker: int) -> int:
    """Offset of the first ``FF <marker>`` segment before the scan data."""
    position = 2
    while position + 4 <= len(jpeg) and jpeg[position] == 0xFF:
        if jpeg[position + 1] == marker:
            return position
        if jpeg[position + 1] == 0xDA:
            break
        (length,) = struct.unpack(">H", jpeg[position + 2 : position + 4])
        position += 2 + length
    raise ValueError(f"no FF{marker:02X} segment in the JPEG header")


def corrupt_huffman_jpeg() -> bytes:
    """A JPEG whose first Huffman table claims 16 x 255 codes (at most 256 are possible)."""
    data = bytearray(small_jpeg())
    counts = _segment_offset(bytes(data), 0xC4) + 5  # FF C4, length (2), class/id (1)
    data[counts : counts + 16] = b"\xff" * 16
    return bytes(data)


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small, valid JPEG whose frame header (SOF0) declares ``width`` x ``height``."""
    data = bytearray(small_jpeg(64, 48))
    frame = _segment_offset(bytes(data), 0xC0)  # FF C0, length (2), precision (1), Y, X
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def oriented(orientation: int, image_format: str = "JPEG") -> bytes:
    """The quadrant pattern stored as a camera would for ``orientation``, tagged with it."""
    stored = stored_for_orientation(quadrant_pattern(*ORIENTED_SIZE), orientation)
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    return encode(stored, image_format, quality=92, exif=exif.tobytes())


def max_exif_jpeg() -> bytes:
    """GPS, orientation and a maker note padded until APP1 is as large as a segment can be."""

    def exif_with(padding: int) -> bytes:
        exif = Image.Exif()
        exif[ORIENTATION] = 1
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 40.1)})
        exif.get_ifd(EXIF_IFD)[MAKER_NOTE] = b"M" * padding
        return exif.tobytes()

    padding = 60_000
    padding += MAX_APP1_PAYLOAD - len(exif_with(padding))
    while len(exif_with(padding)) > MAX_APP1_PAYLOAD:  # TIFF values are word-aligned
        padding -= 1
    payload = exif_with(padding)
    payload += b"\x00" * (MAX_APP1_PAYLOAD - len(payload))  # readers ignore bytes past the IFDs
    return small_jpeg(exif=payload)


def icc_jpeg() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return small_jpeg(icc_profile=profile)


def one_pixel_png() -> bytes:
    return encode(Image.new("RGB", (1, 1), (200, 40, 40)), "PNG")


def panorama_jpeg(width: int = 30_000, height: int = 500) -> bytes:
    """Sky over a horizon with a few landmarks: cheap to draw and to encode at 15 MP."""
    image = Image.new("RGB", (width, height), (90, 150, 220))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 3 // 5, width, height), fill=(60, 110, 50))
    for x in range(0, width, 2_500):
        draw.polygon([(x, height * 3 // 5), (x + 600, height // 5), (x + 1200, height * 3 // 5)])
    return encode(image, "JPEG", quality=80)


# -- the corpus --------------------------------------------------------------------------------

_CASES: dict[str, _Case] = {
    "zero-bytes": _Case("empty.jpg", "image/jpeg", lambda: b"", rejected("empty", "0 bytes")),
    "truncated-jpeg": _Case("cut.jpg", "image/jpeg", truncated_jpeg, rejected(*DAMAGED)),
    "corrupt-huffman-jpeg": _Case(
        "huffman.jpg", "image/jpeg", corrupt_huffman_jpeg, rejected(*DAMAGED)
    ),
    "text-named-jpg": _Case(
        "holiday.jpg", "image/jpeg", lambda: TEXT_FILE, rejected(*NOT_AN_IMAGE)
    ),
    "html-js-polyglot": _Case("page.jpg", "image/jpeg", html_polyglot, rejected(*NOT_AN_IMAGE)),
    "jpeg-with-html-trailer": _Case(
        "trailer.jpg", "image/jpeg", jpeg_with_trailer, published(64, 48)
    ),
    "png-decompression-bomb": _Case(
        "bomb.png", "image/png", bomb_png, rejected("far more pixels", "not opened")
    ),
    "over-limit-dimensions": _Case(
        "huge.jpg",
        "image/jpeg",
        lambda: jpeg_declaring(12_000, 10_000),
        rejected("12000 x 10000", "megapixels", "limit"),
    ),
    "cmyk-jpeg": _Case("cmyk.jpg", "image/jpeg", lambda: cmyk_jpeg(320, 240), published(320, 240)),
    "png-16-bit-rgb": _Case(
        "deep.png", "image/png", lambda: png_16bit_rgb(300, 200), published(300, 200)
    ),
    "png-16-bit-grey": _Case(
        "deep-grey.png", "image/png", lambda: png_16bit_grey(200, 300), published(200, 300)
    ),
    "palette-png-transparent": _Case(
        "logo.png",
        "image/png",
        lambda: palette_png_with_transparency(256, 256),
        published(256, 256),
    ),
    "animated-gif": _Case(
        "loop.gif", "image/png", lambda: animated("GIF"), rejected("GIF", "not supported")
    ),
    "animated-webp": _Case(
        "loop.webp", "image/webp", lambda: animated("WEBP"), rejected("Animated", "still photo")
    ),
    "animated-png": _Case("loop.png", "image/png", lambda: animated("PNG"), rejected("Animated")),
    "webp-exif-orientation-6": _Case(
        "oriented.webp",
        "image/webp",
        lambda: oriented(6, "WEBP"),
        published(*ORIENTED_SIZE, quadrants=True),
    ),
    "progressive-jpeg": _Case(
        "progressive.jpg",
        "image/jpeg",
        lambda: small_jpeg(400, 300, progressive=True),
        published(400, 300),
    ),
    **{
        f"exif-orientation-{o}": _Case(
            f"oriented-{o}.jpg",
            "image/jpeg",
            functools.partial(oriented, o),
            published(*ORIENTED_SIZE, quadrants=True),
        )
        for o in range(1, 9)
    },
    "exif-max-size": _Case("big-exif.jpg", "image/jpeg", max_exif_jpeg, published(160, 120)),
    "icc-profile": _Case("icc.jpg", "image/jpeg", icc_jpeg, published(160, 120)),
    "grayscale-jpeg": _Case(
        "grey.jpg", "image/jpeg", lambda: grey_jpeg(320, 240), published(320, 240)
    ),
    "one-pixel": _Case("dot.png", "image/png", one_pixel_png, published(1, 1)),
    "panorama-30000x500": _Case(
        "panorama.jpg", "image/jpeg", panorama_jpeg, published(30_000, 500)
    ),
}
"""``animated-gif`` is declared ``image/png``: ``POST /uploads`` refuses ``image/gif`` (a
separate test), so only a client lying about its file can get a GIF to the processor.
``zero-bytes`` is declared as 1 byte (the API refuses 0, also a separate test). S3 itself
would refuse the empty POST (its ``content-length-range`` starts at 1); moto does not enforce
the range, so here the empty object arrives and the processor's own guard is what is tested."""

NAMES: tuple[str, ...] = tuple(_CASES)


@functools.cache
def build(name: str) -> AdversarialImage:
    """The corpus file ``name`` (generated once per process)."""
    case = _CASES[name]
    return AdversarialImage(name, case.filename, case.content_type, case.make(), case.expected)


def corpus() -> list[AdversarialImage]:
    return [build(name) for name in NAMES]
