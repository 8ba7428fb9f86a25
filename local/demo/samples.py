"""The images the scenario uploads, and how to tell a licensed copy from a watermarked one.

Generated, not committed: a rotated JPEG with GPS (as phones write them), a PNG with a known
dominant colour, and a corrupt file that starts like a JPEG.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageStat

GPS_IFD = 0x8825
ORIENTATION = 0x0112
WATERMARK_FREE_DIFFERENCE = 4.0
"""Mean pixel difference below which a copy is the original (a JPEG round trip is ~2.5; the
tiled watermark of the preview adds ~6)."""


@dataclass(frozen=True)
class SampleImage:
    """An image to upload and what the platform should make of it."""

    name: str
    content: bytes
    content_type: str
    displayed_size: tuple[int, int] | None
    """Width and height a viewer shows (EXIF orientation applied); None for a corrupt file."""
    displayed: Image.Image | None = None


def photo(width: int, height: int, main: tuple[int, int, int], seed: int) -> Image.Image:
    """Mostly ``main`` with a contrasting band and soft noise: a known dominant colour."""
    rnd = random.Random(seed)
    image = Image.new("RGB", (width, height), main)
    draw = ImageDraw.Draw(image)
    shade = (max(0, main[0] - 40), max(0, main[1] - 40), max(0, main[2] - 40))
    for _ in range(6):
        x, y = rnd.randrange(width), rnd.randrange(height)
        draw.ellipse((x, y, x + width // 6, y + height // 6), fill=shade)
    noise = Image.effect_noise((width, height), 8).convert("RGB")
    return ImageChops.add(image, noise, scale=1.0, offset=-128)


def rotated_jpeg_with_gps(width: int = 480, height: int = 640, seed: int = 1) -> SampleImage:
    """A portrait photo stored landscape with EXIF orientation 6 (as phones do), plus GPS."""
    displayed = photo(width, height, (30, 60, 200), seed)
    stored = displayed.transpose(Image.Transpose.ROTATE_90)  # what the camera wrote
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 40.1)})
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    return SampleImage("rotated.jpg", buffer.getvalue(), "image/jpeg", (width, height), displayed)


def png(width: int = 600, height: int = 400, seed: int = 2) -> SampleImage:
    """A mostly red PNG (its dominant colour is "red")."""
    displayed = photo(width, height, (210, 30, 30), seed)
    buffer = io.BytesIO()
    displayed.save(buffer, "PNG")
    return SampleImage("red.png", buffer.getvalue(), "image/png", (width, height), displayed)


def corrupt_file() -> SampleImage:
    """Starts like a JPEG, is not one."""
    content = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + random.Random(3).randbytes(4000)
    return SampleImage("corrupt.jpg", content, "image/jpeg", None)


def mean_difference(a: Image.Image, b: Image.Image | None) -> float:
    """Mean absolute per-channel difference, 0-255 (JPEG round trips stay in single digits)."""
    if b is None or a.size != b.size:
        return 255.0
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3
