"""process_image: from uploaded bytes to everything the processor stores and publishes."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from services.upload.pipeline.colour_names import colour_names
from services.upload.pipeline.decode import decode_at_least
from services.upload.pipeline.memory import keep_freed_memory
from services.upload.pipeline.metadata import strip_metadata
from services.upload.pipeline.modes import to_rgb
from services.upload.pipeline.orientation import orient, oriented_size, read_orientation
from services.upload.pipeline.palette import dominant_palette
from services.upload.pipeline.renditions import (
    PREVIEW_QUALITY,
    PREVIEW_SIDE,
    THUMBNAIL_QUALITY,
    THUMBNAIL_SIDE,
    encode_jpeg,
    fit_within,
    resample,
)
from services.upload.pipeline.validation import (
    CONTENT_TYPES,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    open_image,
)
from services.upload.pipeline.watermark import stamp


@dataclass(frozen=True)
class Renditions:
    """What one upload becomes. `width`/`height` are the original's, as displayed (oriented)."""

    format: str
    width: int
    height: int
    thumbnail: bytes
    preview: bytes
    licensed: bytes
    licensed_content_type: str
    palette: list[str]
    colours: list[str]


@dataclass(frozen=True)
class _Public:
    thumbnail: bytes
    preview: bytes
    palette: list[str]


def process_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES
) -> Renditions:
    """Validate `data` and make every rendition; raises ImageRejected with a reason otherwise.

    Pixels are decoded once, at the smallest scale the preview allows; the thumbnail and the
    palette come from the preview, and the licensed copy from the original bytes.
    """
    keep_freed_memory()
    image = open_image(data, max_pixels=max_pixels, max_bytes=max_bytes)
    image_format = "JPEG" if image.format == "MPO" else str(image.format)
    stored_size = image.size
    decoded = decode_at_least(image, fit_within(stored_size, PREVIEW_SIDE), data)
    orientation = read_orientation(image)
    public = _public_renditions(decoded, stored_size, orientation, image.info.get("icc_profile"))
    width, height = oriented_size(stored_size, orientation)
    return Renditions(
        format=image_format,
        width=width,
        height=height,
        thumbnail=public.thumbnail,
        preview=public.preview,
        licensed=strip_metadata(data, image_format, orientation, stored_size),
        licensed_content_type=CONTENT_TYPES[image_format],
        palette=public.palette,
        colours=colour_names(public.palette),
    )


def _public_renditions(
    decoded: Image.Image, stored_size: tuple[int, int], orientation: int, icc: bytes | None
) -> _Public:
    base = resample(decoded, fit_within(stored_size, PREVIEW_SIDE))
    rgb, icc_out = to_rgb(base, icc)
    preview = orient(rgb, orientation)
    thumbnail = resample(preview, fit_within(preview.size, THUMBNAIL_SIDE))
    thumbnail_jpeg = encode_jpeg(thumbnail, THUMBNAIL_QUALITY, icc_out)
    palette = dominant_palette(thumbnail)
    stamp(preview)  # in place, once everything unmarked has been taken from it
    return _Public(
        thumbnail=thumbnail_jpeg,
        preview=encode_jpeg(preview, PREVIEW_QUALITY, icc_out),
        palette=palette,
    )
