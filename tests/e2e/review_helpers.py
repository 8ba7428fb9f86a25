"""Moderation review over the running environment: a Rekognition outage (IAM takes the
processor's Rekognition grant away, so every call fails as an outage would), admins and the
circuit's state, shared by the review and fault-injection end-to-end tests."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from local.demo.client import Marketplace, User, wait_for
from local.demo.samples import SampleImage
from local.runtime.environment import LocalEnvironment
from local.runtime.system import function_specs
from local.users import admin_group, operator_grant, sign_in_user
from services.upload.circuit import CLOSED
from tests.services.upload.images import encode, natural_image

PROCESSOR = "marketplace-local-upload-processor"


def photo(seed: int) -> SampleImage:
    return SampleImage(
        f"review-{seed}.jpg",
        encode(natural_image(320, 240, seed=seed), "JPEG", quality=85),
        "image/jpeg",
        (320, 240),
    )


def sign_in_admin(env: LocalEnvironment, name: str) -> User:
    """A user in the environment's admin group (the operator adds them, as in AWS)."""
    tokens = sign_in_user(env.cloud, name, group=operator_grant(env.cloud, admin_group()))
    return User(name, tokens["id_token"], tokens.get("sub", ""))


@contextmanager
def rekognition_outage(env: LocalEnvironment) -> Iterator[None]:
    """Every Rekognition call of the processor fails (AccessDenied) until the block ends."""
    assert env.graph is not None
    role_arn = function_specs(env.graph)[PROCESSOR].role_arn
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    iam = env.cloud.client("iam", account)  # the platform role: the account's administrator
    documents = {}
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        document = document if isinstance(document, dict) else json.loads(document)
        if any(_grants_rekognition(s) for s in document["Statement"]):
            documents[policy] = document
    assert documents, "the processor has no Rekognition grant"
    for policy, document in documents.items():
        kept = [s for s in document["Statement"] if not _grants_rekognition(s)]
        trimmed = {**document, "Statement": kept}
        iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(trimmed))
    try:
        yield
    finally:
        for policy, document in documents.items():
            iam.put_role_policy(
                RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(document)
            )


def _grants_rekognition(statement: dict[str, Any]) -> bool:
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    return any(str(a).startswith("rekognition:") for a in actions)


def circuit(env: LocalEnvironment) -> dict[str, Any]:
    """The circuit item in upload's table (empty: never written, i.e. closed)."""
    graph = env.graph
    assert graph is not None
    item = (
        graph.client("dynamodb", graph.accounts["upload"])
        .get_item(
            TableName=graph.stack_outputs["upload-local"]["tableName"],
            Key={"pk": {"S": "CIRCUIT#rekognition"}, "sk": {"S": "CIRCUIT"}},
            ConsistentRead=True,
        )
        .get("Item", {})
    )
    return {k: next(iter(v.values())) for k, v in item.items()}


def close_circuit(env: LocalEnvironment, market: Marketplace, photographer: User) -> str:
    """After an outage: wait out the cool-down, then one upload probes and closes the circuit
    (so later tests publish as usual). Returns the probe upload's id (PUBLISHED)."""
    state = circuit(env)
    if state.get("circuitState", CLOSED) != CLOSED:
        time.sleep(max(0.0, float(state.get("openUntil", 0)) - time.time()) + 1)
    probe = market.upload(photographer, photo(999), "Circuit probe", ["probe"])
    processed = market.wait_until_processed(photographer, probe)
    assert processed["status"] == "PUBLISHED", processed
    wait_for("circuit closed", lambda: circuit(env), lambda c: c.get("circuitState") == CLOSED)
    return probe


@pytest.fixture
def circuit_closed_afterwards(market: Marketplace, local_env: LocalEnvironment) -> Iterator[None]:
    """Whatever the test's outcome, later tests find the circuit closed (an open one would
    send their uploads to review)."""
    yield
    if circuit(local_env).get("circuitState", CLOSED) != CLOSED:
        close_circuit(local_env, market, market.sign_in(f"circuit-closer-{uuid.uuid4().hex[:6]}"))
