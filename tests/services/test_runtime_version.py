"""The handler tests run under the Python that Lambda runs them with."""

from __future__ import annotations

import os
import sys

import pytest

from components.layer import LAMBDA_PYTHON


def test_handlers_are_tested_under_lambdas_python() -> None:
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != LAMBDA_PYTHON and os.environ.get("CI") != "true":
        pytest.skip(f"python{LAMBDA_PYTHON} not installed here (./dev warned); CI requires it")
    assert running == LAMBDA_PYTHON, f"tests run on {running}, Lambda on {LAMBDA_PYTHON}"
