"""Dominant palette and colour names."""

from __future__ import annotations

import pytest
from PIL import Image

from services.upload.pipeline import COLOUR_NAMES
from services.upload.pipeline.colour_names import colour_names, name_colour, parse_hex
from services.upload.pipeline.palette import dominant_palette
from tests.services.upload import images


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((255, 0, 0), "red"),
        ((139, 0, 0), "red"),
        ((255, 140, 0), "orange"),
        ((255, 215, 0), "yellow"),
        ((0, 128, 0), "green"),
        ((86, 130, 3), "green"),
        ((0, 0, 255), "blue"),
        ((135, 206, 235), "blue"),
        ((0, 0, 128), "blue"),
        ((31, 60, 200), "blue"),
        ((128, 0, 128), "purple"),
        ((255, 105, 180), "pink"),
        ((255, 192, 203), "pink"),
        ((139, 69, 19), "brown"),
        ((0, 0, 0), "black"),
        ((18, 18, 22), "black"),
        ((255, 255, 255), "white"),
        ((128, 128, 128), "grey"),
        ((190, 190, 190), "grey"),
    ],
)
def test_name_colour_uses_the_basic_colour_a_buyer_would_search_for(
    rgb: tuple[int, int, int], name: str
) -> None:
    # GIVEN a colour / WHEN named / THEN it gets the everyday basic term
    assert name_colour(rgb) == name
    assert name in COLOUR_NAMES


def test_colour_names_keep_dominance_order_without_repeats() -> None:
    # GIVEN a palette with two reds around a blue
    palette = ["#d01010", "#1030d0", "#b00000"]

    # WHEN named
    names = colour_names(palette)

    # THEN each name appears once, in order of first appearance
    assert names == ["red", "blue"]


def test_dominant_palette_merges_shades_of_one_colour() -> None:
    # GIVEN a noisy but uniformly red photo
    image = images.dominant_colour_image(200, 200, (200, 30, 30), (200, 30, 30))

    # WHEN its palette is taken
    palette = dominant_palette(image)

    # THEN the shades merge into one red entry
    assert len(palette) == 1
    assert name_colour(parse_hex(palette[0])) == "red"


def test_dominant_palette_orders_by_area() -> None:
    # GIVEN an image 80 % green, 20 % white
    image = images.dominant_colour_image(300, 200, (40, 140, 50), (250, 250, 250))

    # WHEN its palette is taken
    palette = dominant_palette(image)

    # THEN green comes first, white second, as #rrggbb strings
    assert [name_colour(parse_hex(colour)) for colour in palette[:2]] == ["green", "white"]
    assert all(len(colour) == 7 and colour.startswith("#") for colour in palette)


def test_dominant_palette_ignores_small_specks() -> None:
    # GIVEN a blue image with a small yellow spot (about 1 % of the area)
    image = Image.new("RGB", (100, 100), (30, 60, 200))
    image.paste((250, 220, 0), (0, 0, 10, 10))

    # WHEN its palette is taken
    palette = dominant_palette(image)

    # THEN only blue is reported
    assert colour_names(palette) == ["blue"]
