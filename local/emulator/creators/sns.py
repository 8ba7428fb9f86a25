"""SNS topics, their policies and subscriptions."""

from __future__ import annotations

import uuid

from components import aws_types
from local.emulator.creators.base import (
    Args,
    Creator,
    Inputs,
    Outputs,
    Target,
    bool_text,
    tag_list,
)


def sns_topic(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    sns = target.client("sns", account, region)
    attributes = {}
    if inputs.get("kmsMasterKeyId"):
        attributes["KmsMasterKeyId"] = inputs["kmsMasterKeyId"]
    arn = sns.create_topic(
        Name=inputs.get("name", args.name),
        Attributes=attributes,
        Tags=tag_list(inputs.get("tagsAll")),
    )["TopicArn"]
    return arn, {"arn": arn, "name": inputs.get("name", args.name), "owner": account}


def sns_topic_policy(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    sns = target.client("sns", account, region)
    sns.set_topic_attributes(
        TopicArn=inputs["arn"], AttributeName="Policy", AttributeValue=inputs["policy"]
    )
    return inputs["arn"], {"owner": account}


def sns_subscription(
    target: Target, args: Args, inputs: Inputs, account: str, region: str
) -> tuple[str, Outputs]:
    if inputs["protocol"] != "sqs":
        # E-mail (alarm) subscriptions wait for a person to confirm: nothing to deliver to.
        arn = f"{inputs['topic']}:{uuid.uuid5(uuid.NAMESPACE_URL, args.name)}"
        return arn, {"arn": arn, "pendingConfirmation": True, "ownerId": account}
    # Created with the consumer's (the queue owner's) credentials, as in prod.
    sns = target.client("sns", account, region)
    attributes = {"RawMessageDelivery": bool_text(inputs.get("rawMessageDelivery", False))}
    if inputs.get("filterPolicy"):
        attributes["FilterPolicy"] = inputs["filterPolicy"]
        attributes["FilterPolicyScope"] = inputs.get("filterPolicyScope", "MessageAttributes")
    if inputs.get("redrivePolicy"):
        attributes["RedrivePolicy"] = inputs["redrivePolicy"]
    arn = sns.subscribe(
        TopicArn=inputs["topic"],
        Protocol="sqs",
        Endpoint=inputs["endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return arn, {"arn": arn, "ownerId": account, "pendingConfirmation": False}


CREATORS: dict[str, Creator] = {
    aws_types.TOPIC: sns_topic,
    aws_types.TOPIC_POLICY: sns_topic_policy,
    aws_types.TOPIC_SUBSCRIPTION: sns_subscription,
}
