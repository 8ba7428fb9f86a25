"""The image pipeline: validation, renditions, watermark, palette and metadata stripping.

Plain functions of bytes, no AWS: the upload processor calls `process_image` and stores what
it returns. See `process.py` for the flow, and each module for one job.
"""

from __future__ import annotations

from services.upload.pipeline.colour_names import COLOUR_NAMES
from services.upload.pipeline.errors import ImageRejected
from services.upload.pipeline.process import Renditions, process_image
from services.upload.pipeline.renditions import PREVIEW_SIDE, THUMBNAIL_SIDE
from services.upload.pipeline.validation import (
    ACCEPTED_FORMATS,
    CONTENT_TYPES,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
)

__all__ = [
    "ACCEPTED_FORMATS",
    "COLOUR_NAMES",
    "CONTENT_TYPES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "PREVIEW_SIDE",
    "THUMBNAIL_SIDE",
    "ImageRejected",
    "Renditions",
    "process_image",
]
