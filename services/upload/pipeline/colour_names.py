"""Name a colour the way a buyer searching for 'red' or 'blue' would.

Each basic colour term has a few anchor shades; a colour takes the name of the perceptually
nearest anchor (CIELAB distance), which handles dark, pale and greyish shades far better than
hue-angle rules do.
"""

from __future__ import annotations

import functools
import math

_ANCHORS = {
    "red": "#ff0000 #dc143c #b22222 #8b0000 #c62828",
    "orange": "#ffa500 #ff8c00 #ff7f50 #e65100 #f4a460",
    "yellow": "#ffff00 #ffd700 #f0e68c #fff176 #d4c000",
    "green": "#008000 #00ff00 #32cd32 #228b22 #556b2f #90ee90 #2e8b57 #808000 #3cb371",
    "blue": "#0000ff #0000cd #0047ab #2a52be #1e90ff #4169e1 #000080 #87ceeb #4682b4 #00bfff "
    "#00ced1 #191970 #b0c4de #283593",
    "purple": "#800080 #8a2be2 #9370db #4b0082 #ba55d3 #6a0dad",
    "pink": "#ffc0cb #ff69b4 #ff1493 #db7093 #c71585 #f8bbd0",
    "brown": "#8b4513 #a0522d #6f4e37 #d2691e #c19a6b #5c4033 #a52a2a",
    "black": "#000000 #1c1c1c",
    "white": "#ffffff #f5f5f5 #fffaf0 #f0f8ff",
    "grey": "#808080 #a9a9a9 #c0c0c0 #5a5a5a #708090 #d3d3d3",
}
"""Anchor shades per basic colour term (space-separated `#rrggbb`)."""
COLOUR_NAMES = tuple(_ANCHORS)

Rgb = tuple[int, int, int]
Lab = tuple[float, float, float]


def colour_names(palette: list[str]) -> list[str]:
    """Names for a palette (`#rrggbb`, most dominant first), in that order, without repeats."""
    names = [name_colour(parse_hex(colour)) for colour in palette]
    return list(dict.fromkeys(names))


def name_colour(rgb: Rgb) -> str:
    lab = to_lab(rgb)
    return min(_anchor_labs(), key=lambda anchor: _distance(anchor[1], lab))[0]


def delta_e(first: Rgb, second: Rgb) -> float:
    """CIE76 perceptual distance; about 2.3 is a just-noticeable difference."""
    return _distance(to_lab(first), to_lab(second))


def hex_colour(rgb: Rgb) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def parse_hex(colour: str) -> Rgb:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


@functools.cache
def _anchor_labs() -> tuple[tuple[str, Lab], ...]:
    pairs = [(name, anchor) for name, anchors in _ANCHORS.items() for anchor in anchors.split()]
    return tuple((name, to_lab(parse_hex(anchor))) for name, anchor in pairs)


@functools.lru_cache(maxsize=4096)
def to_lab(rgb: Rgb) -> Lab:
    """sRGB (D65) to CIELAB."""
    linear = [_linear(channel / 255) for channel in rgb]
    x = (0.4124 * linear[0] + 0.3576 * linear[1] + 0.1805 * linear[2]) / 0.95047
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    z = (0.0193 * linear[0] + 0.1192 * linear[1] + 0.9505 * linear[2]) / 1.08883
    fx, fy, fz = (_lab_f(value) for value in (x, y, z))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _linear(value: float) -> float:
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _lab_f(value: float) -> float:
    return value ** (1 / 3) if value > (6 / 29) ** 3 else value / (3 * (6 / 29) ** 2) + 4 / 29


def _distance(first: Lab, second: Lab) -> float:
    return math.dist(first, second)
