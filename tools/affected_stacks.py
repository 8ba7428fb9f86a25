"""Which stacks a change touches: the matrix of the preview and deploy workflows.

    python -m tools.affected_stacks --changed-from BASE --changed-to HEAD [--env dev]
    git diff --name-only main... | python -m tools.affected_stacks
    python -m tools.affected_stacks services/upload/api.py Pulumi.prod.yaml

Prints ``{"include": [{"stack": "upload-dev", "account": ..., ...}, ...]}`` (a GitHub Actions
matrix). Services come from the event catalogue, accounts and role names from
``Pulumi.<env>.yaml``, so adding a service or an account needs no change here or in the
workflows. Within an environment, stacks are listed producers first (upload, purchase,
catalog): the deploy workflow runs them in that order so topics exist before consumers
subscribe and purchase can read upload's outputs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.settings import NAMESPACE, load_settings
from services.contracts.catalogue import SERVICES

REPO_ROOT = Path(__file__).resolve().parent.parent
DEPLOYED_ENVIRONMENTS = ("dev", "prod")
"""Environments CI previews and deploys (``Pulumi.local.yaml`` is the embedded emulator's)."""
NO_COMMIT = "0" * 40
"""GitHub's ``before`` of a branch's first push: nothing to diff against, so everything."""

SHARED_FILES = frozenset(
    {
        "__main__.py",
        "Pulumi.yaml",
        "services/__init__.py",
        "requirements/deploy.txt",
        "requirements/lambda.txt",
        "requirements/constraints.txt",
    }
)
"""Files every stack is built from: the program, its packages' pins, the bundle root."""
SHARED_DIRECTORIES = ("components/", "services/contracts/", "services/common/", "policy/")
"""Shared building blocks, the contracts and common code every bundle carries, and the
policy pack every preview runs."""


@dataclass(frozen=True)
class Impact:
    """The services a changed path touches, in ``envs`` (``None``: every environment)."""

    services: frozenset[str]
    envs: frozenset[str] | None = None


NOTHING = Impact(frozenset())
EVERYTHING = Impact(frozenset(SERVICES))


def impact_of(path: str) -> Impact:
    """What one changed path (relative to the repository root) makes worth previewing."""
    path = path.strip().removeprefix("./")
    parts = path.split("/")
    if path.endswith(".md") or parts[0] in ("tests", "docs"):
        return NOTHING
    service = _owning_service(parts)
    if service is not None:
        return Impact(frozenset({service}))
    if path in SHARED_FILES or path.startswith(SHARED_DIRECTORIES):
        return EVERYTHING
    if len(parts) == 1 and path.startswith("Pulumi.") and path.endswith(".yaml"):
        env = path.removeprefix("Pulumi.").removesuffix(".yaml")
        return Impact(frozenset(SERVICES), frozenset({env}))
    return NOTHING


def _owning_service(parts: list[str]) -> str | None:
    """``services/<service>/...`` and ``components/<service>_service.py`` belong to one service."""
    if len(parts) >= 3 and parts[0] == "services" and parts[1] in SERVICES:
        return parts[1]
    if len(parts) == 2 and parts[0] == "components" and parts[1].endswith("_service.py"):
        service = parts[1].removesuffix("_service.py")
        return service if service in SERVICES else None
    return None


def deploy_order() -> list[str]:
    """Services with every producer before its consumers (from the event catalogue)."""
    ordered: list[str] = []
    remaining = dict(sorted(SERVICES.items()))
    while remaining:
        ready = [
            name
            for name, spec in remaining.items()
            if all(producer in ordered for producer in spec.consumes if producer != name)
        ]
        if not ready:
            raise ValueError(f"the event catalogue has a cycle among: {', '.join(remaining)}")
        ordered.append(ready[0])
        del remaining[ready[0]]
    return ordered


def affected_stacks(paths: Iterable[str], envs: Sequence[str] = DEPLOYED_ENVIRONMENTS) -> list[str]:
    """Stack names (``upload-dev``...) touched by ``paths``: env by env, producers first."""
    touched: set[tuple[str, str]] = set()
    for path in paths:
        if not path.strip():
            continue
        impact = impact_of(path)
        for env in envs:
            if impact.envs is None or env in impact.envs:
                touched.update((service, env) for service in impact.services)
    order = deploy_order()
    return [f"{service}-{env}" for env in envs for service in order if (service, env) in touched]


def all_stacks(envs: Sequence[str] = DEPLOYED_ENVIRONMENTS) -> list[str]:
    return [f"{service}-{env}" for env in envs for service in deploy_order()]


def environment_config(env: str, root: Path = REPO_ROOT) -> dict[str, Any]:
    """The ``marketplace:*`` values of ``Pulumi.<env>.yaml``, keys without the namespace."""
    path = root / f"Pulumi.{env}.yaml"
    if not path.exists():
        raise SystemExit(f"error: environment {env!r} has no {path.name}")
    document = yaml.safe_load(path.read_text()) or {}
    values: Mapping[str, Any] = document.get("config") or {}
    prefix = f"{NAMESPACE}:"
    return {k.removeprefix(prefix): v for k, v in values.items() if k.startswith(prefix)}


def matrix(stacks: Sequence[str], root: Path = REPO_ROOT) -> dict[str, list[dict[str, str]]]:
    """A GitHub Actions matrix: per stack, what its job needs to assume roles and preview."""
    include = []
    for stack in stacks:
        service, env = stack.split("-", 1)
        settings = load_settings(env, environment_config(env, root).get)
        include.append(
            {
                "stack": stack,
                "service": service,
                "env": env,
                "team": SERVICES[service].team,
                "account": settings.account_of(service),
                "region": settings.region,
                "config_file": f"Pulumi.{env}.yaml",
                "deploy_role": settings.deploy_role_name,
                "preview_role": settings.preview_role_name,
            }
        )
    return {"include": include}


def changed_paths(base: str, head: str, root: Path = REPO_ROOT) -> list[str] | None:
    """Paths changed on ``head`` since its merge base with ``base``; ``None`` if unknowable."""
    if not base or base == NO_COMMIT:
        return None
    command = ["git", "diff", "--name-only", "--no-renames", f"{base}...{head}"]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(
            f"warning: {' '.join(command)} failed ({result.stderr.strip()}); "
            "treating every stack as affected",
            file=sys.stderr,
        )
        return None
    return result.stdout.splitlines()


def write_github_output(path: Path, name: str, stacks_matrix: Mapping[str, Any]) -> None:
    """``<name>=<matrix json>`` and ``<name>-count=<n>`` for later jobs' ``if`` and matrix."""
    count = len(stacks_matrix["include"])
    with path.open("a") as output:
        output.write(f"{name}={json.dumps(stacks_matrix, separators=(',', ':'))}\n")
        output.write(f"{name}-count={count}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.affected_stacks",
        description="Print the GitHub Actions matrix of the stacks a change touches.",
    )
    parser.add_argument("paths", nargs="*", help="changed paths (default: read from stdin)")
    parser.add_argument(
        "--env",
        action="append",
        dest="envs",
        help=f"environment to consider (repeatable; default: {', '.join(DEPLOYED_ENVIRONMENTS)})",
    )
    parser.add_argument("--all", action="store_true", help="every stack of the environments")
    parser.add_argument("--changed-from", metavar="REF", help="diff REF...HEAD with git")
    parser.add_argument("--changed-to", metavar="REF", default="HEAD", help="default HEAD")
    parser.add_argument(
        "--github-output",
        metavar="FILE",
        type=Path,
        help="also append matrix=... and matrix-count=... to FILE ($GITHUB_OUTPUT)",
    )
    parser.add_argument("--output-name", default="matrix", help="output name (default matrix)")
    return parser


def main(argv: Sequence[str] | None = None, stdin: Iterable[str] = sys.stdin) -> int:
    args = build_parser().parse_args(argv)
    envs = tuple(args.envs or DEPLOYED_ENVIRONMENTS)
    paths: list[str] | None
    if args.all:
        paths = None
    elif args.changed_from is not None:
        paths = changed_paths(args.changed_from, args.changed_to)
    else:
        paths = list(args.paths) or [line.rstrip("\n") for line in stdin]
    stacks = all_stacks(envs) if paths is None else affected_stacks(paths, envs)
    result = matrix(stacks)
    print(json.dumps(result, indent=2))
    if args.github_output:
        write_github_output(args.github_output, args.output_name, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
