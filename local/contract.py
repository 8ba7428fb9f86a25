"""Cross-stack event contract of one environment, checked from evaluated stacks.

Each team deploys its own stack, so nothing at deploy time guarantees that a consumer's
subscription points at a topic the producer really creates, for event types it really
publishes, from an account its topic policy admits. This check does, offline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from components import aws_types
from local.program import Evaluation, Resource
from services.contracts.catalogue import SERVICES

TOPIC = aws_types.TOPIC
TOPIC_POLICY = aws_types.TOPIC_POLICY
SUBSCRIPTION = aws_types.TOPIC_SUBSCRIPTION


def check_event_contract(evaluations: Mapping[str, Evaluation]) -> list[str]:
    """Problems found across the stacks of one environment (empty when the contract holds)."""
    topics = _event_topics(evaluations)
    problems: list[str] = []
    for stack, evaluation in sorted(evaluations.items()):
        # A stack's subscriptions to its own topics (SES feedback) cross no stack boundary.
        own_topics = {topic.outputs["arn"] for topic in evaluation.of_type(TOPIC)}
        for subscription in evaluation.of_type(SUBSCRIPTION):
            if subscription.inputs.get("protocol") != "sqs":
                continue
            if subscription.inputs["topic"] in own_topics:
                continue
            problems += _check_subscription(stack, subscription, topics, evaluations)
    return problems


def _event_topics(evaluations: Mapping[str, Evaluation]) -> dict[str, tuple[str, Resource]]:
    """Topic ARN -> (producer stack, topic) for every events topic."""
    found = {}
    for stack, evaluation in evaluations.items():
        for topic in evaluation.of_type(TOPIC):
            if topic.inputs.get("name", "").endswith("-events"):
                found[topic.outputs["arn"]] = (stack, topic)
    return found


def _check_subscription(
    stack: str,
    subscription: Resource,
    topics: dict[str, tuple[str, Resource]],
    evaluations: Mapping[str, Evaluation],
) -> list[str]:
    arn = subscription.inputs["topic"]
    if arn not in topics:
        return [f"{stack}: subscribes to {arn}, which no stack of this environment creates"]
    producer_stack, _ = topics[arn]
    producer = producer_stack.split("-")[0]
    problems = []
    types = set(json.loads(subscription.inputs.get("filterPolicy", "{}")).get("type", []))
    undeclared = sorted(types - set(SERVICES[producer].publishes))
    if undeclared:
        problems.append(
            f"{stack}: filters on {', '.join(undeclared)}, which {producer} does not publish"
        )
    account = subscription.account
    admitted = _subscriber_accounts(evaluations[producer_stack], arn)
    if account not in admitted:
        problems.append(
            f"{stack}: subscribes from account {account} but {producer_stack}'s topic policy "
            f"admits only {', '.join(sorted(admitted)) or 'no account'}; deploy {producer_stack} "
            f"with the same marketplace:accounts settings"
        )
    return problems


def _subscriber_accounts(producer: Evaluation, topic_arn: str) -> set[str]:
    accounts: set[str] = set()
    for policy in producer.of_type(TOPIC_POLICY):
        if policy.inputs.get("arn") != topic_arn:
            continue
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            if statement["Effect"] == "Allow" and "sns:Subscribe" in statement["Action"]:
                principals = statement["Principal"]["AWS"]
                for principal in principals if isinstance(principals, list) else [principals]:
                    accounts.add(principal.split(":")[4])
    return accounts
