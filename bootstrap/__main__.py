"""The account bootstrap program: run once per service account, with that account's admin.

    cd bootstrap && pulumi up -s bootstrap-upload-dev --config-file ../Pulumi.dev.yaml

The stack name picks the account (``marketplace:accounts.<service>`` of the environment);
the environment's settings are the same file the service stacks read.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Pulumi runs this file from bootstrap/; the shared packages live at the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi
import pulumi_aws as aws

from bootstrap.account import AccountBootstrap, AccountBootstrapArgs
from bootstrap.stack import parse_bootstrap_stack
from components.settings import NAMESPACE, PLACEHOLDER_MARK, config_getter, load_settings
from components.tagging import default_tags

stack = parse_bootstrap_stack(pulumi.get_stack())
settings = load_settings(stack.env, config_getter(pulumi.Config(NAMESPACE)))
account = settings.account_of(stack.service)
if PLACEHOLDER_MARK.lower() in settings.github.repository.lower():
    pulumi.log.warn(
        f"{NAMESPACE}:github.repository is the placeholder {settings.github.repository!r}: "
        "no GitHub job can assume the roles until it names this repository"
    )

# Ambient credentials: the account's administrator. The provider refuses any other account.
provider = aws.Provider(
    f"bootstrap-{stack.service}-{stack.env}",
    region=settings.region,
    allowed_account_ids=[account],
    default_tags=default_tags(stack.service, stack.env),
)
bootstrap = AccountBootstrap(
    f"{stack.service}-{stack.env}",
    AccountBootstrapArgs(settings=settings, service=stack.service),
    pulumi.ResourceOptions(provider=provider),
)
for output, value in bootstrap.outputs.items():
    pulumi.export(output, value)
