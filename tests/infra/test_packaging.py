"""Lambda bundles and the dependencies layer, as a real deploy builds them.

The layer tests build the real layer from the package index (as `pulumi preview`/`up` do)
and inspect what Lambda would load: every native library an aarch64 ELF needing no glibc
newer than Amazon Linux 2023's, sizes within Lambda's limits, nothing the deploying machine
leaks in (bytecode, console scripts), and the same bytes from two builds in two places.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

from components import aws_types
from components.layer import (
    DIRECT_UPLOAD_LIMIT,
    LAMBDA_GLIBC,
    LOCK_FILE,
    UNZIPPED_LIMIT,
    build_layer_zip,
    layer_key,
)
from components.packaging import bundle_bytes, bundle_files
from local.program import REPO_ROOT
from tests.infra.conftest import evaluated
from tools.lambda_lock import REQUIREMENTS, pins

CONSTRAINTS = REPO_ROOT / "requirements" / "constraints.txt"


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


# -- the lock ---------------------------------------------------------------------------------


def _requirement_pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==(\S+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(3)
    return found


def test_lock_pins_every_direct_requirement_at_its_version() -> None:
    locked = pins(LOCK_FILE.read_text())
    for name, version in _requirement_pins(REQUIREMENTS).items():
        assert locked.get(name) == version, f"{name}=={version} in lambda.txt, lock has {locked}"


def test_handler_tests_run_the_versions_the_layer_ships() -> None:
    # The dev lock (what tests import) must not drift from the layer (what Lambda imports).
    dev = _requirement_pins(CONSTRAINTS)
    drift = {
        name: (version, dev.get(name))
        for name, version in pins(LOCK_FILE.read_text()).items()
        if dev.get(name) != version
    }
    assert not drift, f"layer version vs requirements/constraints.txt: {drift}"


def test_lock_is_a_resolution_of_the_requirements_for_lambda() -> None:
    from tools.lambda_lock import main

    assert main(["--check"]) == 0, "requirements/lambda.lock is stale"


def test_layer_cache_key_follows_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "lambda.lock"
    lock.write_text("pillow==13.0.0 --hash=sha256:00\n")
    first = layer_key(lock)
    lock.write_text("pillow==13.0.1 --hash=sha256:01\n")
    assert layer_key(lock) != first


def test_mocked_programs_name_the_layer_without_building_it() -> None:
    layer = evaluated("upload-dev").of_type(aws_types.LAYER_VERSION)[0]
    assert layer.inputs["compatibleArchitectures"] == ["arm64"]
    assert layer.inputs["compatibleRuntimes"] == ["python3.13"]
    assert layer.inputs["code"].path.endswith(f"dependencies-{layer_key()}.zip")


# -- the real layer ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def layer_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The layer built twice from the package index, in two unrelated directories."""
    first = build_layer_zip(build_dir=tmp_path_factory.mktemp("first-checkout"))
    second = build_layer_zip(build_dir=tmp_path_factory.mktemp("second") / "elsewhere")
    return first, second


@pytest.fixture(scope="module")
def layer_dir(layer_builds: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(layer_builds[0]) as archive:
        archive.extractall(target)
    return target


def _elf_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    yield path


def _glibc_versions_needed(elf: ELFFile) -> set[tuple[int, ...]]:
    needed = set()
    for section in elf.iter_sections():
        if isinstance(section, GNUVerNeedSection):
            for _, auxiliaries in section.iter_versions():
                for aux in auxiliaries:
                    if aux.name.startswith("GLIBC_2"):
                        needed.add(tuple(int(n) for n in aux.name[6:].split(".")))
    return needed


def test_layer_builds_identically_in_two_directories(layer_builds: tuple[Path, Path]) -> None:
    first, second = (hashlib.sha256(p.read_bytes()).hexdigest() for p in layer_builds)
    assert first == second


def test_layer_native_libraries_run_on_lambda_arm64(layer_dir: Path) -> None:
    libraries = list(_elf_files(layer_dir))
    assert len(libraries) > 5, "expected Pillow's, cryptography's and pydantic-core's libraries"
    for path in libraries:
        with path.open("rb") as handle:
            elf = ELFFile(handle)
            assert elf["e_machine"] == "EM_AARCH64", f"{path.name} is {elf['e_machine']}"
            assert elf.elfclass == 64, path.name
            newest = max(_glibc_versions_needed(elf), default=(2, 0))
            assert newest <= LAMBDA_GLIBC, f"{path.name} needs GLIBC_{newest}"


def test_layer_holds_exactly_the_lock_under_python(layer_dir: Path) -> None:
    assert {p.name for p in layer_dir.iterdir()} == {"python"}
    installed = {}
    for dist_info in (layer_dir / "python").glob("*.dist-info"):
        name, version = dist_info.name.removesuffix(".dist-info").rsplit("-", 1)
        installed[name.lower().replace("_", "-")] = version
    assert installed == pins(LOCK_FILE.read_text())


def test_layer_carries_nothing_from_the_building_machine(layer_dir: Path) -> None:
    files = [p for p in layer_dir.rglob("*") if p.is_file()]
    assert not [p for p in files if p.suffix == ".pyc" or "__pycache__" in p.parts]
    assert not (layer_dir / "python" / "bin").exists()


def test_layer_fits_lambdas_limits(layer_builds: tuple[Path, Path], layer_dir: Path) -> None:
    zipped = layer_builds[0].stat().st_size
    unzipped = sum(p.stat().st_size for p in layer_dir.rglob("*") if p.is_file())
    print(f"layer: {zipped / 2**20:.1f} MiB zipped, {unzipped / 2**20:.1f} MiB unzipped")
    assert zipped <= DIRECT_UPLOAD_LIMIT
    # The function's own bundle and the runtime's headroom come on top of the layer.
    assert unzipped <= UNZIPPED_LIMIT * 0.8
