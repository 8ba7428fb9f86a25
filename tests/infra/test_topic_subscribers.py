"""A producer's topic lets each consumer account subscribe only its own SQS queues."""

from __future__ import annotations

import json

import pytest

from components import aws_types
from components.settings import load_settings
from local.program import REPO_ROOT, load_config
from services.contracts.catalogue import consumers_of
from tests.infra.conftest import evaluated

TOPIC_POLICY = aws_types.TOPIC_POLICY


@pytest.mark.parametrize("stack_name", ["upload-dev", "purchase-dev", "upload-prod"])
def test_each_consumer_account_may_subscribe_only_its_own_queues(stack_name: str) -> None:
    service, env = stack_name.split("-")
    config = load_config(REPO_ROOT / f"Pulumi.{env}.yaml")
    settings = load_settings(env, lambda k: config.get(f"marketplace:{k}"))
    # GIVEN the producer's events topic policy
    [policy] = [
        p
        for p in evaluated(stack_name).of_type(TOPIC_POLICY)
        if p.inputs["arn"].endswith(f"-{service}-events")
    ]
    document = json.loads(policy.inputs["policy"])
    subscribes = [s for s in document["Statement"] if s["Action"] == ["sns:Subscribe"]]
    # THEN one statement per consumer account, each limited to SQS endpoints in that account
    expected = {settings.account_of(c) for c in consumers_of(service)}
    assert {s["Principal"]["AWS"] for s in subscribes} == {
        f"arn:aws:iam::{a}:root" for a in expected
    }
    for statement in subscribes:
        account = statement["Principal"]["AWS"].split(":")[4]
        assert statement["Effect"] == "Allow"
        assert statement["Condition"]["StringEquals"] == {"sns:Protocol": "sqs"}
        assert statement["Condition"]["StringLike"] == {
            "sns:Endpoint": f"arn:aws:sqs:{settings.region}:{account}:*"
        }
