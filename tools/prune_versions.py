"""Delete the published versions of a stack's functions that no rollback needs.

    python -m tools.prune_versions upload-prod            # after: python -m tools.shift_traffic
    python -m tools.prune_versions upload-prod --dry-run  # what would go, nothing deleted

Every deploy publishes a new version of each changed function (docs/safe-deploys.md), and each
version keeps a full copy of the function's code in the account's Lambda code storage (75 GB
per region) until it is deleted. The deploy's step after the shift keeps, per function of the
service's manifest: every version an alias points at (its version and the additional versions
of its routing config), the newest published version, and the ``marketplace:keepVersions``
(default 3) versions before the ``live`` one, which is what a rollback goes back to. The rest
is deleted. A function whose ``live`` alias has a routing config is mid-shift (a CodeDeploy
deployment in progress): it is skipped, nothing of it deleted. It runs with the deploy role's
credentials (``lambda:DeleteFunction`` on the stack's functions, deploy-policy.json).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tools.shift_traffic import ALIAS, parse_step, published_versions, stack_functions


@dataclass(frozen=True)
class Pruning:
    """What happens to one function's versions; ``skipped`` says why nothing is deleted."""

    function: str
    kept: tuple[int, ...] = ()
    deleted: tuple[int, ...] = ()
    skipped: str = ""

    def line(self, dry_run: bool) -> str:
        if self.skipped:
            return f"{self.function}: skipped, {self.skipped}"
        verb = "would delete" if dry_run else "deleted"
        return f"{self.function}: kept {_listed(self.kept)}; {verb} {_listed(self.deleted)}"


def _listed(versions: Sequence[int]) -> str:
    return ", ".join(map(str, versions)) or "none"


def _aliases(lambda_client: Any, function: str) -> dict[str, Mapping[str, Any]]:
    pages = lambda_client.get_paginator("list_aliases").paginate(FunctionName=function)
    return {alias["Name"]: alias for page in pages for alias in page["Aliases"]}


def _routed(alias: Mapping[str, Any]) -> set[str]:
    """The versions ``alias`` sends traffic to: its own and its routing config's."""
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return {str(alias["FunctionVersion"]), *weights}


def plan(lambda_client: Any, function: str, keep: int) -> Pruning:
    """Which of ``function``'s versions stay and which go (nothing is deleted here)."""
    aliases = _aliases(lambda_client, function)
    live = aliases.get(ALIAS)
    if live is None or not str(live["FunctionVersion"]).isdigit():
        return Pruning(function, skipped=f"no {ALIAS} alias on a published version")
    if len(_routed(live)) > 1:
        targets = ", ".join(sorted(_routed(live) - {live["FunctionVersion"]}))
        return Pruning(
            function, skipped=f"{ALIAS} is shifting to {targets} (CodeDeploy deployment running)"
        )
    versions = sorted(published_versions(lambda_client, function))
    before = [v for v in versions if v < int(live["FunctionVersion"])]
    kept = {int(v) for alias in aliases.values() for v in _routed(alias) if v.isdigit()}
    kept |= {*versions[-1:], *before[::-1][:keep]}  # the newest, the `keep` latest before live
    return Pruning(
        function,
        kept=tuple(v for v in versions if v in kept),
        deleted=tuple(v for v in versions if v not in kept),
    )


def prune(lambda_client: Any, pruning: Pruning) -> None:
    """Delete the versions ``pruning`` lets go (their code leaves the code storage)."""
    for version in pruning.deleted:
        lambda_client.delete_function(FunctionName=pruning.function, Qualifier=str(version))


def main(argv: Sequence[str] | None = None) -> int:
    args, stack, settings = parse_step(
        "tools.prune_versions", __doc__, "list what would go, delete none", argv
    )
    functions = stack_functions(settings, stack.service)
    if not functions:
        print(f"{args.stack}: no functions; nothing to prune")
        return 0
    import boto3

    lambda_client = boto3.Session(region_name=settings.region).client("lambda")
    for function in functions:
        pruning = plan(lambda_client, function, settings.keep_versions)
        if not args.dry_run:
            prune(lambda_client, pruning)
        print(pruning.line(args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
