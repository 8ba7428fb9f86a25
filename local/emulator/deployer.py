"""Deploy an environment's service stacks into the embedded cloud, as ``pulumi up`` would.

The real program (``__main__.py``) runs for each stack, producers first, under
``EmulatorMocks`` (mocks.py): what the emulator can hold is created for real in the service's
own account (``creators/``), the rest recorded for the local runtime (``recorded.py``). The
result is the graph (``local/graph.py``) the runtime starts from.

IAM is enforced (local/emulator/iam_enforcement.py): each service account is bootstrapped
by the account bootstrap program (bootstrap/, stack ``bootstrap-<service>-<env>``) run under
the same mocks as its administrator: the GitHub OIDC provider, the permissions boundary, the
deploy and preview roles with the policies of docs/deploy-roles/. Then each stack is deployed
as its account's deploy role: an action the deploy policy lacks, or a role created without
the boundary, fails the deployment with AccessDenied, as the first real ``pulumi up`` would.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi

from bootstrap.stack import BOOTSTRAP_PROGRAM, bootstrap_stack_name
from components import aws_types
from components.naming import secret_name
from components.settings import NAMESPACE, load_settings
from local.emulator.cloud import IDENTITY_ACCOUNT, ROLE_NAME, EmbeddedCloud, Identity
from local.emulator.cross_account import cross_account_subscriptions, install_taps
from local.emulator.identity_lookup import provision_lookup_role
from local.emulator.mocks import EmulatorMocks
from local.graph import GRAPH_FILE, Graph
from local.keys import SigningKey, generate_signing_key
from local.preview import referenced_services
from local.program import ORGANIZATION, PROGRAM, PROJECT, REPO_ROOT, Evaluation, evaluate
from services.contracts.catalogue import SERVICES

PURCHASE_SIGNING_SECRET = "cdn-signing-key"
"""Purpose of purchase's secret holding the active CloudFront private key (components)."""


def deploy_order() -> list[str]:
    """Services producers first (from the event catalogue): a consumer subscribes to topics
    that must exist; and a stack after those whose outputs it reads (purchase and web)."""
    remaining = {
        name: (set(spec.consumes) | set(referenced_services(name))) - {name}
        for name, spec in SERVICES.items()
    }
    order: list[str] = []
    while remaining:
        ready = sorted(name for name, needs in remaining.items() if needs <= set(order))
        if not ready:
            raise ValueError(
                f"the event catalogue has a subscription cycle among {sorted(remaining)}"
            )
        order.append(ready[0])
        del remaining[ready[0]]
    return order


def config_file(env: str) -> Path:
    return REPO_ROOT / f"Pulumi.{env}.yaml"


def localize_config(
    config: Mapping[str, Any], identity: Identity, signing: SigningKey
) -> dict[str, Any]:
    """The env's config with the local pool as issuer and the run's signing public key."""
    values = copy.deepcopy(dict(config))
    values[f"{NAMESPACE}:identity"] = {
        **dict(values.get(f"{NAMESPACE}:identity") or {}),  # e.g. the web app's signInUrl
        "issuer": identity.issuer,
        "audiences": list(identity.audiences),
    }
    values[f"{NAMESPACE}:cdnSigning"] = {
        "activeKey": signing.key_name,
        "publicKeys": {signing.key_name: signing.public_key_pem},
    }
    return values


def stack_reference_name(stack: str) -> str:
    return f"{ORGANIZATION}/{PROJECT}/{stack}"


def _json_default(value: Any) -> Any:
    """Assets and archives by path (the runtime imports handlers from the checkout)."""
    path = getattr(value, "path", None)
    if isinstance(value, pulumi.Archive | pulumi.Asset) and path:
        return {type(value).__name__: str(path)}
    return str(value)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=_json_default))


def resource_dicts(evaluation: Evaluation, created: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """The graph's form of each resource (``__account`` moved out of the outputs)."""
    return [
        {
            "type": r.type,
            "name": r.name,
            "urn": r.urn,
            "parent": r.parent,
            "id": r.id,
            "inputs": _plain(r.inputs),
            "outputs": _plain({k: v for k, v in r.outputs.items() if k != "__account"}),
            "account": r.account,
            "emulated": (r.type, r.name) in created,
        }
        for r in evaluation.resources
    ]


def deploy_environment(
    cloud: EmbeddedCloud,
    env: str = "local",
    graph_path: Path | None = GRAPH_FILE,
    signing: SigningKey | None = None,
    progress: Callable[[str], None] = print,
    config: Mapping[str, Any] | None = None,
) -> Graph:
    """Deploy every service stack of ``env`` into ``cloud``; write and return the graph.

    ``config`` replaces ``Pulumi.<env>.yaml`` (tests use other account ids, so that they
    never collide with another environment running in the same process).
    """
    cloud.start()
    raw_config = _load(env) if config is None else dict(config)
    deploy_role = str(raw_config[f"{NAMESPACE}:deployRoleName"])
    if not cloud.iam_enforced:
        region = str(raw_config.get(f"{NAMESPACE}:region") or cloud.region)
        for bootstrapped in bootstrap_accounts(cloud, env, raw_config, region):
            progress(f"bootstrapped {bootstrapped.stack} ({len(bootstrapped.resources)} resources)")
        cloud.enforce_iam()
    identity = cloud.identity or cloud.create_identity()
    signing = signing or generate_signing_key()
    config = localize_config(raw_config, identity, signing)
    settings = load_settings(env, lambda key: config.get(f"{NAMESPACE}:{key}"))
    graph = Graph(
        endpoint=cloud.endpoint,
        region=settings.region,
        accounts={**settings.accounts, "identity": IDENTITY_ACCOUNT},
        identity=identity.as_dict(),
    )
    secrets = {secret_name(env, "purchase", PURCHASE_SIGNING_SECRET): signing.private_key_pem}
    references: dict[str, dict] = {}
    for service in deploy_order():
        stack = f"{service}-{env}"
        started = time.monotonic()
        mocks = EmulatorMocks(cloud, settings.region, references, secrets, role=deploy_role)
        evaluation = _evaluate(stack, mocks, config)
        graph.stacks[stack] = resource_dicts(evaluation, mocks.created)
        graph.stack_outputs[stack] = _plain(evaluation.outputs)
        references[stack_reference_name(stack)] = graph.stack_outputs[stack]
        custom = [r for r in graph.stacks[stack] if r["type"].startswith("aws:")]
        progress(
            f"deployed {stack:<16} {len(custom):>3} resources "
            f"({len(mocks.created)} in the emulator, {len(custom) - len(mocks.created)} "
            f"recorded) in {time.monotonic() - started:.1f}s"
        )
    # The identity account's owner creates the notification lookup role (identity_lookup.py).
    lookup_role = provision_lookup_role(cloud, graph.stack_outputs.get(f"notification-{env}", {}))
    if lookup_role:
        progress(f"created the address lookup role {lookup_role} in the identity account")
    graph.credentials = {account: cloud.credentials(account) for account in graph.accounts.values()}
    graph.role_credentials = {arn: cloud.role_credentials(arn) for arn in function_role_arns(graph)}
    upload_outputs = graph.stack_outputs.get(f"upload-{env}", {})
    graph.signing = {
        "key_name": signing.key_name,
        "private_key_pem": signing.private_key_pem,
        "public_key_pem": signing.public_key_pem,
        "key_pair_id": (upload_outputs.get("deliveryKeyPairIds") or {}).get(signing.key_name, ""),
    }
    taps = install_taps(graph, cross_account_subscriptions(graph))
    progress(f"installed {len(taps)} cross-account taps (moto workaround: cross_account.py)")
    if graph_path is not None:
        graph.save(graph_path)
    return graph


def bootstrap_accounts(
    cloud: EmbeddedCloud, env: str, config: Mapping[str, Any], region: str
) -> list[Evaluation]:
    """What an administrator does once per account: run the bootstrap program (bootstrap/)."""
    cloud.bootstrap_account(IDENTITY_ACCOUNT)
    evaluations = []
    for service, account in sorted(dict(config[f"{NAMESPACE}:accounts"]).items()):
        cloud.bootstrap_account(str(account))
        stack = bootstrap_stack_name(service, env)
        mocks = EmulatorMocks(cloud, region, role=ROLE_NAME)
        evaluations.append(_evaluate(stack, mocks, config, BOOTSTRAP_PROGRAM))
    return evaluations


def function_role_arns(graph: Graph) -> set[str]:
    """The execution role of every recorded function (workers run as these)."""
    return {
        str(r["inputs"]["role"])
        for resources in graph.stacks.values()
        for r in resources
        if r["type"] == aws_types.FUNCTION and r["inputs"].get("role")
    }


def _load(env: str) -> dict[str, Any]:
    from local.program import load_config

    path = config_file(env)
    if not path.exists():
        raise FileNotFoundError(f"no config for environment {env!r}: {path} does not exist")
    return load_config(path)


def _evaluate(
    stack: str, mocks: EmulatorMocks, config: Mapping[str, Any], program: Path = PROGRAM
) -> Evaluation:
    """Evaluate, surfacing the mocks' own error (Pulumi may wrap or hide it)."""
    try:
        evaluation = evaluate(stack, mocks, config=config, program=program)
    except Exception as error:
        if mocks.errors:
            raise mocks.errors[0] from error
        raise
    if mocks.errors:
        raise mocks.errors[0]
    return evaluation
