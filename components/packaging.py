"""Lambda packaging: a deterministic code bundle per service and a dependencies layer.

The bundle is byte-for-byte reproducible (sorted entries, fixed timestamps and modes), so
its hash changes only when code changes and `pulumi preview` shows no spurious updates.
The dependencies layer (components/layer.py) is zipped the same way.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pulumi

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO_ROOT / ".build"
SHARED_PACKAGES = ("services/contracts", "services/common")
BUNDLED_SUFFIXES = (".py", ".json")
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
    _zip_files(buffer, root, bundle_files(service, root))
    return buffer.getvalue()


def write_deterministic_zip(destination: Path, root: Path) -> None:
    """Zip every file under ``root`` (paths relative to it) into ``destination``."""
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    with destination.open("wb") as output:
        _zip_files(output, root, files)


def _zip_files(output: BinaryIO, root: Path, files: list[Path]) -> None:
    """Sorted entries, fixed timestamps, modes 644 or 755: bytes depend on content only."""
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for relative in sorted(files):
            path = root / relative
            info = zipfile.ZipInfo(relative.as_posix(), date_time=FIXED_TIMESTAMP)
            executable = path.stat().st_mode & 0o111
            info.external_attr = (0o755 if executable else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


def build_bundle(service: str, root: Path = REPO_ROOT, build_dir: Path = BUILD_DIR) -> Bundle:
    """Write the bundle under ``.build/bundles/`` (content-addressed) and return it."""
    data = bundle_bytes(service, root)
    digest = hashlib.sha256(data)
    path = build_dir / "bundles" / f"{service}-{digest.hexdigest()[:16]}.zip"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return Bundle(path=path, sha256=base64.b64encode(digest.digest()).decode())
