"""The named colours images are indexed by: the vocabulary shared by producer and consumer.

Upload's pipeline maps each palette colour to one of these; ``image.published`` may only
carry these names (its schema enumerates them); catalog's ``?colour=`` accepts only these.
"""

from __future__ import annotations

from typing import Literal, get_args

ColourName = Literal[
    "red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "grey"
]
COLOUR_NAMES: tuple[str, ...] = get_args(ColourName)
