"""Rewrite a WebP's RIFF chunks to drop private metadata without re-encoding the pixels.

Re-encoding a lossy WebP would lose quality, and losslessly would bloat it; the chunks can
simply be re-assembled instead. Kept: the bitstream (VP8 / VP8L, with ALPH), the ICC profile and
a VP8X header whose flags match what remains. Dropped: EXIF, XMP and unknown chunks.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from services.upload.pipeline.errors import MalformedFile

Buffer = bytes | memoryview
Chunk = tuple[bytes, Buffer]
"""A chunk's four-character type and its payload (a view of the file where possible)."""

_IMAGE_CHUNKS = {b"ALPH", b"VP8 ", b"VP8L"}
_ICC_FLAG, _ALPHA_FLAG, _EXIF_FLAG = 0x20, 0x10, 0x08


def strip_webp(data: bytes, size: tuple[int, int], exif: bytes | None = None) -> bytes:
    """`data` without private metadata; `exif` (a TIFF structure) becomes the only EXIF chunk.

    `size` is the canvas size, needed when a simple WebP must gain a VP8X header for `exif`.
    """
    chunks: list[Chunk] = list(_chunks(memoryview(data)))
    image = [(kind, payload) for kind, payload in chunks if kind in _IMAGE_CHUNKS]
    if not any(kind in (b"VP8 ", b"VP8L") for kind, _ in image):
        raise MalformedFile("no VP8/VP8L bitstream")
    icc = [(kind, payload) for kind, payload in chunks if kind == b"ICCP"]
    extended = any(kind == b"VP8X" for kind, _ in chunks)
    body: list[Chunk]
    if not extended and exif is None:
        body = image
    else:
        header = (b"VP8X", _vp8x(size, alpha=_has_alpha(chunks), icc=bool(icc), exif=bool(exif)))
        body = [header, *icc[:1], *image, *([(b"EXIF", exif)] if exif else [])]
    # One copy of the (possibly 100 MB) bitstream: the parts are views, joined once.
    parts = [part for kind, payload in body for part in _chunk(kind, payload)]
    riff_size = 4 + sum(len(part) for part in parts)
    return b"".join([b"RIFF", struct.pack("<I", riff_size), b"WEBP", *parts])


def _has_alpha(chunks: list[Chunk]) -> bool:
    for kind, payload in chunks:
        if kind == b"VP8X" and payload:
            return bool(payload[0] & _ALPHA_FLAG)
        if kind == b"ALPH":
            return True
        if kind == b"VP8L" and len(payload) >= 5:
            return bool((int.from_bytes(payload[1:5], "little") >> 28) & 1)
    return False


def _vp8x(size: tuple[int, int], *, alpha: bool, icc: bool, exif: bool) -> bytes:
    flags = (_ALPHA_FLAG if alpha else 0) | (_ICC_FLAG if icc else 0) | (_EXIF_FLAG if exif else 0)
    width, height = size
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return bytes((flags, 0, 0, 0)) + canvas


def _chunk(kind: bytes, payload: Buffer) -> tuple[bytes, Buffer, bytes]:
    padding = b"\x00" if len(payload) % 2 else b""
    return kind + struct.pack("<I", len(payload)), payload, padding


def _chunks(data: memoryview) -> Iterator[tuple[bytes, memoryview]]:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise MalformedFile("no RIFF/WEBP header")
    end_of_riff = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    position = 12
    while position + 8 <= end_of_riff:
        kind, length = struct.unpack_from("<4sI", data, position)
        start = position + 8
        if start + length > end_of_riff:
            raise MalformedFile(f"chunk {kind!r} at byte {position} overruns the file")
        yield kind, data[start : start + length]
        position = start + length + (length % 2)
