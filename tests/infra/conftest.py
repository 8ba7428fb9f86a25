"""Evaluate the real program under mocks: one registry of resources per stack.

The six committed stacks are evaluated once per session (evaluation is deterministic and
takes ~0.2 s each); tests that change config evaluate a fresh program with ``evaluate_with``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from local.fake_cloud import FakeCloud
from local.preview import referenced_services
from local.program import Evaluation, Resource, config_file_for, evaluate, load_config
from services.contracts.catalogue import SERVICES
from services.contracts.manifest import load_manifest

ENVIRONMENTS = ("dev", "prod")
STACKS = tuple(f"{service}-{env}" for env in ENVIRONMENTS for service in SERVICES)
LAMBDA_STACKS = tuple(s for s in STACKS if load_manifest(s.split("-")[0]).functions)
"""Stacks of services that run functions (all but web): roles, table, alarms, an HTTP API."""


def upload_reference(env: str) -> str:
    return f"organization/marketplace/upload-{env}"


def stack_references(service: str, env: str) -> dict[str, dict[str, Any]]:
    """Outputs of the committed stacks ``service``'s stack reads by reference."""
    return {
        f"organization/marketplace/{name}-{env}": evaluated(f"{name}-{env}").outputs
        for name in referenced_services(service)
    }


@cache
def evaluated(stack: str) -> Evaluation:
    """The committed stack, evaluated once (purchase reads upload's outputs by reference)."""
    service, env = stack.split("-")
    outputs = stack_references(service, env)
    return evaluate(stack, FakeCloud(stack_outputs=outputs))


def evaluate_with(stack: str, change: Callable[[dict[str, Any]], None]) -> Evaluation:
    """Evaluate ``stack`` with its environment's config changed by ``change``."""
    config = json.loads(json.dumps(load_config(config_file_for(stack))))
    change(config)
    service, env = stack.split("-")
    outputs = stack_references(service, env)
    return evaluate(stack, FakeCloud(stack_outputs=outputs), config=config)


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> Evaluation:
    return evaluated(request.param)


def policy_documents(evaluation: Evaluation) -> list[tuple[Resource, dict[str, Any]]]:
    """Every IAM, topic, queue, bucket and key policy of the stack, parsed."""
    documents = []
    for resource in evaluation.resources:
        for key in ("policy", "assumeRolePolicy"):
            raw = resource.inputs.get(key)
            if isinstance(raw, str) and raw.startswith("{"):
                documents.append((resource, json.loads(raw)))
    return documents


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    body = document["Statement"]
    return body if isinstance(body, list) else [body]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
