"""Words of titles, tags, labels and queries, folded the same way on both sides.

Case- and accent-insensitive (``Café`` = ``cafe``), split on anything that is not a letter or
digit, plurals folded to a singular stem (``cars``, ``boxes``, ``berries`` -> ``car``,
``box``, ``berry``). Deliberately simple and deterministic: the indexer and the API must fold
every word identically, and a stem only has to be stable, not a dictionary word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TOKEN = re.compile(r"[a-z0-9]+")
MAX_WORD_LENGTH = 40
"""Longer tokens (hashes, run-on strings) are not words anyone searches for."""
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it",
    "its", "of", "on", "or", "over", "the", "to", "under", "with",
})  # fmt: skip
"""Words too common to find anything by; neither indexed nor required by a query."""
_ES_ENDINGS = ("ches", "shes", "sses", "xes", "zes")
_KEEP = frozenset({"glass", "grass", "moss", "bus", "gas", "lens", "news", "series", "species"})


def fold(text: str) -> str:
    """Lowercase without accents: ``"Crème Brûlée"`` -> ``"creme brulee"``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The singular of an English plural, by its ending; other words unchanged."""
    if len(word) <= 3 or word in _KEEP or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(_ES_ENDINGS):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """The folded tokens of ``text`` in order (not stemmed), without stop words."""
    return [
        t for t in TOKEN.findall(fold(text)) if len(t) <= MAX_WORD_LENGTH and t not in STOP_WORDS
    ]


def words(text: str) -> list[str]:
    """The stems of ``text`` in order, without repeats."""
    return list(dict.fromkeys(stem(t) for t in tokens(text)))
