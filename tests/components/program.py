"""The program component tests evaluate: whatever building block ``harness.build`` was given."""

from __future__ import annotations

from tests.components.harness import run_builder

run_builder()
