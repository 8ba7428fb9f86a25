"""Stand-ins for what moto lacks: Rekognition's moderation (moto 5.2 has no
detect_moderation_labels)."""

from __future__ import annotations

from typing import Any


class FakeRekognition:
    """moto 5.2 has detect_labels but not detect_moderation_labels: a canned stand-in."""

    def __init__(self, moderation_labels: list[dict[str, Any]]) -> None:
        self.moderation_labels = moderation_labels
        self.calls: list[str] = []

    def detect_moderation_labels(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append("detect_moderation_labels")
        assert kwargs["Image"]["Bytes"][:2] == b"\xff\xd8"  # the preview JPEG
        return {"ModerationLabels": self.moderation_labels}

    def detect_labels(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append("detect_labels")
        return {"Labels": [{"Name": "Boat", "Confidence": 99.0}]}


EXPLICIT = [
    {"Name": "Explicit Nudity", "ParentName": "", "Confidence": 97.0},
    {"Name": "Graphic Male Nudity", "ParentName": "Explicit Nudity", "Confidence": 97.0},
]
