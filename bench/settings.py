"""Defaults of the benchmark, and the deployed settings it reads without importing Pulumi."""

from __future__ import annotations

import os
from pathlib import Path

from services.upload.manifest import MAX_IMAGE_PIXELS

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
"""Git-ignored: generated images, latest.json, imports.json."""
DEFAULT_REPEATS = 5


def default_cpu() -> int | None:
    """The CPU every run is pinned to: the last one this process may use (None where the OS
    cannot pin). The processor's Lambda has at most one vCPU below 1769 MB, and a
    single-threaded Pillow must not be compared with a libvips using every core."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    return max(os.sched_getaffinity(0))


def max_image_pixels() -> int:
    """The processor's pixel limit as deployed: the upload manifest's (plain data, no Pulumi)."""
    return MAX_IMAGE_PIXELS
