"""Container rewriting for the licensed copy: JPEG segments, PNG chunks, WebP RIFF chunks."""

from __future__ import annotations

import functools
import struct

import pytest
from PIL import Image, ImageChops, ImageCms

from services.upload.pipeline.errors import MalformedFile
from services.upload.pipeline.jpeg_segments import strip_jpeg
from services.upload.pipeline.metadata import orientation_exif
from services.upload.pipeline.png_chunks import strip_png
from services.upload.pipeline.webp_chunks import strip_webp
from tests.services.upload import images


@functools.cache
def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_markers(data: bytes) -> list[int]:
    """Markers of the segments before the first scan."""
    markers, position = [], 2
    while data[position + 1] != 0xDA:
        markers.append(data[position + 1])
        position += 2 + struct.unpack_from(">H", data, position + 2)[0]
    return markers


def png_chunk_types(data: bytes) -> list[bytes]:
    kinds, position = [], 8
    while position < len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        kinds.append(kind)
        position += 12 + length
    return kinds


def webp_chunk_types(data: bytes) -> list[bytes]:
    kinds, position = [], 12
    while position < len(data):
        kind, length = struct.unpack_from("<4sI", data, position)
        kinds.append(kind)
        position += 8 + length + length % 2
    return kinds


def same_pixels(first: bytes, second: bytes) -> bool:
    return ImageChops.difference(images.decode(first), images.decode(second)).getbbox() is None


def test_orientation_exif_holds_only_the_orientation() -> None:
    # GIVEN orientation 8
    # WHEN the minimal EXIF is built
    exif = Image.Exif()
    exif.load(orientation_exif(8))

    # THEN Pillow reads exactly one entry, Orientation = 8
    assert dict(exif) == {images.ORIENTATION: 8}


# --------------------------------------------------------------------------------------------
# JPEG


def test_strip_jpeg_keeps_decoding_segments_icc_and_jfif_only() -> None:
    # GIVEN a JPEG with JFIF, EXIF, XMP, ICC, a comment and IPTC
    data = images.photo_with_private_metadata(
        images.natural_image(96, 64), icc_profile=srgb_profile()
    )
    assert {0xE1, 0xED, 0xFE} <= set(jpeg_markers(data))

    # WHEN stripped
    stripped = strip_jpeg(data)

    # THEN only JFIF (APP0), ICC (APP2) and decoding segments remain, with the same pixels
    assert not {0xE1, 0xED, 0xFE} & set(jpeg_markers(stripped))
    assert {0xE0, 0xE2} <= set(jpeg_markers(stripped))
    assert images.decode(stripped).info["icc_profile"] == srgb_profile()
    assert same_pixels(data, stripped)


def test_strip_jpeg_writes_the_given_exif_after_jfif() -> None:
    # GIVEN a JPEG with JFIF and private EXIF
    data = images.photo_with_private_metadata(images.natural_image(96, 64), orientation=3)

    # WHEN stripped with an orientation-only EXIF
    stripped = strip_jpeg(data, orientation_exif(3))

    # THEN the new EXIF directly follows JFIF, and it is all a reader finds
    assert jpeg_markers(stripped)[:2] == [0xE0, 0xE1]
    assert dict(images.decode(stripped).getexif()) == {images.ORIENTATION: 3}


def test_strip_jpeg_keeps_the_adobe_segment_of_cmyk() -> None:
    # GIVEN a CMYK JPEG, whose colours depend on its Adobe APP14 segment
    data = images.cmyk_jpeg(64, 48)

    # WHEN stripped
    stripped = strip_jpeg(data)

    # THEN APP14 survives and the pixels are identical
    assert 0xEE in jpeg_markers(stripped)
    assert same_pixels(data, stripped)


def test_strip_jpeg_drops_the_jfif_thumbnail() -> None:
    # GIVEN a JPEG whose JFIF segment carries a 2 x 1 thumbnail
    plain = images.encode(images.natural_image(64, 48), "JPEG")
    app0_end = 4 + struct.unpack_from(">H", plain, 4)[0]
    thumbnail = plain[6:16] + b"\x02\x01" + bytes(6)  # fields, 2 x 1 thumbnail, RGB pixels
    data = (
        plain[:2]
        + b"\xff\xe0"
        + struct.pack(">H", len(thumbnail) + 2)
        + thumbnail
        + (plain[app0_end:])
    )

    # WHEN stripped
    stripped = strip_jpeg(data)

    # THEN the JFIF segment is the minimal 16 bytes, with no thumbnail
    assert stripped[2:4] == b"\xff\xe0"
    assert struct.unpack_from(">H", stripped, 4)[0] == 16
    assert stripped[18:20] == b"\x00\x00"
    assert same_pixels(data, stripped)


def test_strip_jpeg_drops_segments_between_progressive_scans() -> None:
    # GIVEN a progressive JPEG with a comment hidden between two scans
    data = images.encode(images.natural_image(96, 64), "JPEG", progressive=True)
    second_scan = data.index(b"\xff\xda", data.index(b"\xff\xda") + 2)
    comment = b"\xff\xfe" + struct.pack(">H", 2 + 14) + b"between-scans!"
    data = data[:second_scan] + comment + data[second_scan:]

    # WHEN stripped
    stripped = strip_jpeg(data)

    # THEN the comment is gone and every scan still decodes to the same pixels
    assert b"between-scans!" not in stripped
    assert stripped.count(b"\xff\xda") == data.count(b"\xff\xda")
    assert same_pixels(data, stripped)


def test_strip_jpeg_walks_restart_markers() -> None:
    # GIVEN a JPEG with a restart marker after every MCU
    data = images.encode(images.natural_image(96, 64), "JPEG", restart_marker_blocks=1)
    assert b"\xff\xd0" in data

    # WHEN stripped
    stripped = strip_jpeg(data)

    # THEN the scan is carried whole
    assert data[data.index(b"\xff\xda") :] == stripped[stripped.index(b"\xff\xda") :]


def test_strip_jpeg_is_idempotent_and_drops_trailing_data() -> None:
    # GIVEN a JPEG followed by an HTML payload
    data = images.jpeg_with_trailer()

    # WHEN stripped twice
    once = strip_jpeg(data)

    # THEN the payload is gone and stripping again changes nothing
    assert b"<html" not in once
    assert strip_jpeg(once) == once


def test_strip_jpeg_rejects_a_segment_overrunning_the_file() -> None:
    # GIVEN a JPEG cut inside its header
    data = images.encode(images.natural_image(64, 48), "JPEG")[:40]

    # WHEN stripped / THEN the structure is reported broken
    with pytest.raises(MalformedFile):
        strip_jpeg(data)


# --------------------------------------------------------------------------------------------
# PNG


def test_strip_png_keeps_pixels_and_colour_chunks_only() -> None:
    # GIVEN a PNG with EXIF, XMP, a compressed comment, a timestamp and an ICC profile
    data = images.photo_with_private_metadata(
        images.natural_image(64, 48), "PNG", icc_profile=srgb_profile()
    )
    data = data[:-12] + _png_chunk(b"tIME", bytes(7)) + data[-12:]
    assert {b"eXIf", b"iTXt", b"zTXt", b"tIME"} <= set(png_chunk_types(data))

    # WHEN stripped
    stripped = strip_png(data)

    # THEN text, EXIF and time are gone, the profile and pixels are kept
    kinds = png_chunk_types(stripped)
    assert not {b"eXIf", b"iTXt", b"zTXt", b"tEXt", b"tIME"} & set(kinds)
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND" and b"iCCP" in kinds
    assert images.decode(stripped).info["icc_profile"] == srgb_profile()
    assert same_pixels(data, stripped)


def test_strip_png_writes_the_given_exif_before_the_pixels() -> None:
    # GIVEN a plain PNG
    data = images.encode(images.natural_image(64, 48), "PNG")

    # WHEN stripped with an orientation-only EXIF
    stripped = strip_png(data, orientation_exif(6))

    # THEN eXIf precedes the first IDAT and Pillow reads the orientation
    kinds = png_chunk_types(stripped)
    assert kinds.index(b"eXIf") < kinds.index(b"IDAT")
    assert dict(images.decode(stripped).getexif()) == {images.ORIENTATION: 6}


def test_strip_png_rejects_a_chunk_failing_its_crc() -> None:
    # GIVEN a PNG with one byte of its header chunk changed
    data = bytearray(images.encode(images.natural_image(64, 48), "PNG"))
    data[20] ^= 0x01

    # WHEN stripped / THEN the damage is reported
    with pytest.raises(MalformedFile, match="CRC"):
        strip_png(bytes(data))


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    import zlib

    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


# --------------------------------------------------------------------------------------------
# WebP


@pytest.mark.parametrize("lossless", [False, True])
def test_strip_webp_drops_exif_and_xmp_and_keeps_icc(lossless: bool) -> None:
    # GIVEN a WebP with EXIF, XMP and an ICC profile
    data = images.photo_with_private_metadata(
        images.natural_image(64, 48), "WEBP", icc_profile=srgb_profile(), lossless=lossless
    )
    assert {b"EXIF", b"XMP ", b"ICCP"} <= set(webp_chunk_types(data))

    # WHEN stripped
    stripped = strip_webp(data, (64, 48))

    # THEN only the header, the profile and the bitstream are left, with the same pixels
    assert webp_chunk_types(stripped) == [b"VP8X", b"ICCP", b"VP8L" if lossless else b"VP8 "]
    assert stripped[20] & 0x2C == 0x20  # VP8X flags: ICC set, EXIF and XMP clear
    assert images.decode(stripped).info["icc_profile"] == srgb_profile()
    assert same_pixels(data, stripped)


def test_strip_webp_adds_an_extended_header_for_orientation() -> None:
    # GIVEN a simple lossless WebP with transparency (no VP8X header)
    image = images.natural_image(64, 48).convert("RGBA")
    image.putalpha(128)
    data = images.encode(image, "WEBP", lossless=True)
    assert webp_chunk_types(data) == [b"VP8L"]

    # WHEN stripped with an orientation-only EXIF
    stripped = strip_webp(data, (64, 48), orientation_exif(5))

    # THEN a VP8X header announces alpha and EXIF, and readers see the orientation and alpha
    assert webp_chunk_types(stripped) == [b"VP8X", b"VP8L", b"EXIF"]
    assert stripped[20] & 0x18 == 0x18
    decoded = images.decode(stripped)
    assert dict(decoded.getexif()) == {images.ORIENTATION: 5}
    assert decoded.mode == "RGBA" and same_pixels(data, stripped)


def test_strip_webp_leaves_a_simple_file_unchanged() -> None:
    # GIVEN a simple lossy WebP without metadata
    data = images.encode(images.natural_image(64, 48), "WEBP")

    # WHEN stripped without EXIF / THEN it comes back byte for byte
    assert strip_webp(data, (64, 48)) == data
