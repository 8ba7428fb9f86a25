"""Rewrite a JPEG's segments to drop private metadata without re-encoding a single pixel.

A JPEG is a list of marker segments; the compressed pixels live in the scans (SOS + entropy
coded data) and decode the same whatever metadata surrounds them. So the licensed copy keeps
what a decoder needs (tables, frame, scans), the colour information (ICC profile, Adobe colour
transform, JFIF density without its thumbnail), and drops the rest: EXIF (GPS, serial numbers,
maker notes, thumbnails), XMP, Photoshop/IPTC, comments, MPF and anything after the end marker.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator

from services.upload.pipeline.errors import MalformedFile

SOI, EOI, SOS, STUFFED = 0xD8, 0xD9, 0xDA, 0x00
APP0, APP1, APP2, APP14, APP15, COM = 0xE0, 0xE1, 0xE2, 0xEE, 0xEF, 0xFE
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
"""The next real marker after entropy-coded data: not byte stuffing (FF00), a restart marker
(FFD0-FFD7) or a fill byte (FFFF)."""
_NOT_MARKERS = frozenset({0x00, *range(0xD0, 0xD8), 0xFF})
_BYTES_PER_FIND_STEP = 512
"""0xFF bytes in a scan are found with `bytes.find` (memchr) and checked one by one, twice as
fast as the regular expression when they are rare (a camera's scan has one per ~1 KB); after
one step per 512 bytes of the file the regular expression takes over, so data crafted to be
full of FF00 costs at most about twice the regular expression."""
_JFIF_FIELDS = 14  # "JFIF\0", version (2), units (1), density (2 + 2), thumbnail size (1 + 1)


def strip_jpeg(data: bytes, exif: bytes | None = None) -> bytes:
    """`data` without private metadata; `exif` (a TIFF structure) is written as the only EXIF.

    JFIF goes first and EXIF right after it, where readers look for them.
    """
    jfif: list[bytes | memoryview] = []
    rest: list[bytes | memoryview] = []
    for marker, segment in _segments(data):
        (jfif if marker == APP0 else rest).append(_kept(marker, segment))
    head = [segment for segment in jfif if segment][:1]
    if exif is not None:
        head.append(_segment(APP1, b"Exif\x00\x00" + exif))
    return b"".join([b"\xff\xd8", *head, *rest, b"\xff\xd9"])


def _kept(marker: int, segment: memoryview) -> bytes | memoryview:
    if marker == APP0:
        return _jfif_without_thumbnail(segment)
    if marker == APP2:
        return segment if segment[4:16] == b"ICC_PROFILE\x00" else b""
    if marker == APP14:
        return segment if segment[4:9] == b"Adobe" else b""
    if APP0 <= marker <= APP15 or marker == COM:
        return b""
    return segment


def _jfif_without_thumbnail(segment: memoryview) -> bytes:
    payload = bytes(segment[4:])
    if payload[:5] != b"JFIF\x00" or len(payload) < _JFIF_FIELDS:
        return b""  # JFXX extension (thumbnails only) or junk
    return _segment(APP0, payload[: _JFIF_FIELDS - 2] + b"\x00\x00")


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _segments(data: bytes) -> Iterator[tuple[int, memoryview]]:
    """(marker, bytes) of every segment after SOI up to EOI; a scan carries its entropy data."""
    view, scans = memoryview(data), _ScanEnds(data)
    if data[:2] != b"\xff\xd8":
        raise MalformedFile("no JPEG start-of-image marker")
    position = _next_marker(data, 2)
    while position + 1 < len(data):
        marker = data[position + 1]
        if marker == EOI:
            return
        if marker == STUFFED:
            position = _next_marker(data, position + 2)
            continue
        end = _segment_end(data, position, marker, scans)
        yield marker, view[position:end]
        position = _next_marker(data, end)
    # No EOI: the decoder accepted the data all the same, and strip_jpeg writes one.


def _next_marker(data: bytes, position: int) -> int:
    """Where the marker at or after `position` starts (its last FF), or the file's end.

    Bytes that are not a marker are skipped, never copied: libjpeg does the same ("extraneous
    bytes before marker", a warning) and so does Pillow's header parser, and Photoshop and some
    scanners write such bytes between segments. Fill bytes (FF FF ...) before a marker too.
    """
    position = data.find(b"\xff", position)
    if position < 0:
        return len(data)
    while position + 2 < len(data) and data[position + 1] == 0xFF:
        position += 1
    return position


def _segment_end(data: bytes, position: int, marker: int, scans: _ScanEnds) -> int:
    if marker in _STANDALONE:
        return position + 2
    if marker == SOI or position + 4 > len(data):
        raise MalformedFile(f"unexpected marker 0x{marker:02x} at byte {position}")
    length = struct.unpack_from(">H", data, position + 2)[0]
    end = position + 2 + length
    if length < 2 or end > len(data):
        raise MalformedFile(f"segment 0x{marker:02x} at byte {position} overruns the file")
    if marker == SOS:
        return scans.end_of_scan(end)
    return end


class _ScanEnds:
    """Finds where entropy-coded data ends, within one budget of `find` steps per file."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._steps = len(data) // _BYTES_PER_FIND_STEP + 64

    def end_of_scan(self, position: int) -> int:
        """The position of the first real marker at or after `position` (or the file's end)."""
        data, find, last = self._data, self._data.find, len(self._data) - 1
        steps = self._steps
        while steps > 0:
            steps -= 1
            position = find(b"\xff", position)
            if position < 0 or position >= last:
                self._steps = steps
                return len(data)
            if data[position + 1] not in _NOT_MARKERS:
                self._steps = steps
                return position
            position += 1
        self._steps = 0
        found = _MARKER_IN_SCAN.search(data, position)
        return found.start() if found else len(data)
