"""Lambda packaging: a deterministic code bundle per service and a dependencies layer.

The bundle is byte-for-byte reproducible (sorted entries, fixed timestamps and modes), so
its hash changes only when code changes and `pulumi preview` shows no spurious updates.
The dependencies layer is built for Lambda's python3.13/arm64 with pip's cross-platform
wheel selection and cached by the requirements' hash; unit tests and the local environment
never build it (they run the program under mocks).
"""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pulumi

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO_ROOT / ".build"
SHARED_PACKAGES = ("services/contracts", "services/common")
BUNDLED_SUFFIXES = (".py", ".json")
LAMBDA_PYTHON = "3.13"
LAMBDA_PLATFORM = "manylinux2014_aarch64"
FIXED_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Bundle:
    """A service's code zip: where it is and its base64 SHA-256 (Lambda's source_code_hash)."""

    path: Path
    sha256: str

    def archive(self) -> pulumi.Archive:
        return pulumi.FileArchive(str(self.path))


def bundle_files(service: str, root: Path = REPO_ROOT) -> list[Path]:
    """The files of ``services/<service>`` and the shared packages, relative to ``root``."""
    files = [Path("services/__init__.py")]
    for package in (f"services/{service}", *SHARED_PACKAGES):
        for path in sorted((root / package).rglob("*")):
            relative = path.relative_to(root)
            if (
                path.is_file()
                and path.suffix in BUNDLED_SUFFIXES
                and "__pycache__" not in relative.parts
            ):
                files.append(relative)
    return sorted(set(files))


def bundle_bytes(service: str, root: Path = REPO_ROOT) -> bytes:
    """The zip, identical for identical sources whatever the checkout's mtimes or umask."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for relative in bundle_files(service, root):
            info = zipfile.ZipInfo(relative.as_posix(), date_time=FIXED_TIMESTAMP)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (root / relative).read_bytes())
    return buffer.getvalue()


def build_bundle(service: str, root: Path = REPO_ROOT, build_dir: Path = BUILD_DIR) -> Bundle:
    """Write the bundle under ``.build/bundles/`` (content-addressed) and return it."""
    data = bundle_bytes(service, root)
    digest = hashlib.sha256(data)
    path = build_dir / "bundles" / f"{service}-{digest.hexdigest()[:16]}.zip"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return Bundle(path=path, sha256=base64.b64encode(digest.digest()).decode())


def layer_key(requirements: Path) -> str:
    """Cache key of a dependencies layer: requirements text + target runtime and platform."""
    material = requirements.read_bytes() + f"{LAMBDA_PYTHON}/{LAMBDA_PLATFORM}".encode()
    return hashlib.sha256(material).hexdigest()[:16]


def layer_install_command(requirements: Path, target: Path) -> list[str]:
    """pip picks Lambda's wheels (arm64, CPython 3.13) whatever machine runs the deploy."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--platform",
        LAMBDA_PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON,
        "--only-binary=:all:",
        "--target",
        str(target / "python"),
        "-r",
        str(requirements),
    ]


def dependencies_layer(requirements: Path, build_dir: Path = BUILD_DIR) -> pulumi.Archive:
    """The layer directory for ``requirements``, built once per requirements hash.

    Under Pulumi mocks (unit tests, offline preview, local environment) nothing is built:
    the archive only names the directory a real deploy would build.
    """
    target = build_dir / "layers" / layer_key(requirements)
    if not _running_under_mocks() and not (target / ".complete").exists():
        pulumi.log.info(f"building dependencies layer {target.name} from {requirements.name}")
        subprocess.run(layer_install_command(requirements, target), check=True)
        (target / ".complete").write_text("ok\n")
    return pulumi.FileArchive(str(target))


def _running_under_mocks() -> bool:
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.settings import SETTINGS

    return isinstance(SETTINGS.monitor, MockMonitor)
