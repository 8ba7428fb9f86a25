"""A synthetic catalogue for the search benchmark: image ``n`` is a pure function of (seed, n).

Distributions (BENCHMARKS.md, "Search"): tags and title words Zipf-distributed over one
30,000-word vocabulary (titles and tags speak the same language); labels Zipf over 3,000
Rekognition-like labels; named colours with the frequencies dominant-colour extraction gives
stock photos (neutrals first), one to five per image, most dominant first; orientations
60 / 35 / 5 % landscape / portrait / square; popularity long-tailed (most images never sold);
publication times a steady stream over two years.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

WORDS = 30_000
LABELS = 3_000
WORD_ZIPF, LABEL_ZIPF = 1.0, 1.1
COLOURS = {
    "black": 20, "white": 18, "grey": 16, "blue": 12, "brown": 10, "green": 8, "red": 5,
    "orange": 4, "yellow": 3, "pink": 2, "purple": 2,
}  # fmt: skip
"""Relative frequency of each named colour among images' colours."""
RGB = {
    "black": (20, 20, 20), "white": (240, 240, 240), "grey": (128, 128, 128),
    "blue": (40, 110, 200), "brown": (120, 80, 40), "green": (50, 150, 60),
    "red": (200, 40, 40), "orange": (240, 140, 30), "yellow": (240, 210, 40),
    "pink": (240, 150, 190), "purple": (130, 60, 170),
}  # fmt: skip
ORIENTATIONS = (("landscape", 60), ("portrait", 35), ("square", 5))
START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600
_SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]


def _word(rank: int, rng: random.Random) -> str:
    """A pronounceable, unique word for a vocabulary rank (unique by construction)."""
    syllables, n = [], rank
    while True:
        syllables.append(_SYLLABLES[n % len(_SYLLABLES)])
        n //= len(_SYLLABLES)
        if n == 0:
            break
    return "".join(syllables) + rng.choice(("", "", "n", "r", "l"))


def _zipf_weights(size: int, exponent: float) -> list[float]:
    return list(itertools.accumulate(1 / (rank**exponent) for rank in range(1, size + 1)))


@dataclass(frozen=True)
class Catalogue:
    """``size`` images generated from ``seed``."""

    size: int
    seed: int = 0

    @cached_property
    def vocabulary(self) -> list[str]:
        rng = random.Random(self.seed)
        words = list(dict.fromkeys(_word(rank, rng) for rank in range(WORDS * 2)))
        return words[:WORDS]

    @cached_property
    def labels(self) -> list[str]:
        rng = random.Random(self.seed + 1)
        return [_word(rank + 7 * WORDS, rng).capitalize() for rank in range(LABELS)]

    @cached_property
    def _weights(self) -> tuple[list[float], list[float]]:
        return _zipf_weights(WORDS, WORD_ZIPF), _zipf_weights(LABELS, LABEL_ZIPF)

    def image_id(self, n: int) -> str:
        return f"img-{n:08d}"

    def image(self, n: int) -> dict[str, Any]:
        """Image ``n`` as ``image.published`` data."""
        rng = random.Random(self.seed * 1_000_003 + n)
        words, labels = self._weights
        tags = self._draw(rng, self.vocabulary, words, rng.randint(3, 12))
        title = self._draw(rng, self.vocabulary, words, rng.randint(2, 6))
        colours = self._colours(rng)
        width, height = self._size(rng)
        seconds = SPAN_SECONDS * n // max(self.size, 1) + rng.randint(0, 3600)
        image_id = self.image_id(n)
        return {
            "imageId": image_id, "revision": 1, "photographerId": f"p-{n % 5000}",
            "title": " ".join(title).capitalize(), "tags": tags,
            "labels": self._draw(rng, self.labels, labels, rng.randint(3, 8)),
            "priceCents": rng.choice((500, 900, 1500, 2900)), "currency": "EUR",
            "width": width, "height": height, "colours": colours,
            "palette": [self._hex(rng, c) for c in colours],
            "thumbnailUrl": f"https://cdn.example.com/thumbnails/{image_id}.jpg",
            "previewUrl": f"https://cdn.example.com/previews/{image_id}.jpg",
            "licensedKey": f"licensed/{image_id}.jpg",
            "publishedAt": (START + timedelta(seconds=seconds)).isoformat(),
            "popularity": self._popularity(rng),
        }  # fmt: skip

    @staticmethod
    def _draw(rng: random.Random, population: list[str], cum: list[float], k: int) -> list[str]:
        return list(dict.fromkeys(rng.choices(population, cum_weights=cum, k=k)))

    @staticmethod
    def _colours(rng: random.Random) -> list[str]:
        names, weights = list(COLOURS), list(COLOURS.values())
        chosen: list[str] = []
        for _ in range(rng.randint(1, 5)):
            pick = rng.choices(names, weights=weights)[0]
            if pick not in chosen:
                chosen.append(pick)
        return chosen

    @staticmethod
    def _size(rng: random.Random) -> tuple[int, int]:
        kind = rng.choices([o for o, _ in ORIENTATIONS], weights=[w for _, w in ORIENTATIONS])[0]
        long_side = rng.choice((1200, 2400, 4000, 6000, 8000))
        if kind == "square":
            return long_side, long_side
        short = long_side * 2 // 3
        return (long_side, short) if kind == "landscape" else (short, long_side)

    @staticmethod
    def _hex(rng: random.Random, colour: str) -> str:
        r, g, b = (max(0, min(255, c + rng.randint(-20, 20))) for c in RGB[colour])
        return f"#{r:02x}{g:02x}{b:02x}"

    @staticmethod
    def _popularity(rng: random.Random) -> int:
        """Long-tailed: ~80 % never sold, a few sold hundreds of times."""
        return 0 if rng.random() < 0.8 else min(int(rng.paretovariate(1.1)), 5000)
