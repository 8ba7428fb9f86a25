"""A producer's event topic: encrypted, publishable only by its own functions, subscribable
only by the consumer accounts named in the environment settings, to their own queues."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.context import ServiceContext
from components.iam import Statement, deny_insecure_transport, policy_document
from components.naming import topic_name


@dataclass
class EventTopicArgs:
    context: ServiceContext
    """The producing service's stack; the topic is ``marketplace-<env>-<service>-events``."""
    kms_key_id: pulumi.Input[str]
    """The service key encrypting messages at rest."""
    publisher_role_arns: list[pulumi.Input[str]]
    """Roles of the service's own functions allowed to publish. Required, non-empty."""
    subscriber_accounts: list[str] = field(default_factory=list)
    """Consumer accounts allowed to subscribe (from the event catalogue and settings)."""


class EventTopic(pulumi.ComponentResource):
    """SNS topic (KMS) + policy: publish by own roles, subscribe by consumer accounts, TLS only."""

    def __init__(self, name: str, args: EventTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("marketplace:messaging:EventTopic", name, None, opts)
        if not args.publisher_role_arns:
            raise ValueError(f"{name}: publisher_role_arns must name the roles that publish")
        self._name = name
        self._args = args
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            name=topic_name(args.context.env, args.context.service),
            kms_master_key_id=args.kms_key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.policy = self._create_policy()
        self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn})

    def _create_policy(self) -> aws.sns.TopicPolicy:
        args = self._args
        arn = self.topic.arn
        statements = [
            Statement(
                actions=("sns:Publish",),
                resources=(arn,),
                principals={"AWS": pulumi.Output.all(*args.publisher_role_arns)},
            ),
            deny_insecure_transport((arn,), ("sns:Publish",)),
        ]
        statements += [self._subscribe_statement(arn, a) for a in args.subscriber_accounts]
        if args.subscriber_accounts:
            # A consumer's `./dev preflight` checks the topic exists before its first deploy.
            statements.append(
                Statement(
                    actions=("sns:GetTopicAttributes",),
                    resources=(arn,),
                    principals={
                        "AWS": [f"arn:aws:iam::{a}:root" for a in sorted(args.subscriber_accounts)]
                    },
                )
            )
        return aws.sns.TopicPolicy(
            f"{self._name}-policy",
            arn=arn,
            policy=policy_document(statements),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _subscribe_statement(self, topic_arn: pulumi.Output[str], account: str) -> Statement:
        """``account`` may subscribe only its own SQS queues (in this region): without the
        endpoint condition it could point the topic at any queue, URL or address."""
        return Statement(
            actions=("sns:Subscribe",),
            resources=(topic_arn,),
            principals={"AWS": f"arn:aws:iam::{account}:root"},
            conditions={
                "StringEquals": {"sns:Protocol": "sqs"},
                # sns:Endpoint is a String key: StringLike, not ArnLike.
                "StringLike": {
                    "sns:Endpoint": f"arn:aws:sqs:{self._args.context.region}:{account}:*"
                },
            },
        )
