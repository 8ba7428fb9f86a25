"""The dependencies layer: the locked wheels for Lambda's platform, zipped reproducibly.

What a real ``pulumi preview``/``up`` builds, and what the suite builds too
(``tests/packaging/test_layer_build.py``): pip installs exactly the wheels pinned, with their
hashes, in ``requirements/lambda.lock`` (``python -m tools.lambda_lock`` writes it from
``requirements/lambda.txt`` for this platform), for CPython 3.13 on arm64 Amazon Linux 2023
(glibc 2.34), without compiling bytecode and without console scripts (their shebang would
name the deploying machine's Python). The zip has sorted entries, fixed times and modes, so
two machines build the same bytes and a preview shows no layer change until the lock does.

Under Pulumi mocks (unit tests, offline preview, the local environment) nothing is built:
the archive only names the zip a real deploy would build.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pulumi

from components.function import RUNTIME
from components.packaging import BUILD_DIR, REPO_ROOT, write_deterministic_zip

LAMBDA_PYTHON = RUNTIME.removeprefix("python")
"""The runtime's CPython minor version, e.g. ``3.13``."""
LAMBDA_GLIBC = (2, 34)
"""Amazon Linux 2023, the OS of Lambda's python3.12+ runtimes."""
LAMBDA_MACHINE = "aarch64"
OLDEST_MANYLINUX = (2, 17)
"""manylinux2014: the oldest tag pip still builds wheels for."""
LOCK_FILE = REPO_ROOT / "requirements" / "lambda.lock"
BUILDER_VERSION = "2"
"""Bumped when the build itself changes, so cached layers are rebuilt."""

DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024
"""Lambda's limit for a zip uploaded with the API call itself (PublishLayerVersion)."""
UNZIPPED_LIMIT = 250 * 1024 * 1024
"""Lambda's limit for a function and all its layers, unzipped."""
EXCLUDED_TOP_LEVEL = ("bin",)
"""Console scripts: unused in Lambda and their shebang names the building machine."""


class LayerTooLargeError(RuntimeError):
    """The built layer does not fit Lambda's limits; the message says which and by how much."""


def platform_tags() -> list[str]:
    """Every manylinux tag Lambda's glibc admits, newest first (pip takes a list)."""
    major, newest = LAMBDA_GLIBC
    tags = [f"manylinux_{major}_{minor}_{LAMBDA_MACHINE}" for minor in range(newest, 16, -1)]
    return [*tags, f"manylinux2014_{LAMBDA_MACHINE}"]


def target_options() -> list[str]:
    """pip options selecting wheels for Lambda whatever machine runs pip."""
    options = []
    for tag in platform_tags():
        options += ["--platform", tag]
    version = LAMBDA_PYTHON.replace(".", "")
    return [
        *options,
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON,
        "--abi",
        f"cp{version}",
        "--only-binary=:all:",
    ]


def install_command(lock: Path, target: Path) -> list[str]:
    """Install exactly the locked wheels (hashes checked, no resolver) into ``target``."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-deps",
        "--require-hashes",
        "--no-compile",
        *target_options(),
        "--target",
        str(target),
        "-r",
        str(lock),
    ]


def layer_key(lock: Path = LOCK_FILE) -> str:
    """Cache key: the lock's bytes + the target platform + the builder's version."""
    material = lock.read_bytes() + " ".join([*target_options(), BUILDER_VERSION]).encode()
    return hashlib.sha256(material).hexdigest()[:16]


def build_layer_zip(lock: Path = LOCK_FILE, build_dir: Path = BUILD_DIR) -> Path:
    """The layer zip for ``lock``, built once per key under ``build_dir/layers/``."""
    zip_path = build_dir / "layers" / f"dependencies-{layer_key(lock)}.zip"
    if zip_path.exists():
        return zip_path
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=zip_path.parent) as scratch:
        site = Path(scratch) / "layer" / "python"
        subprocess.run(install_command(lock, site), check=True)
        for name in EXCLUDED_TOP_LEVEL:
            shutil.rmtree(site / name, ignore_errors=True)
        check_unzipped_size(site)
        partial = Path(scratch) / "layer.zip"
        write_deterministic_zip(partial, site.parent)
        check_zipped_size(partial)
        partial.replace(zip_path)
    return zip_path


def check_unzipped_size(root: Path) -> int:
    size = sum(path.stat().st_size for path in root.rglob("*") if path.is_file())
    if size > UNZIPPED_LIMIT:
        raise LayerTooLargeError(
            f"the dependencies layer is {size / 2**20:.0f} MiB unzipped; Lambda allows "
            f"{UNZIPPED_LIMIT / 2**20:.0f} MiB for a function and its layers: "
            "trim requirements/lambda.txt"
        )
    return size


def check_zipped_size(zip_path: Path) -> int:
    size = zip_path.stat().st_size
    if size > DIRECT_UPLOAD_LIMIT:
        raise LayerTooLargeError(
            f"the dependencies layer zip is {size / 2**20:.1f} MiB; PublishLayerVersion accepts "
            f"{DIRECT_UPLOAD_LIMIT / 2**20:.0f} MiB uploaded directly: trim "
            "requirements/lambda.txt or upload the layer through S3"
        )
    return size


def dependencies_layer(lock: Path = LOCK_FILE, build_dir: Path = BUILD_DIR) -> pulumi.Archive:
    """The layer's archive: built for real in previews and deploys, only named under mocks."""
    if _running_under_mocks():
        return pulumi.FileArchive(str(build_dir / "layers" / f"dependencies-{layer_key(lock)}.zip"))
    pulumi.log.info(f"dependencies layer from {lock.name} ({layer_key(lock)})")
    return pulumi.FileArchive(str(build_layer_zip(lock, build_dir)))


def _running_under_mocks() -> bool:
    from components.sdk_internals import running_under_mocks

    return running_under_mocks()
