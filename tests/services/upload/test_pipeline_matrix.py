"""process_image over the generated image matrix: every valid file is published, correctly.

The matrix (`matrix.py`) is the full cross product of format x colour mode x transparency x
ICC profile x EXIF orientation 1-8 x shape (1 x 1, 1 x 10000, 10000 x 1, 37 x 23), minus the
(format, mode, transparency, profile) kinds Pillow cannot write, which Pillow itself decides
(`matrix.writable`). Every dimension is cheap here (the largest image is 10,000 pixels), so
no combination is sampled away: ~2,200 cases, about a minute on one core.

Every file in it is valid (Pillow wrote it and decodes it), so each must be published; a
rejection fails the test with its reason, and any other exception fails it as is. Files
Pillow cannot write come from other encoders too: every PNG colour type x bit depth of the
specification, with and without a tRNS key, is written chunk by chunk and must be published.
"""

from __future__ import annotations

from collections import Counter

import pytest
from PIL import Image, ImageChops, ImageStat

from services.upload.pipeline import (
    PREVIEW_SIDE,
    THUMBNAIL_SIDE,
    ImageRejected,
    Renditions,
    process_image,
)
from services.upload.pipeline.modes import resamplable, to_rgb
from services.upload.pipeline.renditions import fit_within
from tests.services.upload import images, matrix

CASES = matrix.cases()
PRIVATE = (
    images.CAMERA_SERIAL.encode(),
    images.XMP_SECRET.encode(),
    images.COMMENT_SECRET.encode(),
    images.IPTC_SECRET,
    b"PrivateCam",
    b"MAKERNOTE",
)
MEAN_TOLERANCE = 6.0
"""Mean grey-level distance of the thumbnail from Pillow's full-size rendering. Measured over
the matrix: 0.2 on average, 1.1 at worst (JPEG and resampling error); a flipped or turned
layout is 47 or more away (a whole quadrant moves)."""


def published(data: bytes) -> Renditions:
    try:
        return process_image(data)
    except ImageRejected as rejection:
        pytest.fail(f"a valid image was rejected ({rejection.code}): {rejection.reason}")


def looks_like(rendition: Image.Image, expected: Image.Image) -> float:
    """Mean per-channel distance between `rendition` and `expected` brought to its size."""
    reference = expected.resize(rendition.size, Image.Resampling.BOX)
    difference = ImageChops.difference(rendition.convert("RGB"), reference)
    return max(ImageStat.Stat(difference).mean)


def test_matrix_covers_every_format_and_mode_the_issue_names() -> None:
    # GIVEN the generated matrix / WHEN its kinds are counted
    kinds = Counter((case.image_format, case.mode, case.transparent) for case in CASES)

    # THEN each format has cases, every mode is written by some format, and the two crashes
    # seen in issue 11 (1-bit and 16-bit grey PNG with a colour key) are in it
    assert {case.image_format for case in CASES} == set(matrix.FORMATS)
    assert {case.mode for case in CASES} == set(matrix.MODES)
    assert kinds[("PNG", "1", True)] and kinds[("PNG", "I;16", True)]
    assert kinds[("PNG", "P", True)] and kinds[("PNG", "P", False)]
    per_kind = len(matrix.ORIENTATIONS) * len(matrix.SHAPES) * len(matrix.ICC)
    assert set(kinds.values()) == {per_kind}


def test_matrix_skips_only_what_pillow_refuses_to_write() -> None:
    # GIVEN a kind the matrix leaves out (CMYK cannot go into a PNG)
    assert not matrix.writable("PNG", "CMYK", False, False)

    # WHEN Pillow is asked to write it / THEN it refuses
    with pytest.raises(matrix.WRITE_ERRORS):
        matrix.encode(matrix.Case("PNG", "CMYK", False, False, 1, (4, 3)))


def test_appearance_check_catches_a_wrong_orientation() -> None:
    # GIVEN a case whose layout is turned (orientation 6) and the renditions made from it
    case = matrix.Case("PNG", "RGB", False, False, 6, (37, 23))
    result = published(matrix.encoded(case))

    # WHEN the thumbnail is compared with the right and with an unturned rendering
    thumbnail = images.decode(result.thumbnail)
    right = matrix.appearance(matrix.encoded(case))
    wrong = right.transpose(Image.Transpose.ROTATE_180)

    # THEN only the right one is within the tolerance
    assert looks_like(thumbnail, right) < MEAN_TOLERANCE < looks_like(thumbnail, wrong)


@pytest.mark.parametrize("mode", matrix.MODES)
@pytest.mark.parametrize("transparent", matrix.TRANSPARENCY, ids=["opaque", "transparent"])
def test_colour_conversion_shows_every_mode_as_pillow_does(mode: str, transparent: bool) -> None:
    # GIVEN decoded pixels of this mode, with a colour key or alpha when transparent (also
    # modes no file format here yields, such as 32-bit "I", which older Pillows decoded)
    image = matrix.source_image(matrix.Case("PNG", mode, transparent, False, 1, (37, 23)))

    # WHEN made resamplable and converted for a JPEG rendition, at full size
    rgb, _ = to_rgb(resamplable(image), None)

    # THEN every pixel is Pillow's plain rendering on white, to a grey level
    assert rgb.mode == "RGB"
    difference = ImageChops.difference(rgb, matrix.on_white(image))
    assert max(high for _, high in difference.getextrema()) <= 1


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_process_image_publishes_every_valid_mode_and_shape(case: matrix.Case) -> None:
    # GIVEN a valid file of this kind, with GPS, serial, maker note and XMP
    data = matrix.encoded(case)
    original = images.decode(data)

    # WHEN it is processed
    result = published(data)

    # THEN the size is the displayed one, the renditions are JPEGs of the right sizes ...
    assert (result.width, result.height) == case.shape
    preview, thumbnail = images.decode(result.preview), images.decode(result.thumbnail)
    assert (preview.format, preview.mode) == ("JPEG", "RGB")
    assert (thumbnail.format, thumbnail.mode) == ("JPEG", "RGB")
    assert preview.size == fit_within(case.shape, PREVIEW_SIDE)
    assert thumbnail.size == fit_within(case.shape, THUMBNAIL_SIDE)
    # ... the thumbnail looks (orientation, colours, transparency on white) as Pillow shows it
    assert looks_like(thumbnail, matrix.appearance(data)) < MEAN_TOLERANCE
    # ... the licensed copy is the original's pixels, orientation and profile
    licensed = images.decode(result.licensed)
    assert licensed.format == original.format == case.image_format
    assert (licensed.mode, licensed.size) == (original.mode, original.size)
    assert licensed.tobytes() == original.tobytes()
    assert licensed.getexif().get(images.ORIENTATION, 1) == case.orientation
    assert licensed.info.get("icc_profile") == original.info.get("icc_profile")
    # ... and nothing private is left in any output
    for name, output in {"thumbnail": result.thumbnail, "preview": result.preview}.items():
        assert not [secret for secret in PRIVATE if secret in output], name
    assert not [secret for secret in PRIVATE if secret in result.licensed]
    assert not licensed.getexif().get_ifd(images.GPS_IFD)
    assert not {"xmp", "XML:com.adobe.xmp", "comment", "Comment"} & set(licensed.info)


PNG_TYPES = matrix.png_types()


@pytest.mark.parametrize(
    ("colour_type", "bit_depth", "keyed"),
    PNG_TYPES,
    ids=[f"type{t}-{d}bit-{'trns' if k else 'plain'}" for t, d, k in PNG_TYPES],
)
def test_process_image_publishes_every_png_colour_type_and_bit_depth(
    colour_type: int, bit_depth: int, keyed: bool
) -> None:
    # GIVEN a PNG of a colour type and bit depth the specification allows, with a tRNS colour
    # key when keyed (written chunk by chunk: Pillow itself writes only some of these)
    data = matrix.png_of_type(colour_type, bit_depth, keyed, (64, 48))

    # WHEN processed
    result = published(data)

    # THEN it is published, looking as Pillow shows it, with the original's pixels licensed
    thumbnail = images.decode(result.thumbnail)
    assert (thumbnail.mode, thumbnail.size) == ("RGB", (64, 48))
    assert looks_like(thumbnail, matrix.appearance(data)) < MEAN_TOLERANCE
    assert images.decode(result.licensed).tobytes() == images.decode(data).tobytes()
