"""Shift each function's ``live`` alias to the version ``pulumi up`` just published.

    python -m tools.shift_traffic upload-prod            # after: pulumi up -s upload-prod
    python -m tools.shift_traffic upload-prod --dry-run  # what would shift, nothing started

The deploy's step after ``pulumi up`` for a service whose deployment preference is a CodeDeploy
shift (``marketplace:deploymentPreference``; docs/safe-deploys.md). ``pulumi up`` published a
new version of every changed function but left its alias where it was (Pulumi ignores the
alias' version there). For each function of the service's manifest this compares the alias'
version with the latest published one and, when they differ, asks CodeDeploy to move the alias
(``CreateDeployment`` with an AppSpec naming both versions), then waits: ``Succeeded``, or
``Stopped``/``Failed`` when an alarm or an error rolled it back, which fails the command (and
the deploy job) with CodeDeploy's message. A service that deploys ``AllAtOnce`` has nothing
to shift. It runs with the deploy role's credentials (``deploy-shifting-policy.json``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from components.deployment import application_name
from components.naming import StackName, parse_stack_name, physical_name
from components.settings import ALL_AT_ONCE, Settings, load_settings
from services.contracts.catalogue import SERVICES
from services.contracts.manifest import load_manifest
from tools.affected_stacks import environment_config

ALIAS = "live"
DONE = ("Succeeded", "Failed", "Stopped")
POLL_SECONDS = 15.0
TIMEOUT_SECONDS = 3600.0
"""Longest shift CodeDeploy offers (Canary10Percent30Minutes, Linear10PercentEvery10Minutes:
90 minutes) is longer; the deploy job's own timeout bounds the rest."""


@dataclass(frozen=True)
class Shift:
    """One alias to move: CodeDeploy's application and group, and the two versions."""

    function: str
    application: str
    group: str
    current: str
    target: str

    def appspec(self) -> str:
        """The AppSpec CodeDeploy's Lambda deployments take (JSON is valid YAML)."""
        properties = {
            "Name": self.function,
            "Alias": ALIAS,
            "CurrentVersion": self.current,
            "TargetVersion": self.target,
        }
        resource = {self.function: {"Type": "AWS::Lambda::Function", "Properties": properties}}
        return json.dumps({"version": 0.0, "Resources": [resource]}, sort_keys=True)


def stack_functions(settings: Settings, service: str) -> list[str]:
    """The physical names of ``service``'s functions (the monitoring stack has none)."""
    if service not in SERVICES:
        return []
    return [
        physical_name(settings.env, service, s.purpose) for s in load_manifest(service).functions
    ]


def published_versions(lambda_client: Any, function: str) -> list[int]:
    """Every published version of ``function`` (``$LATEST`` is not one). Pages by hand: the
    local runtime's in-process reads (local/emulator/lambda_reads.py) have no paginators."""
    numbers: list[int] = []
    marker: dict[str, str] = {}
    while True:
        page = lambda_client.list_versions_by_function(FunctionName=function, **marker)
        numbers += [int(v["Version"]) for v in page["Versions"] if v["Version"].isdigit()]
        if not page.get("NextMarker"):
            return numbers
        marker = {"Marker": page["NextMarker"]}


def latest_version(lambda_client: Any, function: str) -> str:
    """The highest published version of ``function`` (what ``pulumi up`` published last)."""
    numbers = published_versions(lambda_client, function)
    if not numbers:
        raise RuntimeError(f"{function} has no published version: was it deployed?")
    return str(max(numbers))


def pending_shifts(lambda_client: Any, settings: Settings, service: str) -> list[Shift]:
    """The functions of ``service`` whose alias is behind their latest published version."""
    if service not in SERVICES or settings.deployment_of(service) == ALL_AT_ONCE:
        return []  # the monitoring stack has no functions; AllAtOnce moved the aliases itself
    shifts = []
    for function in stack_functions(settings, service):
        current = lambda_client.get_alias(FunctionName=function, Name=ALIAS)["FunctionVersion"]
        target = latest_version(lambda_client, function)
        if target != current:
            application = application_name(settings.env, service)
            shifts.append(Shift(function, application, function, current, target))
    return shifts


def start(codedeploy: Any, shift: Shift) -> str:
    """CreateDeployment for ``shift`` with its group's configuration and alarms."""
    revision = {"revisionType": "AppSpecContent", "appSpecContent": {"content": shift.appspec()}}
    response = codedeploy.create_deployment(
        applicationName=shift.application,
        deploymentGroupName=shift.group,
        revision=revision,
        description=f"{shift.function}: version {shift.current} -> {shift.target}",
    )
    return str(response["deploymentId"])


def wait(
    codedeploy: Any,
    deployment_id: str,
    report: Callable[[str], None] = print,
    poll_seconds: float = POLL_SECONDS,
    timeout_seconds: float = TIMEOUT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the deployment until it is done; its ``deploymentInfo``."""
    waited, last = 0.0, ""
    while True:
        info: dict[str, Any] = codedeploy.get_deployment(deploymentId=deployment_id)[
            "deploymentInfo"
        ]
        status = str(info["status"])
        if status != last:
            report(f"  {deployment_id}: {status}")
            last = status
        if status in DONE or waited >= timeout_seconds:
            return info
        sleep(poll_seconds)
        waited += poll_seconds


def parse_step(
    module: str, doc: str | None, dry_run: str, argv: Sequence[str] | None
) -> tuple[argparse.Namespace, StackName, Settings]:
    """The command line of a deploy step after ``pulumi up`` (``<stack> [--dry-run]``), the
    stack it names and that stack's environment settings (validated: a bad one stops here)."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc)
    parser.add_argument("stack", help="<service>-<env>, e.g. upload-prod")
    parser.add_argument("--dry-run", action="store_true", help=dry_run)
    args = parser.parse_args(argv)
    stack = parse_stack_name(args.stack)
    return args, stack, load_settings(stack.env, environment_config(stack.env).get)


def main(argv: Sequence[str] | None = None) -> int:
    args, stack, settings = parse_step(
        "tools.shift_traffic", __doc__, "list the shifts, start none", argv
    )
    import boto3

    session = boto3.Session(region_name=settings.region)
    shifts = pending_shifts(session.client("lambda"), settings, stack.service)
    if not shifts:
        print(f"{args.stack}: every alias is on its latest version; nothing to shift")
        return 0
    failed = []
    codedeploy = session.client("codedeploy")
    for shift in shifts:
        print(f"{shift.function}: {ALIAS} {shift.current} -> {shift.target} ({shift.group})")
        if args.dry_run:
            continue
        info = wait(codedeploy, start(codedeploy, shift))
        if info["status"] != "Succeeded":
            failed.append(f"{shift.function}: {info['status']}: {info.get('errorInformation')}")
    for line in failed:
        print(f"ROLLED BACK {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
