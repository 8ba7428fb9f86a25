"""The dominant colours of a photo, for the catalog's colour filter.

Quantizing is cheap only on a tiny copy: 64 x 64 pixels cost a few milliseconds, the 400 px
thumbnail already tens. Median cut over-splits a dominant colour into shades of itself, so
near-identical entries are merged (by perceptual distance) before the top ones are kept.
"""

from __future__ import annotations

from typing import cast

from PIL import Image

from services.upload.pipeline.colour_names import delta_e, hex_colour

SAMPLE_SIDE = 64
PALETTE_SIZE = 5
_QUANTIZE_COLOURS = 8
_MIN_SHARE = 0.05
"""Smaller areas (edges, highlights) are not what a buyer means by the photo's colour."""
_SAME_COLOUR = 12.0
"""CIE76 distance below which two palette entries are shades of the same colour."""

Rgb = tuple[int, int, int]


def dominant_palette(image: Image.Image, size: int = PALETTE_SIZE) -> list[str]:
    """Up to `size` hex colours (`#rrggbb`) of RGB `image`, most dominant first."""
    sample = image.resize(_fit(image.size, SAMPLE_SIDE), Image.Resampling.BOX)
    weighted = _merge_similar(_quantized_counts(sample))
    total = sum(count for count, _ in weighted)
    kept = [rgb for count, rgb in weighted if count >= total * _MIN_SHARE]
    return [hex_colour(rgb) for rgb in kept[:size]]


def _quantized_counts(sample: Image.Image) -> list[tuple[int, Rgb]]:
    quantized = sample.quantize(_QUANTIZE_COLOURS, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    counts = quantized.getcolors() or []
    # A palette image's colours are palette indexes (typed loosely by Pillow).
    entries = [(count, _entry(palette, cast(int, index))) for count, index in counts]
    return sorted(entries, key=lambda entry: -entry[0])


def _entry(palette: list[int], index: int) -> Rgb:
    red, green, blue = palette[index * 3 : index * 3 + 3]
    return red, green, blue


def _merge_similar(entries: list[tuple[int, Rgb]]) -> list[tuple[int, Rgb]]:
    """Fold each entry into the first (more dominant) one it is nearly identical to."""
    merged: list[list] = []
    for count, rgb in entries:
        for kept in merged:
            if delta_e(kept[1], rgb) < _SAME_COLOUR:
                kept[0] += count
                break
        else:
            merged.append([count, rgb])
    return sorted(((count, rgb) for count, rgb in merged), key=lambda entry: -entry[0])


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))
