"""The four ways of turning an upload into its outputs that the benchmark compares.

Each implementation takes the uploaded bytes and returns the same outputs: a 1600 px tiled
watermarked preview, a 400 px thumbnail (both JPEG), the dominant palette and the licensed copy
without private metadata, after checking the pixel limit.

- `ours`: `process_image`, exactly as the processor calls it.
- `naive`: what straightforward Pillow code does: full decode, `exif_transpose`, LANCZOS resizes
  from the full image, an RGBA overlay drawn per image and `alpha_composite`d, the palette
  quantized on the thumbnail, the licensed copy re-encoded (which drops the metadata).
- `pyvips`: libvips, the speed anchor: `thumbnail_buffer` (shrink-on-load, auto-rotate), the
  same watermark stamp blended with `ifthenelse`, `jpegsave_buffer(keep="icc")`. libvips has no
  median-cut quantizer and no way to drop metadata without re-encoding, so its palette and
  licensed copy use the same Pillow / container-rewrite code as ours (milliseconds).
- `floor`: only decoding the pixels at the scale the preview needs, with ours' own decode step
  (the same DCT scale); everything else any implementation does is on top of it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_PIXELS = 100_000_000
"""What the processor passes (components/upload_service.py MAX_IMAGE_PIXELS); bench.__main__
reads the real value and hands it to the workers."""
PREVIEW_SIDE, THUMBNAIL_SIDE = 1600, 400
PREVIEW_QUALITY, THUMBNAIL_QUALITY, LICENSED_QUALITY = 82, 80, 95


@dataclass
class Outputs:
    """What an implementation made; `preview`/`thumbnail` are JPEG bytes (empty for floor)."""

    preview: bytes = b""
    thumbnail: bytes = b""
    licensed: bytes = b""
    palette: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "preview": _jpeg_summary(self.preview),
            "thumbnail": _jpeg_summary(self.thumbnail),
            "licensed_bytes": len(self.licensed),
            "palette": self.palette,
        }


Implementation = Callable[[bytes, int], Outputs]


def load(name: str) -> Implementation:
    """The implementation called `name`, its libraries imported (import time is not measured)."""
    return {"ours": _ours, "floor": _floor, "naive": _naive, "pyvips": _pyvips}[name]()


# --------------------------------------------------------------------------------------------
# ours and the floor


def _ours() -> Implementation:
    from services.upload.pipeline import process_image

    def run(data: bytes, max_pixels: int) -> Outputs:
        result = process_image(data, max_pixels=max_pixels)
        return Outputs(result.preview, result.thumbnail, result.licensed, result.palette)

    return run


def _floor() -> Implementation:
    from services.upload.pipeline.decode import decode_at_least
    from services.upload.pipeline.memory import keep_freed_memory
    from services.upload.pipeline.renditions import fit_within
    from services.upload.pipeline.validation import open_image

    def run(data: bytes, max_pixels: int) -> Outputs:
        keep_freed_memory()  # the same process settings as ours
        image = open_image(data, max_pixels=max_pixels)
        decode_at_least(image, fit_within(image.size, PREVIEW_SIDE), data)
        return Outputs()

    return run


# --------------------------------------------------------------------------------------------
# naive Pillow


def _naive() -> Implementation:
    from PIL import Image, ImageOps

    def run(data: bytes, max_pixels: int) -> Outputs:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > max_pixels:
            raise ValueError("too many pixels")
        image_format = image.format
        full = ImageOps.exif_transpose(image).convert("RGB")
        preview = full.resize(_fit(full.size, PREVIEW_SIDE), Image.Resampling.LANCZOS)
        thumbnail = full.resize(_fit(full.size, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
        licensed = io.BytesIO()
        options = {"quality": LICENSED_QUALITY} if image_format in ("JPEG", "WEBP") else {}
        full.save(licensed, image_format, **options)
        return Outputs(
            preview=_save_jpeg(_naive_watermark(preview), PREVIEW_QUALITY),
            thumbnail=_save_jpeg(thumbnail, THUMBNAIL_QUALITY),
            licensed=licensed.getvalue(),
            palette=_naive_palette(thumbnail),
        )

    return run


def _naive_watermark(preview: Any) -> Any:
    """Draw the tiled text on a transparent layer, rotate it and alpha-composite it."""
    from PIL import Image, ImageDraw, ImageFont

    from services.upload.pipeline.watermark import ANGLE, OPACITY, TEXT

    font_size = max(8, max(preview.size) // 24)
    font = ImageFont.load_default(font_size)
    side = int(max(preview.size) * 1.5)
    layer = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    alpha = round(255 * OPACITY)
    step_x, step_y = int(font.getlength(TEXT) + 3 * font_size), 4 * font_size
    for row, y in enumerate(range(0, side, step_y)):
        for x in range(-(row % 2) * step_x // 2, side, step_x):
            draw.text(
                (x, y),
                TEXT,
                font=font,
                fill=(255, 255, 255, alpha),
                stroke_width=2,
                stroke_fill=(0, 0, 0, alpha),
            )
    layer = layer.rotate(ANGLE, resample=Image.Resampling.BICUBIC)
    left, top = (side - preview.width) // 2, (side - preview.height) // 2
    layer = layer.crop((left, top, left + preview.width, top + preview.height))
    return Image.alpha_composite(preview.convert("RGBA"), layer).convert("RGB")


def _naive_palette(thumbnail: Any, size: int = 5) -> list[str]:
    from PIL import Image

    quantized = thumbnail.quantize(8, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    counts = sorted(quantized.getcolors() or [], reverse=True)
    return ["#{:02x}{:02x}{:02x}".format(*palette[i * 3 : i * 3 + 3]) for _, i in counts[:size]]


# --------------------------------------------------------------------------------------------
# pyvips


def _pyvips() -> Implementation:
    import pyvips

    from services.upload.pipeline.metadata import strip_metadata

    pyvips.cache_set_max(0)  # every run decodes its own input, as a fresh Lambda event would
    loaders = {"jpegload": "JPEG", "pngload": "PNG", "webpload": "WEBP"}

    def run(data: bytes, max_pixels: int) -> Outputs:
        header = pyvips.Image.new_from_buffer(data, "")
        if header.width * header.height > max_pixels:
            raise ValueError("too many pixels")
        image_format = loaders[header.get("vips-loader").removesuffix("_buffer")]
        orientation = header.get("orientation") if header.get_typeof("orientation") else 1
        preview = pyvips.Image.thumbnail_buffer(
            data, PREVIEW_SIDE, height=PREVIEW_SIDE, size="down"
        )
        preview = _vips_rgb(preview).copy_memory()  # decoded once, used three times
        thumbnail = preview.thumbnail_image(THUMBNAIL_SIDE, height=THUMBNAIL_SIDE)
        return Outputs(
            preview=_vips_watermark(preview).jpegsave_buffer(Q=PREVIEW_QUALITY, keep="icc"),
            thumbnail=thumbnail.jpegsave_buffer(Q=THUMBNAIL_QUALITY, keep="icc"),
            licensed=strip_metadata(data, image_format, orientation, (header.width, header.height)),
            palette=_vips_palette(thumbnail),
        )

    return run


def _vips_rgb(image: Any) -> Any:
    if image.hasalpha():
        image = image.flatten(background=[255, 255, 255])
    if image.bands < 3:
        image = image.colourspace("srgb")
    return image.cast("uchar")


_VIPS_STAMPS: dict[int, tuple[Any, Any]] = {}


def _vips_watermark(preview: Any) -> Any:
    """Our stamp (built once per size, like ours), blended through its mask."""
    import pyvips

    from services.upload.pipeline.watermark import stamp_for

    side = max(preview.width, preview.height)
    if side not in _VIPS_STAMPS:
        ink, mask = stamp_for(side)
        _VIPS_STAMPS[side] = (
            pyvips.Image.new_from_memory(ink.tobytes(), side, side, 3, "uchar").copy_memory(),
            pyvips.Image.new_from_memory(mask.tobytes(), side, side, 1, "uchar").copy_memory(),
        )
    ink, mask = (stamp.crop(0, 0, preview.width, preview.height) for stamp in _VIPS_STAMPS[side])
    return mask.ifthenelse(ink, preview, blend=True)


def _vips_palette(thumbnail: Any) -> list[str]:
    from PIL import Image

    from services.upload.pipeline.palette import SAMPLE_SIDE, dominant_palette

    sample = thumbnail.thumbnail_image(SAMPLE_SIDE, height=SAMPLE_SIDE)
    pixels = Image.frombytes("RGB", (sample.width, sample.height), sample.write_to_memory())
    return dominant_palette(pixels)


# --------------------------------------------------------------------------------------------
# helpers


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    scale = min(1.0, side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _save_jpeg(image: Any, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _jpeg_summary(data: bytes) -> dict[str, Any] | None:
    if not data:
        return None
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return {"width": image.width, "height": image.height, "bytes": len(data)}
