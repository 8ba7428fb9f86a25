"""Defaults of the benchmark, and the deployed settings it reads without importing Pulumi."""

from __future__ import annotations

import ast
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
"""Git-ignored: generated images, latest.json, imports.json."""
UPLOAD_SERVICE = REPO_ROOT / "components" / "upload_service.py"
DEFAULT_REPEATS = 5


def default_cpu() -> int | None:
    """The CPU every run is pinned to: the last one this process may use (None where the OS
    cannot pin). The processor's Lambda has at most one vCPU below 1769 MB, and a
    single-threaded Pillow must not be compared with a libvips using every core."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    return max(os.sched_getaffinity(0))


def max_image_pixels() -> int:
    """The processor's pixel limit as deployed (``MAX_IMAGE_PIXELS`` of the upload service)."""
    value = component_constant("MAX_IMAGE_PIXELS")
    if not isinstance(value, int):
        raise TypeError(f"MAX_IMAGE_PIXELS of {UPLOAD_SERVICE} is {value!r}, not an int")
    return value


def component_constant(name: str, path: Path = UPLOAD_SERVICE) -> object:
    """A module-level constant of a component file, read from its source: importing the
    component would import Pulumi, seconds the benchmark does not need to spend."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise KeyError(f"{name} is not a constant of {path}")
