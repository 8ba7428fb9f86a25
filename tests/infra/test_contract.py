"""Across the stacks of an environment, every subscription matches a producer's topic."""

from __future__ import annotations

import json

import pytest

from components import aws_types
from local.contract import check_event_contract
from services.contracts.catalogue import SERVICES
from tests.infra.conftest import ENVIRONMENTS, evaluate_with, evaluated


def environment(env: str) -> dict:
    return {f"{s}-{env}": evaluated(f"{s}-{env}") for s in SERVICES}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_subscription_targets_a_producer_topic_for_declared_types(env: str) -> None:
    assert check_event_contract(environment(env)) == []


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_subscriptions_are_raw_filtered_and_made_from_the_consumer_account(env: str) -> None:
    for service, spec in SERVICES.items():
        stack = evaluated(f"{service}-{env}")
        own_topics = {t.outputs["arn"] for t in stack.of_type(aws_types.TOPIC)}
        subscriptions = [
            s
            for s in stack.of_type(aws_types.TOPIC_SUBSCRIPTION)
            if s.inputs["protocol"] == "sqs" and s.inputs["topic"] not in own_topics
        ]
        assert len(subscriptions) == len(spec.consumes), service
        for subscription in subscriptions:
            assert subscription.inputs["rawMessageDelivery"] is True, subscription.urn
            assert subscription.inputs["filterPolicyScope"] == "MessageAttributes"
            producer = subscription.inputs["topic"].split(":")[5].split("-")[2]
            assert json.loads(subscription.inputs["filterPolicy"]) == {
                "type": sorted(spec.consumes[producer])
            }
            assert (
                subscription.account
                == stack.of_type(aws_types.AWS_PROVIDER)[0].outputs["__account"]
            )


def test_queue_policy_admits_only_the_producer_topic() -> None:
    stack = evaluated("catalog-dev")
    for policy in stack.of_type(aws_types.QUEUE_POLICY):
        [allow] = [
            s for s in json.loads(policy.inputs["policy"])["Statement"] if s["Effect"] == "Allow"
        ]
        assert allow["Principal"] == {"Service": "sns.amazonaws.com"}
        source = allow["Condition"]["ArnEquals"]["aws:SourceArn"]
        assert source.startswith("arn:aws:sns:eu-west-1:")
        assert source.endswith(("-upload-events", "-purchase-events"))


def test_producer_topic_admits_exactly_its_consumer_accounts() -> None:
    upload = evaluated("upload-dev")
    [policy] = upload.of_type(aws_types.TOPIC_POLICY)
    statements = json.loads(policy.inputs["policy"])["Statement"]
    consumers = [f"arn:aws:iam::{a}:root" for a in ("222222222222", "333333333333", "777777777777")]
    subscribers = [s["Principal"]["AWS"] for s in statements if "sns:Subscribe" in s["Action"]]
    assert sorted(subscribers) == consumers  # one statement per account: its own queues only
    [read] = [s for s in statements if s["Action"] == ["sns:GetTopicAttributes"]]
    assert read["Principal"]["AWS"] == consumers  # what `./dev preflight` reads
    [publish] = [s for s in statements if s["Effect"] == "Allow" and "sns:Publish" in s["Action"]]
    roles = {r.outputs["arn"] for r in upload.of_type(aws_types.ROLE)}
    assert set(publish["Principal"]["AWS"]) == roles


def test_consumer_deployed_with_drifted_accounts_is_reported() -> None:
    # GIVEN catalog-dev deployed with a catalog account the upload stack does not know
    drifted = evaluate_with(
        "catalog-dev", lambda c: c["marketplace:accounts"].update(catalog="999999999999")
    )
    stacks = {**environment("dev"), "catalog-dev": drifted}
    # WHEN the contract is checked / THEN the message names both stacks and the fix
    problems = check_event_contract(stacks)
    assert any(
        "catalog-dev: subscribes from account 999999999999 but upload-dev's topic policy "
        "admits only "
        "222222222222, 333333333333" in p
        for p in problems
    ), problems


def test_subscription_to_a_topic_nobody_creates_is_reported() -> None:
    stacks = {k: v for k, v in environment("dev").items() if k != "purchase-dev"}
    problems = check_event_contract(stacks)
    assert problems == [
        f"{consumer}: subscribes to "
        "arn:aws:sns:eu-west-1:333333333333:marketplace-dev-purchase-events, "
        "which no stack of this environment creates"
        for consumer in ("catalog-dev", "notification-dev")
    ]
