"""The photos the benchmark measures, generated once into a cache directory.

Flat colours decode unrealistically fast, so each image is a natural-looking 'photo': smooth
colour fields, mid-size blobs, soft-edged shapes (objects with edges) and sensor-like luma
noise. A 24 MP one at JPEG quality 90 is about 10 MB, as a camera writes. Generated, not checked
in: any size can be asked for and the repository stays small. Each file is written atomically
under a name that encodes every parameter, so a cache survives across runs and changes of code.
"""

from __future__ import annotations

import io
import os
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

GENERATOR_VERSION = 1
"""Part of every cached file's name: bump it when the content recipe changes."""
CAMERA_SIZES = {
    12: (4240, 2832),
    24: (6000, 4000),
    48: (8484, 5656),
    100: (12248, 8165),
}
"""Width x height (3:2, as DSLR and mirrorless sensors) per nominal megapixel count."""
JPEG_QUALITY = 90
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
ORIENTATION_TAG = 0x0112
GPS_IFD = 0x8825


@dataclass(frozen=True)
class Variant:
    """One benchmarked input. `size` is as stored (a rotated camera stores width < height)."""

    name: str
    format: str
    size: tuple[int, int]
    progressive: bool = False
    orientation: int = 1
    noise: float = 12.0
    mode: str = "RGB"
    """"P": a palette image with a transparent index (PNG only), converted to RGBA to resample."""
    limit: bool = False
    """A memory-sizing row at the processor's pixel limit: measured for ours only."""

    @property
    def megapixels(self) -> float:
        return self.size[0] * self.size[1] / 1e6

    @property
    def filename(self) -> str:
        width, height = self.size
        mode = "p" if self.progressive else "b"
        tag = f"{width}x{height}-{mode}-o{self.orientation}-n{self.noise:g}-v{GENERATOR_VERSION}"
        if self.mode != "RGB":
            tag = f"{self.mode.lower()}-{tag}"
        return f"{self.format.lower()}-{tag}.{EXTENSIONS[self.format]}"


def jpeg_variants(sizes: list[int]) -> list[Variant]:
    """Baseline and progressive JPEG (quality 90) at each nominal size, in megapixels."""
    variants = []
    for megapixels in sizes:
        size = camera_size(megapixels)
        variants.append(Variant(f"jpeg-{megapixels}mp", "JPEG", size))
        variants.append(Variant(f"jpeg-{megapixels}mp-progressive", "JPEG", size, progressive=True))
    return variants


def other_variants(sizes: list[int]) -> list[Variant]:
    """EXIF-rotated JPEG, PNG and WebP at 24 MP (or the largest size asked for below it)."""
    megapixels = 24 if 24 in sizes else max(sizes)
    width, height = camera_size(megapixels)
    return [
        Variant(f"jpeg-{megapixels}mp-orientation-6", "JPEG", (height, width), orientation=6),
        Variant(f"png-{megapixels}mp", "PNG", (width, height)),
        Variant(f"webp-{megapixels}mp", "WEBP", (width, height)),
    ]


def limit_variants(max_pixels: int) -> list[Variant]:
    """One image per accepted format at the processor's pixel limit, for memory sizing.

    A progressive JPEG is there because libjpeg holds every coefficient of the full-size image
    until its last scan, whatever the output scale. The PNG has no noise (62 MB) so that it
    stays under the 100 MB upload limit, as a real 100 MP PNG must; decoded memory does not
    depend on the content. A palette PNG with transparency is converted to RGBA before
    resampling, so its palette indexes and the RGBA copy are held together.
    """
    width = int((max_pixels * 3 / 2) ** 0.5)
    height = max_pixels // width
    megapixels = round(max_pixels / 1e6)
    return [
        Variant(f"jpeg-{megapixels}mp-limit", "JPEG", (width, height), limit=True),
        Variant(
            f"jpeg-{megapixels}mp-progressive-limit",
            "JPEG",
            (width, height),
            progressive=True,
            limit=True,
        ),
        Variant(f"png-{megapixels}mp-limit", "PNG", (width, height), noise=0.0, limit=True),
        Variant(
            f"png-{megapixels}mp-palette-limit",
            "PNG",
            (width, height),
            noise=0.0,
            mode="P",
            limit=True,
        ),
        Variant(f"webp-{megapixels}mp-limit", "WEBP", (width, height), limit=True),
    ]


def quick_variant() -> Variant:
    """The smoke run's image: small enough to make and measure in well under a second."""
    return Variant("jpeg-2mp-quick", "JPEG", (1800, 1200))


def camera_size(megapixels: int) -> tuple[int, int]:
    if megapixels in CAMERA_SIZES:
        return CAMERA_SIZES[megapixels]
    width = int((megapixels * 1e6 * 3 / 2) ** 0.5)
    return width, int(width * 2 / 3)


def ensure(variant: Variant, cache_dir: Path) -> Path:
    """The path of `variant`'s file in `cache_dir`, generating it on first use."""
    path = cache_dir / variant.filename
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(encode(variant))
        partial.replace(path)
    return path


def encode(variant: Variant) -> bytes:
    """The file's bytes: a photo with camera-like EXIF (GPS included) and XMP."""
    width, height = variant.size
    displayed = (height, width) if variant.orientation in (5, 6, 7, 8) else (width, height)
    if variant.mode == "P":
        return _palette_png(displayed)
    photo = natural_photo(displayed, noise=variant.noise)
    if variant.orientation == 6:
        photo = photo.transpose(Image.Transpose.ROTATE_90)  # what the camera stored
    buffer = io.BytesIO()
    photo.save(buffer, variant.format, **_save_options(variant))
    return buffer.getvalue()


def _palette_png(size: tuple[int, int]) -> bytes:
    """A 256-colour photo (quantized at 1/8 scale, enlarged) whose colour 0 is transparent."""
    small = natural_photo((max(1, size[0] // 8), max(1, size[1] // 8)), noise=0.0)
    palette = small.quantize(256).resize(size, Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", transparency=0)
    return buffer.getvalue()


def _save_options(variant: Variant) -> dict[str, object]:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = variant.orientation
    exif[0x010F], exif[0x0110] = "BenchCam", "BenchCam B24"  # Make, Model
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 12.5), 3: "E", 4: (4.0, 53.0, 40.1)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description Creator="bench"/></x:xmpmeta>'
    options: dict[str, object] = {"exif": exif.tobytes()}
    if variant.format == "JPEG":
        options |= {"quality": JPEG_QUALITY, "progressive": variant.progressive, "xmp": xmp}
    elif variant.format == "WEBP":
        options |= {"quality": JPEG_QUALITY, "method": 4, "xmp": xmp}
    else:
        options |= {"compress_level": 6}
    return options


def natural_photo(size: tuple[int, int], seed: int = 0, noise: float = 12.0) -> Image.Image:
    """An RGB 'photo' with the entropy of a real one (see the module docstring)."""
    rnd = random.Random(seed)
    width, height = size
    base = _random_field(rnd, (6, 4), size)
    blobs = _random_field(rnd, (max(1, width // 24), max(1, height // 24)), size)
    photo = Image.blend(base, blobs, 0.25)
    photo = _with_shapes(photo, rnd)
    if noise:
        grain = Image.effect_noise(size, noise).convert("RGB")
        photo = ImageChops.add(photo, grain, scale=1.0, offset=-128)
    return photo


def _random_field(rnd: random.Random, grid: tuple[int, int], size: tuple[int, int]) -> Image.Image:
    small = Image.new("RGB", grid)
    small.putdata([_colour(rnd) for _ in range(grid[0] * grid[1])])
    return small.resize(size, Image.Resampling.BICUBIC)


def _with_shapes(photo: Image.Image, rnd: random.Random) -> Image.Image:
    """Soft-edged ellipses and polygons drawn at 1/8 scale and enlarged: objects with edges."""
    small_size = (max(1, photo.width // 8), max(1, photo.height // 8))
    layer = Image.new("RGB", small_size)
    mask = Image.new("L", small_size, 0)
    draw_layer, draw_mask = ImageDraw.Draw(layer), ImageDraw.Draw(mask)
    for _ in range(60):
        box = _random_box(rnd, small_size)
        colour, opacity = _colour(rnd), rnd.randrange(120, 230)
        if rnd.random() < 0.5:
            draw_layer.ellipse(box, fill=colour)
            draw_mask.ellipse(box, fill=opacity)
        else:
            points = [(rnd.uniform(box[0], box[2]), rnd.uniform(box[1], box[3])) for _ in range(5)]
            draw_layer.polygon(points, fill=colour)
            draw_mask.polygon(points, fill=opacity)
    mask = mask.filter(ImageFilter.GaussianBlur(1))
    enlarged = layer.resize(photo.size, Image.Resampling.BICUBIC)
    photo.paste(enlarged, (0, 0), mask.resize(photo.size, Image.Resampling.BICUBIC))
    return photo


def _random_box(rnd: random.Random, size: tuple[int, int]) -> tuple[int, int, int, int]:
    width, height = size
    box_width, box_height = (
        rnd.randrange(width // 12 + 1, width // 3 + 2),
        rnd.randrange(height // 12 + 1, height // 3 + 2),
    )
    left, top = rnd.randrange(0, width), rnd.randrange(0, height)
    return left, top, left + box_width, top + box_height


def _colour(rnd: random.Random) -> tuple[int, int, int]:
    return rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)
