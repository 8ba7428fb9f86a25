"""Test images made on the fly: natural-looking photos, tricky colour modes and hostile files.

Generated rather than checked in so that any size can be asked for (a 24 MP JPEG for a timing
check, a 64 px one for a unit test) and so every property a test relies on (orientation, GPS,
declared dimensions) is visible in the code that made it. Other test suites may reuse these.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from typing import Any

from PIL import Image, ImageChops, ImageDraw, PngImagePlugin

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
ORIENTATION = 0x0112
CAMERA_SERIAL = "CAMERA-SERIAL-0451"
"""Body serial number written into the EXIF of `photo_with_private_metadata`; must never leak."""
XMP_SECRET = "xmp-private-creator-address"
COMMENT_SECRET = "comment-private-note"
IPTC_SECRET = b"iptc-private-contact"

# Pillow's Image.Transpose method that *undoes* each EXIF orientation, i.e. what a viewer applies.
VIEWER_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# The inverse: what a camera did to the pixels it stored for each orientation.
_CAMERA_TRANSPOSE = {
    **VIEWER_TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}


def natural_image(width: int, height: int, seed: int = 0) -> Image.Image:
    """An RGB 'photo': smooth colour fields, mid-size detail and sensor-like noise.

    Flat colours compress and decode unrealistically fast; this has the entropy of a photo.
    """
    rnd = random.Random(seed)
    base = _random_field(rnd, (6, 4), (width, height))
    detail = _random_field(rnd, (max(1, width // 24), max(1, height // 24)), (width, height))
    image = Image.blend(base, detail, 0.25)
    noise = Image.effect_noise((width, height), 12).convert("RGB")
    return ImageChops.add(image, noise, scale=1.0, offset=-128)


def _random_field(rnd: random.Random, grid: tuple[int, int], size: tuple[int, int]) -> Image.Image:
    small = Image.new("RGB", grid)
    small.putdata(
        [
            (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
            for _ in range(grid[0] * grid[1])
        ]
    )
    return small.resize(size, Image.Resampling.BICUBIC)


def solid_image(width: int, height: int, colour: tuple[int, int, int]) -> Image.Image:
    return Image.new("RGB", (width, height), colour)


def dominant_colour_image(
    width: int,
    height: int,
    main: tuple[int, int, int],
    accent: tuple[int, int, int],
) -> Image.Image:
    """Mostly `main` (about 80 %) with a band of `accent`, lightly noisy."""
    image = Image.new("RGB", (width, height), main)
    ImageDraw.Draw(image).rectangle((0, int(height * 0.8), width, height), fill=accent)
    noise = Image.effect_noise((width, height), 6).convert("RGB")
    return ImageChops.add(image, noise, scale=1.0, offset=-128)


def quadrant_pattern(width: int, height: int) -> Image.Image:
    """Four distinct colours (red, green / blue, white) so any flip or rotation is detectable."""
    cells = Image.new("RGB", (2, 2))
    cells.putdata([QUADRANT_COLOURS[name] for name in QUADRANT_COLOURS])
    return cells.resize((width, height), Image.Resampling.NEAREST)


QUADRANT_COLOURS = {
    "top_left": (220, 20, 20),
    "top_right": (20, 200, 20),
    "bottom_left": (20, 20, 220),
    "bottom_right": (240, 240, 240),
}


def stored_for_orientation(displayed: Image.Image, orientation: int) -> Image.Image:
    """The pixels a camera stores so that a viewer honouring `orientation` shows `displayed`."""
    if orientation == 1:
        return displayed.copy()
    return displayed.transpose(_CAMERA_TRANSPOSE[orientation])


def encode(image: Image.Image, image_format: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **params)
    return buffer.getvalue()


def private_exif(orientation: int = 1) -> Image.Exif:
    """EXIF with everything a photographer would not want published: GPS, serial, maker note."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PrivateCam"  # Make
    exif[0x0110] = "PrivateCam X100"  # Model
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 40.1)})
    exif.get_ifd(EXIF_IFD).update({0xA431: CAMERA_SERIAL, 0x927C: b"MAKERNOTE-PRIVATE"})
    return exif


def photo_with_private_metadata(
    image: Image.Image,
    image_format: str = "JPEG",
    orientation: int = 1,
    **params: Any,
) -> bytes:
    """`image` saved with private EXIF (GPS, serial, maker note), XMP and a comment (and IPTC in
    a JPEG), each where that format keeps it."""
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description Creator="{XMP_SECRET}"/>'
    xmp += "</x:xmpmeta>"
    extra: dict[str, Any] = {"exif": private_exif(orientation).tobytes()}
    if image_format == "JPEG":
        extra |= {"comment": COMMENT_SECRET, "quality": 90, "xmp": xmp.encode()}
    elif image_format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_itxt("XML:com.adobe.xmp", xmp)
        text.add_text("Comment", COMMENT_SECRET, zip=True)
        extra["pnginfo"] = text
    else:
        extra["xmp"] = xmp.encode()
    data = encode(image, image_format, **(extra | params))
    if image_format == "JPEG":
        data = insert_jpeg_segment(data, 0xED, b"Photoshop 3.0\x00" + IPTC_SECRET)
    return data


def insert_jpeg_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """Insert an APPn/COM segment right after SOI."""
    segment = bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def cmyk_jpeg(width: int, height: int) -> bytes:
    return encode(natural_image(width, height).convert("CMYK"), "JPEG", quality=90)


def grey_jpeg(width: int, height: int) -> bytes:
    return encode(natural_image(width, height).convert("L"), "JPEG", quality=90)


def mpo_jpeg(width: int, height: int) -> bytes:
    """A JPEG with a second image behind it (MPF), as many phones write."""
    primary = natural_image(width, height, seed=1)
    return encode(primary, "MPO", save_all=True, append_images=[natural_image(width, height, 2)])


def png_16bit_grey(width: int, height: int) -> bytes:
    """16-bit greyscale PNG with a left-to-right ramp over the full 0..65535 range."""
    rows = b"".join(
        b"\x00" + b"".join(struct.pack(">H", x * 65535 // max(1, width - 1)) for x in range(width))
        for _ in range(height)
    )
    return png_from_chunks(
        [(b"IHDR", _ihdr(width, height, 16, 0)), (b"IDAT", zlib.compress(rows)), (b"IEND", b"")]
    )


def png_16bit_rgb(width: int, height: int) -> bytes:
    """16-bit RGB PNG, uniformly orange (high bytes 255, 128, 0)."""
    pixel = struct.pack(">HHH", 65535, 32896, 0)
    rows = b"".join(b"\x00" + pixel * width for _ in range(height))
    return png_from_chunks(
        [(b"IHDR", _ihdr(width, height, 16, 2)), (b"IDAT", zlib.compress(rows)), (b"IEND", b"")]
    )


def palette_png_with_transparency(width: int, height: int) -> bytes:
    """Palette PNG: a blue square on a fully transparent background (index 0)."""
    image = Image.new("P", (width, height), 0)
    image.putpalette([0, 0, 0, 0, 0, 255] + [0] * (254 * 3))
    ImageDraw.Draw(image).rectangle(
        (width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=1
    )
    return encode(image, "PNG", transparency=0)


def grey_alpha_png(width: int, height: int) -> bytes:
    """LA PNG: mid-grey, left half opaque, right half transparent."""
    grey = Image.new("L", (width, height), 100)
    alpha = Image.new("L", (width, height), 0)
    ImageDraw.Draw(alpha).rectangle((0, 0, width // 2 - 1, height), fill=255)
    return encode(Image.merge("LA", (grey, alpha)), "PNG")


def animated(image_format: str, width: int = 32, height: int = 32) -> bytes:
    frames = [solid_image(width, height, c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    return encode(frames[0], image_format, save_all=True, append_images=frames[1:], duration=100)


def truncated_jpeg(width: int = 256, height: int = 192) -> bytes:
    data = encode(natural_image(width, height), "JPEG", quality=90)
    return data[: len(data) // 2]


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A few dozen bytes declaring a huge greyscale image (the IHDR is honest, the IDAT tiny)."""
    return png_from_chunks(
        [
            (b"IHDR", _ihdr(width, height, 8, 0)),
            (b"IDAT", zlib.compress(b"\x00" * 64)),
            (b"IEND", b""),
        ]
    )


def png_from_chunks(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = [b"\x89PNG\r\n\x1a\n"]
    for kind, payload in chunks:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        out.append(struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc))
    return b"".join(out)


def _ihdr(width: int, height: int, bit_depth: int, colour_type: int) -> bytes:
    return struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)


TEXT_FILE = b"Dear customer,\nthis is a text file that someone named holiday.jpg.\n"


def html_polyglot(width: int = 64, height: int = 48) -> bytes:
    """An HTML page with a JPEG appended: browsers render it as a page, so it is not an image."""
    page = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
    return page + encode(natural_image(width, height), "JPEG")


def jpeg_with_trailer(width: int = 64, height: int = 48) -> bytes:
    """A valid JPEG followed by an HTML payload after its EOI marker."""
    return encode(natural_image(width, height), "JPEG") + b"<html><script>x()</script></html>"


# --------------------------------------------------------------------------------------------
# Measuring outputs


def decode(data: bytes) -> Image.Image:
    """Fully decoded image from bytes (forces the decode, so damage shows here)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def changed_fraction(first: Image.Image, second: Image.Image, threshold: int = 40) -> float:
    """Share of pixels where some channel differs by more than `threshold` (same size, RGB)."""
    difference = ImageChops.difference(first.convert("RGB"), second.convert("RGB"))
    strongest = ImageChops.lighter(
        ImageChops.lighter(difference.getchannel(0), difference.getchannel(1)),
        difference.getchannel(2),
    )
    histogram = strongest.histogram()
    return sum(histogram[threshold + 1 :]) / (first.width * first.height)


def colour_distance(first: tuple[int, ...], second: tuple[int, ...]) -> int:
    return max(abs(a - b) for a, b in zip(first, second, strict=False))
