"""process_image end to end on generated images: sizes, orientation, privacy, watermark, modes."""

from __future__ import annotations

import functools

import pytest
from PIL import Image, ImageChops, ImageCms

from services.upload.pipeline import PREVIEW_SIDE, THUMBNAIL_SIDE, Renditions, process_image
from services.upload.pipeline.decode import decode_at_least
from services.upload.pipeline.validation import open_image
from tests.services.upload import images

FORMATS = ("JPEG", "PNG", "WEBP")


@functools.cache
def natural(image_format: str, width: int, height: int) -> bytes:
    """A photo-like image, generated small and enlarged so that encoding it stays fast."""
    small = images.natural_image(width // 4, height // 4)
    fast = {"PNG": {"compress_level": 1}, "WEBP": {"method": 0}}.get(image_format, {})
    photo = small.resize((width, height), Image.Resampling.BICUBIC)
    return images.encode(photo, image_format, **fast)


@functools.cache
def private_photo(image_format: str) -> bytes:
    return images.photo_with_private_metadata(
        images.natural_image(480, 320), image_format, orientation=6
    )


def outputs(renditions: Renditions) -> dict[str, bytes]:
    return {
        "thumbnail": renditions.thumbnail,
        "preview": renditions.preview,
        "licensed": renditions.licensed,
    }


def assert_fits(size: tuple[int, int], original: tuple[int, int], side: int) -> None:
    """Longest side `side` (or the original when smaller), aspect ratio kept to rounding."""
    expected_long = min(side, max(original))
    assert max(size) == expected_long
    scale = expected_long / max(original)
    for actual, full in zip(size, original, strict=True):
        assert abs(actual - max(1, round(full * scale))) <= 1


# --------------------------------------------------------------------------------------------
# Sizes


@pytest.mark.parametrize("image_format", FORMATS)
def test_process_image_makes_every_rendition_at_its_size(image_format: str) -> None:
    # GIVEN a 2000 x 1500 photo
    data = natural(image_format, 2000, 1500)

    # WHEN it is processed
    result = process_image(data)

    # THEN the original's size is reported, the preview is 1600 px, the thumbnail 400 px
    assert (result.format, result.width, result.height) == (image_format, 2000, 1500)
    preview, thumbnail = images.decode(result.preview), images.decode(result.thumbnail)
    assert (preview.format, preview.size) == ("JPEG", (PREVIEW_SIDE, 1200))
    assert (thumbnail.format, thumbnail.size) == ("JPEG", (THUMBNAIL_SIDE, 300))
    assert images.decode(result.licensed).size == (2000, 1500)
    assert result.licensed_content_type == f"image/{image_format.lower()}"


@pytest.mark.parametrize(
    "size", [(1800, 600), (600, 1800), (1000, 700), (300, 200), (1, 1), (3000, 2), (2, 900)]
)
def test_process_image_keeps_aspect_ratio_and_never_enlarges(size: tuple[int, int]) -> None:
    # GIVEN panoramas, portraits, images smaller than the preview, a single pixel, slivers
    data = images.encode(images.quadrant_pattern(*size), "PNG")

    # WHEN processed
    result = process_image(data)

    # THEN every rendition keeps the aspect ratio, and none is larger than the original
    assert (result.width, result.height) == size
    assert_fits(images.decode(result.preview).size, size, PREVIEW_SIDE)
    assert_fits(images.decode(result.thumbnail).size, size, THUMBNAIL_SIDE)


def test_decode_at_least_uses_three_eighths_dct_scaling_when_large_enough() -> None:
    # GIVEN a 4800 x 3200 JPEG, for which Pillow's draft alone would decode 2400 x 1600
    original = images.quadrant_pattern(4800, 3200)
    data = images.encode(original, "JPEG", quality=95)

    # WHEN decoded for a 1600 x 1067 preview
    decoded = decode_at_least(open_image(data), (1600, 1067))

    # THEN libjpeg decoded at 3/8 scale, and the pixels are the picture, not garbage
    assert decoded.size == (1800, 1200)
    reference = original.resize(decoded.size, Image.Resampling.BOX)
    assert images.changed_fraction(decoded, reference, threshold=40) < 0.01


# --------------------------------------------------------------------------------------------
# Orientation


def _quadrant_colours(image: Image.Image) -> dict[str, tuple[int, ...]]:
    width, height = image.size
    points = {
        "top_left": (width // 4, height // 4),
        "top_right": (3 * width // 4, height // 4),
        "bottom_left": (width // 4, 3 * height // 4),
        "bottom_right": (3 * width // 4, 3 * height // 4),
    }
    return {name: image.convert("RGB").getpixel(point) for name, point in points.items()}


@pytest.mark.parametrize(
    ("image_format", "orientation"),
    [("JPEG", orientation) for orientation in range(1, 9)] + [("PNG", 6), ("WEBP", 8)],
)
def test_process_image_applies_exif_orientation(image_format: str, orientation: int) -> None:
    # GIVEN a camera that stored rotated/flipped pixels of a 300 x 200 asymmetric pattern
    stored = images.stored_for_orientation(images.quadrant_pattern(300, 200), orientation)
    exif = images.private_exif(orientation).tobytes()
    lossless = {"lossless": True} if image_format == "WEBP" else {}
    data = images.encode(stored, image_format, exif=exif, **lossless)

    # WHEN processed
    result = process_image(data)

    # THEN sizes are as displayed and every quadrant of the renditions is where a viewer shows it
    assert (result.width, result.height) == (300, 200)
    assert images.decode(result.preview).size == (300, 200)
    thumbnail = images.decode(result.thumbnail)
    for quadrant, colour in _quadrant_colours(thumbnail).items():
        assert images.colour_distance(colour, images.QUADRANT_COLOURS[quadrant]) < 40, quadrant


@pytest.mark.parametrize("image_format", FORMATS)
def test_process_image_licensed_copy_keeps_only_the_orientation(image_format: str) -> None:
    # GIVEN a photo with orientation 6 and private EXIF
    data = private_photo(image_format)

    # WHEN processed
    result = process_image(data)

    # THEN a viewer still rotates the licensed copy, and Orientation is all the EXIF it has
    licensed = images.decode(result.licensed)
    assert dict(licensed.getexif()) == {images.ORIENTATION: 6}
    assert (result.width, result.height) == (320, 480)


# --------------------------------------------------------------------------------------------
# Privacy


@pytest.mark.parametrize("image_format", FORMATS)
def test_process_image_strips_private_metadata_from_every_output(image_format: str) -> None:
    # GIVEN a photo carrying GPS, a body serial, a maker note, XMP and comments
    data = private_photo(image_format)
    assert images.decode(data).getexif().get_ifd(images.GPS_IFD)
    assert images.CAMERA_SERIAL.encode() in data

    # WHEN processed
    result = process_image(data)

    # THEN no output has GPS, serial, maker note, XMP, comments or IPTC
    for name, output in outputs(result).items():
        decoded = images.decode(output)
        exif = decoded.getexif()
        assert not exif.get_ifd(images.GPS_IFD), name
        assert not exif.get_ifd(images.EXIF_IFD), name
        secrets = (
            images.CAMERA_SERIAL.encode(),
            images.XMP_SECRET.encode(),
            images.COMMENT_SECRET.encode(),
            images.IPTC_SECRET,
            b"PrivateCam",
            b"MAKERNOTE",
        )
        assert not [secret for secret in secrets if secret in output], name
        assert not {"xmp", "XML:com.adobe.xmp", "comment", "Comment", "photoshop"} & set(
            decoded.info
        ), name


def test_process_image_drops_data_after_the_jpeg_end_marker() -> None:
    # GIVEN a valid JPEG with an HTML payload appended
    data = images.jpeg_with_trailer()

    # WHEN processed
    result = process_image(data)

    # THEN the licensed copy ends with the JPEG and the payload is gone
    assert b"<html" not in result.licensed
    assert result.licensed.endswith(b"\xff\xd9")


def test_process_image_licensed_mpo_keeps_only_the_primary_image() -> None:
    # GIVEN a phone-style JPEG with a second image behind it (MPF)
    data = images.mpo_jpeg(320, 240)

    # WHEN processed
    result = process_image(data)

    # THEN it is a JPEG, and the licensed copy holds one image without the MPF index
    assert result.format == "JPEG"
    assert result.licensed.count(b"\xff\xd8") == 1
    assert b"MPF\x00" not in result.licensed
    assert images.decode(result.licensed).format == "JPEG"


# --------------------------------------------------------------------------------------------
# Licensed copy: original pixels


@pytest.mark.parametrize("image_format", FORMATS)
def test_process_image_licensed_copy_has_the_original_pixels(image_format: str) -> None:
    # GIVEN a photo with metadata
    data = private_photo(image_format)

    # WHEN processed
    result = process_image(data)

    # THEN the licensed copy decodes to exactly the original pixels and is the same format
    original, licensed = images.decode(data), images.decode(result.licensed)
    assert (licensed.format, licensed.mode, licensed.size) == (
        original.format,
        original.mode,
        original.size,
    )
    assert ImageChops.difference(original, licensed).getbbox() is None


def test_process_image_licensed_jpeg_is_not_reencoded() -> None:
    # GIVEN a progressive JPEG (several scans)
    data = images.encode(images.natural_image(320, 240), "JPEG", quality=90, progressive=True)
    scans = data[data.index(b"\xff\xda") : data.rindex(b"\xff\xd9")]

    # WHEN processed
    result = process_image(data)

    # THEN the compressed scans are carried over byte for byte
    assert scans in result.licensed


def test_process_image_keeps_the_icc_profile() -> None:
    # GIVEN an RGB photo with an embedded ICC profile
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = images.encode(images.natural_image(320, 240), "JPEG", icc_profile=profile)

    # WHEN processed
    result = process_image(data)

    # THEN every output carries it, so colours display as the photographer saw them
    for name, output in outputs(result).items():
        assert images.decode(output).info.get("icc_profile") == profile, name


# --------------------------------------------------------------------------------------------
# Watermark


@pytest.mark.parametrize("grey", [20, 128, 235])
def test_process_image_watermarks_the_preview_visibly(grey: int) -> None:
    # GIVEN a dark, a mid-grey and a light photo
    original = Image.new("RGB", (1800, 1200), (grey, grey, grey))
    data = images.encode(original, "JPEG", quality=95)

    # WHEN processed
    result = process_image(data)

    # THEN a good share of the preview's pixels differ strongly from an unmarked resize
    preview = images.decode(result.preview)
    unmarked = original.resize(preview.size)
    assert images.changed_fraction(preview, unmarked, threshold=40) > 0.03
    # ... while the thumbnail and the licensed copy carry no watermark
    thumbnail = images.decode(result.thumbnail)
    assert images.changed_fraction(thumbnail, original.resize(thumbnail.size), 12) == 0
    assert images.changed_fraction(images.decode(result.licensed), original, 12) == 0


def test_process_image_watermark_leaves_the_picture_recognisable() -> None:
    # GIVEN a natural photo
    data = natural("JPEG", 1800, 1200)

    # WHEN processed
    result = process_image(data)

    # THEN most of the preview is the photo itself
    preview = images.decode(result.preview)
    unmarked = images.decode(data).resize(preview.size, Image.Resampling.LANCZOS)
    assert 0.03 < images.changed_fraction(preview, unmarked, threshold=40) < 0.35


# --------------------------------------------------------------------------------------------
# Colour modes


def test_process_image_converts_cmyk_to_rgb() -> None:
    # GIVEN a CMYK JPEG (as print workflows export)
    data = images.cmyk_jpeg(320, 240)

    # WHEN processed
    result = process_image(data)

    # THEN the thumbnail is RGB and looks like Pillow's own conversion of the original
    thumbnail = images.decode(result.thumbnail)
    reference = images.decode(data).convert("RGB").resize(thumbnail.size)
    assert thumbnail.mode == "RGB"
    assert images.changed_fraction(thumbnail, reference, threshold=30) < 0.02


def test_process_image_scales_16_bit_grey_instead_of_clipping() -> None:
    # GIVEN a 16-bit greyscale PNG ramping from black to white
    data = images.png_16bit_grey(256, 32)

    # WHEN processed
    result = process_image(data)

    # THEN the middle of the ramp is mid-grey, not clipped to white
    thumbnail = images.decode(result.thumbnail)
    left, middle, right = (thumbnail.getpixel((x, 16)) for x in (2, 128, 253))
    assert left[0] < 20 and 100 < middle[0] < 156 and right[0] > 235


def test_process_image_reads_16_bit_rgb() -> None:
    # GIVEN a 16-bit RGB PNG, uniformly orange
    data = images.png_16bit_rgb(64, 64)

    # WHEN processed
    result = process_image(data)

    # THEN it is orange
    assert result.colours == ["orange"]


@pytest.mark.parametrize(
    ("data", "inside", "outside"),
    [
        (images.palette_png_with_transparency(64, 48), (0, 0, 255), (255, 255, 255)),
        (images.grey_alpha_png(64, 48), (100, 100, 100), (255, 255, 255)),
    ],
    ids=["palette-with-transparency", "grey-with-alpha"],
)
def test_process_image_flattens_transparency_onto_white(
    data: bytes, inside: tuple[int, int, int], outside: tuple[int, int, int]
) -> None:
    # GIVEN a palette PNG with a transparent background / a grey+alpha PNG, opaque on the left

    # WHEN processed
    result = process_image(data)

    # THEN opaque pixels keep their colour and transparent ones are white
    thumbnail = images.decode(result.thumbnail)
    opaque_point = (thumbnail.width // 2 - 8, thumbnail.height // 2)
    transparent_point = (thumbnail.width - 2, 1)
    assert thumbnail.mode == "RGB"
    assert images.colour_distance(thumbnail.getpixel(opaque_point), inside) < 12
    assert images.colour_distance(thumbnail.getpixel(transparent_point), outside) < 12


def test_process_image_makes_greyscale_renditions_rgb() -> None:
    # GIVEN a greyscale JPEG
    data = images.grey_jpeg(320, 240)

    # WHEN processed
    result = process_image(data)

    # THEN renditions are RGB JPEGs, and the licensed copy stays greyscale
    assert images.decode(result.preview).mode == "RGB"
    assert images.decode(result.licensed).mode == "L"


# --------------------------------------------------------------------------------------------
# Palette


@pytest.mark.parametrize(
    ("main", "accent", "first", "second"),
    [
        ((200, 25, 30), (30, 60, 200), "red", "blue"),
        ((40, 140, 50), (250, 250, 250), "green", "white"),
        ((20, 20, 20), (250, 210, 0), "black", "yellow"),
    ],
)
def test_process_image_names_the_dominant_colours_first(
    main: tuple[int, int, int], accent: tuple[int, int, int], first: str, second: str
) -> None:
    # GIVEN a photo mostly of one colour with a band of another
    data = images.encode(images.dominant_colour_image(640, 480, main, accent), "JPEG")

    # WHEN processed
    result = process_image(data)

    # THEN the dominant colour is named first, the accent next, each once
    assert result.colours[:2] == [first, second]
    assert len(result.colours) == len(set(result.colours))
    assert all(colour.startswith("#") and len(colour) == 7 for colour in result.palette)
