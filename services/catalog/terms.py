"""Search terms: what an image is findable by, and the index partitions built from them.

A *term* is one fact a query can require: ``t:<tag>``, ``w:<word stem>`` (title, tags and
labels), ``c:<colour>`` (one of the three dominant colours), ``o:<orientation>``; ``*``
matches every image. A *partition* is a term or a pair of terms joined by ``+`` (sorted); the
indexer writes one entry per partition an image belongs to (services/catalog/README.md says
which pairs and why), so a query requiring two terms reads only images having both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import Any, Literal, get_args

from services.catalog import text

ALL = "*"
TAG, WORD, COLOUR, ORIENTATION = "t", "w", "c", "o"
Orientation = Literal["landscape", "portrait", "square"]
ORIENTATIONS: tuple[Orientation, ...] = get_args(Orientation)
DOMINANT_COLOURS = 3
"""Colours an image is findable by: the most dominant ones (a pixel of red is not "red")."""
MAX_WORDS = 12
"""Distinct words per image that ``q`` matches (title first, then tags, then labels)."""
SQUARE_TOLERANCE = 1.05
"""An image whose long side is at most 5 % longer than its short side is square."""
FIELD_WEIGHTS = {"title": 3, "tags": 2, "labels": 1}
"""Relevance of a word by where it occurs (summed over the fields it occurs in)."""
PAIRED_KINDS: frozenset[tuple[str, str]] = frozenset(
    {(TAG, TAG), (WORD, WORD), (COLOUR, TAG), (COLOUR, WORD), (ORIENTATION, TAG)}
)  # fmt: skip
"""Pairs of term kinds indexed together (kinds sorted). Every image has an entry for every
pair of its terms of these kinds, so a pair partition holds exactly the images with both."""
SEPARATOR = "+"


def term(kind: str, value: str) -> str:
    return f"{kind}:{value}"


def kind(a_term: str) -> str:
    return a_term.split(":", 1)[0]


def orientation(width: int, height: int) -> str:
    if max(width, height) <= SQUARE_TOLERANCE * min(width, height):
        return "square"
    return "landscape" if width > height else "portrait"


def word_scores(image: Mapping[str, Any]) -> dict[str, int]:
    """The image's searchable word stems (at most ``MAX_WORDS``) and their relevance."""
    fields = {
        "title": text.words(str(image.get("title", ""))),
        "tags": text.words(" ".join(image.get("tags") or ())),
        "labels": text.words(" ".join(image.get("labels") or ())),
    }
    ordered = list(dict.fromkeys(w for found in fields.values() for w in found))[:MAX_WORDS]
    return {
        w: sum(FIELD_WEIGHTS[name] for name, found in fields.items() if w in found) for w in ordered
    }


def image_terms(image: Mapping[str, Any]) -> list[str]:
    """Every term the image matches (without ``*``), in a stable order."""
    colours = list(dict.fromkeys(image.get("colours") or ()))[:DOMINANT_COLOURS]
    return [
        *(term(TAG, t) for t in sorted(set(image.get("tags") or ()))),
        *(term(WORD, w) for w in word_scores(image)),
        *(term(COLOUR, c) for c in colours),
        term(ORIENTATION, orientation(int(image["width"]), int(image["height"]))),
    ]


def pairable(a: str, b: str) -> bool:
    """Whether the pair of these two (distinct) terms is an indexed partition."""
    kinds = (kind(a), kind(b))
    return a != b and (min(kinds), max(kinds)) in PAIRED_KINDS


def pair(a: str, b: str) -> str:
    return SEPARATOR.join(sorted((a, b)))


def partitions(image_terms_: Iterable[str]) -> list[str]:
    """Every partition an image with these terms has an entry in: ``*``, terms, pairs."""
    found = list(dict.fromkeys(image_terms_))
    pairs = [pair(a, b) for a, b in combinations(found, 2) if pairable(a, b)]
    return [ALL, *found, *pairs]


def members(partition: str) -> list[str]:
    """The terms a partition requires (none for ``*``)."""
    return [] if partition == ALL else partition.split(SEPARATOR)


def has_words(partition: str) -> bool:
    return any(kind(t) == WORD for t in members(partition))
