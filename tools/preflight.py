"""Before a team's first ``pulumi up``: does the account provide what the stack needs?

    ./dev preflight upload-dev [--profile NAME] [--config-file Pulumi.dev.yaml] [--json]

Runs with the team's own credentials (``--profile``, else boto3's default chain) and reads
the environment's settings through the program's own loader. Every check prints one line,
PASS or FAIL, and a failed one names its fix. Exit status 0 only when every check passes,
1 when one fails, 2 when the stack name or the settings file is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError

from components.naming import StackNameError, parse_stack_name
from components.settings import NAMESPACE, SettingsError, load_settings
from local.program import REPO_ROOT, load_config
from tools.preflight_checks import (
    Result,
    Target,
    alarm_email,
    deploy_role,
    identity_audiences,
    identity_issuer,
    lambda_concurrency,
    other_placeholders,
    permissions_boundary,
    producer_topics,
)

ACCOUNT_CHECKS = ("permissions-boundary", "lambda-concurrency", "producer-topics")
"""Checks that look into the account, so they need the deploy role."""


class UsageError(Exception):
    """The command cannot start: the message names the argument or file that is wrong."""


def run_checks(target: Target) -> list[Result]:
    """Every check, in the order a team fixes them: access first, then what the stack needs."""
    role, deploy = deploy_role(target)
    results = [role]
    if deploy is None:
        fix = "fix the deploy-role check first: these run as the deploy role"
        results += [Result(name, False, "not run", fix) for name in ACCOUNT_CHECKS]
    else:
        results.append(permissions_boundary(target, deploy))
        results.append(lambda_concurrency(target, deploy))
        results += producer_topics(target, deploy)
    results += [
        identity_issuer(target),
        identity_audiences(target),
        alarm_email(target),
        other_placeholders(target),
    ]
    return results


def build_target(
    stack: str, config_file: Path | None, profile: str | None, endpoint_url: str | None
) -> Target:
    """The stack, its environment's settings and the caller's session, or a UsageError."""
    try:
        name = parse_stack_name(stack)
    except StackNameError as error:
        raise UsageError(str(error)) from error
    path = config_file or REPO_ROOT / f"Pulumi.{name.env}.yaml"
    if not path.is_file():
        raise UsageError(f"no settings file {path} for environment {name.env!r} of {stack}")
    config = load_config(path)
    prefix = f"{NAMESPACE}:"
    try:
        settings = load_settings(name.env, lambda k: config.get(prefix + k))
    except SettingsError as error:
        raise UsageError(f"{path.name}: {error}") from error
    try:
        session = boto3.Session(profile_name=profile)
    except BotoCoreError as error:  # e.g. ProfileNotFound
        raise UsageError(str(error)) from error
    return Target(
        stack=name,
        settings=settings,
        config=config,
        config_file=path.name,
        caller=session,
        endpoint_url=endpoint_url,
    )


def render(results: Sequence[Result]) -> list[str]:
    """One line per check: ``PASS name: detail`` or ``FAIL name: detail -- fix: ...``."""
    width = max(len(r.name) for r in results)
    return [
        f"{'PASS' if r.passed else 'FAIL'}  {r.name:<{width}}  {r.detail}"
        + ("" if r.passed else f"  -- fix: {r.fix}")
        for r in results
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="./dev preflight",
        description="Check an account's prerequisites before a stack's first `pulumi up`.",
    )
    parser.add_argument("stack", help="<service>-<env>, e.g. upload-dev")
    parser.add_argument("--profile", help="AWS profile with the team's credentials")
    parser.add_argument(
        "--config-file",
        type=Path,
        help="the environment's settings (default: Pulumi.<env>.yaml of this repository)",
    )
    parser.add_argument("--endpoint-url", help="AWS endpoint (an emulator), default: AWS")
    parser.add_argument("--json", action="store_true", help="one JSON document for machines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        target = build_target(args.stack, args.config_file, args.profile, args.endpoint_url)
    except UsageError as error:
        parser.error(str(error))
    results = run_checks(target)
    passed = all(r.passed for r in results)
    if args.json:
        document = {
            "stack": str(target.stack),
            "passed": passed,
            "checks": [asdict(r) for r in results],
        }
        print(json.dumps(document, indent=2))
    else:
        print("\n".join(render(results)))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
