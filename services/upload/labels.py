"""Rekognition on the preview: descriptive labels and content moderation (both switchable).

The client is created on first use, so a processor with both switches off never pays for
loading Rekognition's service model at cold start. The preview (not the original) is sent:
it is small (Rekognition takes at most 5 MB of bytes) and already stripped of metadata.
Moderation never rejects on its own: findings in a blocked category send the image to a
person (IN_REVIEW, ``services.upload.analysis``). Retries and timeouts are short: a failing
Rekognition is the circuit breaker's to handle, not a reason to hold the image for minutes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

MIN_CONFIDENCE = 80.0
MAX_LABELS = 20
BLOCKED_CATEGORIES = frozenset(
    {"Explicit", "Explicit Nudity", "Violence", "Visually Disturbing", "Hate Symbols"}
)
"""Moderation categories (any taxonomy level, old and new names) that need a person's review."""
CLIENT_CONFIG = Config(
    connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 2}
)


@cache
def client() -> Any:
    return boto3.client("rekognition", config=CLIENT_CONFIG)


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


def moderation_findings(image: bytes) -> list[dict[str, Any]]:
    """Every moderation label Rekognition is confident about, as the upload records them."""
    response = client().detect_moderation_labels(
        Image={"Bytes": image}, MinConfidence=MIN_CONFIDENCE
    )
    return findings(response)


def findings(response: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``{name, parentName, confidence}`` per label (confidence a Decimal: the table's type)."""
    return [
        {
            "name": str(label["Name"])[:100],
            "parentName": str(label.get("ParentName") or "")[:100] or None,
            "confidence": Decimal(str(round(float(label.get("Confidence", 0)), 1))),
        }
        for label in response.get("ModerationLabels", [])
        if label.get("Name")
    ]


def review_reason(found: Sequence[Mapping[str, Any]]) -> str | None:
    """Why a person must look at the image (the blocked categories found), or None."""
    blocked = sorted(
        {
            name
            for finding in found
            for name in (finding.get("name"), finding.get("parentName"))
            if name in BLOCKED_CATEGORIES
        }
    )
    if not blocked:
        return None
    categories = ", ".join(name.lower() for name in blocked)
    return f"Content moderation flagged possible {categories} content; a moderator will review it."
