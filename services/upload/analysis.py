"""Rekognition's verdict on a preview, through the circuit breaker: labels, moderation findings
and whether a person must look at the image before it is published.

Never raises for Rekognition: a failed call (throttled, down, refused) counts towards opening
the circuit and sends the image to review as "analysis unavailable", as does an open circuit
(the call is skipped). So no upload is retried into the DLQ because Rekognition fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from services.upload import labels
from services.upload.circuit import CircuitBreaker

ANALYSIS_UNAVAILABLE = (
    "Analysis unavailable: the image could not be checked automatically; "
    "a moderator will review it."
)

logger = Logger(child=True)


@dataclass(frozen=True)
class Analysis:
    labels: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    review_reason: str | None = None
    """Set: the image waits IN_REVIEW for a person, for this reason."""
    circuit_open: bool | None = None
    """None: Rekognition is switched off (not asked); else the circuit's state after the call."""


def analyse(
    image: bytes, *, detect_labels: bool, moderate: bool, breaker: CircuitBreaker
) -> Analysis:
    """Ask Rekognition what is switched on, unless the circuit is open."""
    if not (detect_labels or moderate):
        return Analysis()
    permit = breaker.allow()
    if permit is None:
        logger.info("Rekognition circuit open; image goes to review unanalysed")
        return Analysis(review_reason=ANALYSIS_UNAVAILABLE, circuit_open=True)
    try:
        found = labels.moderation_findings(image) if moderate else []
        names = labels.detect_labels(image) if detect_labels else []
    except (ClientError, BotoCoreError) as error:
        opened = breaker.failed(permit)
        logger.warning(
            "Rekognition failed; image goes to review",
            extra={"error": str(error), "probe": permit.probe, "circuit_open": opened},
        )
        return Analysis(review_reason=ANALYSIS_UNAVAILABLE, circuit_open=opened)
    breaker.succeeded(permit)
    return Analysis(names, found, labels.review_reason(found), circuit_open=False)
