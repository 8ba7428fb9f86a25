"""Lambda bundles are deterministic and hold exactly the service plus the shared packages."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

from components.packaging import (
    LAMBDA_PLATFORM,
    bundle_bytes,
    bundle_files,
    layer_install_command,
    layer_key,
)
from local.program import REPO_ROOT
from tests.infra.conftest import evaluated


def test_bundle_is_identical_across_builds_and_checkouts(tmp_path: Path) -> None:
    # GIVEN a copy of the sources with different modification times
    copy = tmp_path / "checkout"
    shutil.copytree(
        REPO_ROOT / "services", copy / "services", ignore=shutil.ignore_patterns("__pycache__")
    )
    for path in copy.rglob("*.py"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    # WHEN both are bundled / THEN the bytes are the same
    assert bundle_bytes("catalog", copy) == bundle_bytes("catalog", REPO_ROOT)


def test_bundle_changes_when_code_changes(tmp_path: Path) -> None:
    copy = tmp_path / "checkout"
    shutil.copytree(
        REPO_ROOT / "services", copy / "services", ignore=shutil.ignore_patterns("__pycache__")
    )
    before = bundle_bytes("catalog", copy)
    (copy / "services" / "contracts" / "catalogue.py").write_text("# changed\n", encoding="utf-8")
    assert bundle_bytes("catalog", copy) != before


def test_bundle_holds_the_service_and_shared_packages_only() -> None:
    names = zipfile.ZipFile(io.BytesIO(bundle_bytes("purchase"))).namelist()
    assert "services/__init__.py" in names
    assert any(n.startswith("services/contracts/") for n in names)
    assert any(n.startswith("services/common/") for n in names)
    assert not any(n.startswith(("services/upload/", "services/catalog/")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert [Path(n) for n in names] == bundle_files("purchase")


def test_layer_is_built_for_lambda_arm64_python() -> None:
    command = layer_install_command(Path("requirements/lambda.txt"), Path("/tmp/layer"))
    assert command[command.index("--platform") + 1] == LAMBDA_PLATFORM == "manylinux2014_aarch64"
    assert "--only-binary=:all:" in command
    assert command[command.index("--target") + 1] == "/tmp/layer/python"


def test_layer_cache_key_follows_requirements(tmp_path: Path) -> None:
    requirements = tmp_path / "lambda.txt"
    requirements.write_text("Pillow==13.0.0\n")
    first = layer_key(requirements)
    requirements.write_text("Pillow==13.0.1\n")
    assert layer_key(requirements) != first


def test_unit_tests_never_build_the_layer() -> None:
    layer = evaluated("upload-dev").of_type("aws:lambda/layerVersion:LayerVersion")[0]
    assert layer.inputs["compatibleArchitectures"] == ["arm64"]
    assert not (REPO_ROOT / ".build" / "layers").exists() or not any(
        (p / ".complete").exists() for p in (REPO_ROOT / ".build" / "layers").iterdir()
    )
