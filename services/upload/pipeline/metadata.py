"""The licensed copy: the original file with private metadata removed, pixels untouched.

Each format's container is rewritten (JPEG segments, PNG chunks, WebP RIFF chunks) rather than
the image re-encoded: the buyer gets exactly the pixels the photographer uploaded, and the
rewrite costs milliseconds. Orientation cannot be applied to compressed pixels without loss, so
it survives as the only EXIF field (a minimal TIFF with one Orientation entry).
"""

from __future__ import annotations

import struct

from services.upload.pipeline.errors import MalformedFile
from services.upload.pipeline.jpeg_segments import strip_jpeg
from services.upload.pipeline.png_chunks import strip_png
from services.upload.pipeline.validation import damaged
from services.upload.pipeline.webp_chunks import strip_webp

ORIENTATION_TAG = 0x0112
_SHORT = 3


def strip_metadata(
    data: bytes, image_format: str, orientation: int, size: tuple[int, int]
) -> bytes:
    """`data` (an already decoded, valid image of `image_format`) without private metadata."""
    exif = orientation_exif(orientation) if orientation != 1 else None
    try:
        if image_format in ("JPEG", "MPO"):
            return strip_jpeg(data, exif)
        if image_format == "PNG":
            return strip_png(data, exif)
        if image_format == "WEBP":
            return strip_webp(data, size, exif)
    except MalformedFile as error:
        raise damaged("JPEG" if image_format == "MPO" else image_format) from error
    raise ValueError(f"no metadata stripping for {image_format}")


def orientation_exif(orientation: int) -> bytes:
    """A big-endian TIFF structure whose only IFD entry is Orientation."""
    header = b"MM\x00\x2a" + struct.pack(">I", 8)
    entry = struct.pack(">HHIHH", ORIENTATION_TAG, _SHORT, 1, orientation, 0)
    return header + struct.pack(">H", 1) + entry + struct.pack(">I", 0)
