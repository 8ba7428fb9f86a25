"""The one way the pipeline says no: an exception carrying a reason for the photographer."""

from __future__ import annotations


class ImageRejected(Exception):
    """The upload cannot be published as an image.

    `reason` is a sentence the photographer understands (it travels in `image.rejected`);
    `code` is a short stable word for metrics and tests (`empty`, `not_an_image`, ...).
    """

    def __init__(self, reason: str, *, code: str = "invalid") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class MalformedFile(ValueError):
    """The container structure (segments, chunks) is broken; becomes an ImageRejected."""
