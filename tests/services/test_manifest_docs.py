"""services/README.md's function and environment tables are the manifests' (generated)."""

from __future__ import annotations

import pytest

from tools import manifest_docs


def test_readme_tables_are_generated_from_the_manifests() -> None:
    # GIVEN the README as committed
    text = manifest_docs.README.read_text()
    # THEN regenerating its tables changes nothing
    assert manifest_docs.render(text) == text, "run: python -m tools.manifest_docs --write"


def test_a_stale_table_is_detected() -> None:
    # GIVEN a README whose environment table lost a variable
    text = manifest_docs.README.read_text().replace("`DOWNLOAD_URL_TTL_SECONDS`", "", 1)
    # WHEN it is checked THEN the check fails and --write would restore it
    assert manifest_docs.render(text) != text
    assert manifest_docs.render(text) == manifest_docs.README.read_text()


def test_a_missing_table_marker_is_named() -> None:
    text = manifest_docs.README.read_text().replace("<!-- manifest:functions -->", "")
    with pytest.raises(ValueError, match="manifest:functions"):
        manifest_docs.render(text)
