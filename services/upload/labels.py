"""Rekognition on the preview: descriptive labels and content moderation (both switchable).

The client is created on first use, so a processor with both switches off never pays for
loading Rekognition's service model at cold start. The preview (not the original) is sent:
it is small (Rekognition takes at most 5 MB of bytes) and already stripped of metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import boto3

MIN_CONFIDENCE = 80.0
MAX_LABELS = 20
BLOCKED_CATEGORIES = frozenset(
    {"Explicit", "Explicit Nudity", "Violence", "Visually Disturbing", "Hate Symbols"}
)
"""Moderation categories (any taxonomy level, old and new names) that stop a publication."""


@cache
def client() -> Any:
    return boto3.client("rekognition")


def detect_labels(image: bytes) -> list[str]:
    """Lowercase label names Rekognition is confident about, most confident first."""
    response = client().detect_labels(
        Image={"Bytes": image}, MaxLabels=MAX_LABELS, MinConfidence=MIN_CONFIDENCE
    )
    return label_names(response)


def label_names(response: Mapping[str, Any]) -> list[str]:
    labels = sorted(response.get("Labels", []), key=lambda label: -label.get("Confidence", 0))
    names = (str(label["Name"]).strip().lower()[:100] for label in labels if label.get("Name"))
    return list(dict.fromkeys(name for name in names if name))


def moderation_reason(image: bytes) -> str | None:
    """Why the image may not be published, or None when moderation found nothing blocking."""
    response = client().detect_moderation_labels(
        Image={"Bytes": image}, MinConfidence=MIN_CONFIDENCE
    )
    return blocking_reason(response)


def blocking_reason(response: Mapping[str, Any]) -> str | None:
    """A photographer-readable sentence naming the blocked categories found, if any."""
    found = sorted(
        {
            name
            for label in response.get("ModerationLabels", [])
            for name in (label.get("Name"), label.get("ParentName"))
            if name in BLOCKED_CATEGORIES
        }
    )
    if not found:
        return None
    categories = ", ".join(name.lower() for name in found)
    return f"The image was declined by content moderation because it shows {categories} content."
