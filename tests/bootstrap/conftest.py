"""Evaluate the bootstrap program (bootstrap/__main__.py) under mocks, for every account.

The accounts are the environment's ``marketplace:accounts`` (the settings, which the event
catalogue validates): a service added to the catalogue is bootstrapped without a test change.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

from bootstrap.stack import BOOTSTRAP_PROGRAM, bootstrap_stack_name
from components.aws_types import IAM_POLICY, OIDC_PROVIDER
from components.settings import NAMESPACE, Settings, load_settings
from local.fake_cloud import FakeCloud
from local.program import REPO_ROOT, Evaluation, config_file_for, evaluate, load_config

ENVIRONMENTS = ("dev", "prod")


class BootstrapCloud(FakeCloud):
    """FakeCloud plus the ARNs of the two IAM types only the bootstrap creates."""

    def outputs_for(self, args: Any, account: str | None) -> tuple[str, dict[str, Any]]:
        resource_id, outputs = super().outputs_for(args, account)
        if args.typ == IAM_POLICY:
            arn = f"arn:aws:iam::{account}:policy/{args.inputs['name']}"
            return arn, {**outputs, "arn": arn}
        if args.typ == OIDC_PROVIDER:
            host = str(args.inputs["url"]).removeprefix("https://")
            arn = f"arn:aws:iam::{account}:oidc-provider/{host}"
            return arn, {**outputs, "arn": arn}
        return resource_id, outputs


def settings_of(env: str, config: dict[str, Any] | None = None) -> Settings:
    values = config if config is not None else load_config(REPO_ROOT / f"Pulumi.{env}.yaml")
    return load_settings(env, lambda key: values.get(f"{NAMESPACE}:{key}"))


def bootstrap_stacks() -> list[str]:
    """``bootstrap-<service>-<env>`` for every account of every deployed environment."""
    return [
        bootstrap_stack_name(service, env)
        for env in ENVIRONMENTS
        for service in sorted(settings_of(env).accounts)
    ]


def evaluate_bootstrap(stack: str, config: dict[str, Any] | None = None) -> Evaluation:
    values = config if config is not None else load_config(config_file_for(stack))
    return evaluate(stack, BootstrapCloud(), config=values, program=BOOTSTRAP_PROGRAM)


@cache
def evaluated_bootstrap(stack: str) -> Evaluation:
    """The committed environment's bootstrap of one account, evaluated once."""
    return evaluate_bootstrap(stack)


def config_with(env: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    config = json.loads(json.dumps(load_config(REPO_ROOT / f"Pulumi.{env}.yaml")))
    change(config)
    return config
