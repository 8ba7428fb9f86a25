"""NotificationService: e-mails buyers and photographers about outcome events, through SES.

Consumes purchase and image outcome events like every consumer (``EventSubscription``), sends
from the environment's sender through its configuration set, whose bounce and complaint events
come back through an encrypted SNS topic and a queue to the ``feedback`` function. Addresses are
read at send time from the identity account's Cognito pool through a lookup role there
(``marketplace:notification``); the stack outputs the role ARN that role must trust.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.event_subscription import EventSubscription
from components.iam import Statement, deny_insecure_transport, policy_document, stable_json
from components.keys import key_policy
from components.service import ServiceArgs, ServiceComponent
from components.settings import Notification, SettingsError, key
from components.work_queue import QueueSender, WorkQueue, WorkQueueArgs
from services.notification.manifest import LOOKUP_ADDRESS, MANIFEST, SEND_MAIL

FEEDBACK_EVENTS = ("bounce", "complaint")
"""SES event types the configuration set publishes: what the feedback function records."""


@dataclass
class NotificationServiceArgs(ServiceArgs):
    """Settings only: mail settings come from ``marketplace:notification``."""


class NotificationService(ServiceComponent):
    MANIFEST = MANIFEST

    def __init__(
        self, name: str, args: NotificationServiceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        self.mail = mail_settings(args.settings.notification)
        self.pool_region, self.pool_id = args.settings.user_pool()
        super().__init__("marketplace:services:NotificationService", name, args, opts)
        self.functions = self._create_functions()
        self.subscriptions = self._create_subscriptions()
        self.feedback_key, self.feedback_topic = self._create_feedback_topic()
        self.configuration_set, self.event_destination = self._create_configuration_set()
        self.feedback_queue = self._create_feedback_queue()
        self.sender_identity = self._create_sender_identity()
        self.api = self._http_api(self.functions)
        self.outputs: dict[str, pulumi.Input[str]] = {
            "apiUrl": self.api.url,
            "tableName": self.table.name,
            "configurationSet": self.configuration_set.name,
            "feedbackTopicArn": self.feedback_topic.arn,
            "lookupRoleArn": self.lookup_role_arn(),
            "lookupRoleTrusts": self.functions["sender"].role.arn,
            "userPoolArn": self.user_pool_arn(),
        }
        self.register_outputs(self.outputs)

    # -- what the manifest's names mean here ----------------------------------------------

    def lookup_role_arn(self) -> str:
        return self.mail.lookup_role_arn

    def user_pool_arn(self) -> str:
        account = self.mail.identity_account
        return f"arn:aws:cognito-idp:{self.pool_region}:{account}:userpool/{self.pool_id}"

    def _grants(self) -> dict[str, list[Statement]]:
        return super()._grants() | {
            SEND_MAIL: [
                Statement(
                    actions=("ses:SendEmail",),
                    resources=(
                        self.context.arn("ses", f"identity/{self.mail.identity}"),
                        self.context.arn("ses", f"configuration-set/{self.mail.configuration_set}"),
                    ),
                    conditions={"StringEquals": {"ses:FromAddress": self.mail.sender}},
                )
            ],
            # Cognito has no resource policies: the identity account's lookup role is the
            # only way in, and it allows cognito-idp:AdminGetUser on the one pool.
            LOOKUP_ADDRESS: [
                Statement(actions=("sts:AssumeRole",), resources=(self.lookup_role_arn(),))
            ],
        }

    def _environment(self) -> dict[str, pulumi.Input[str]]:
        origins = self.context.settings.web_origins
        return super()._environment() | {
            "MAIL_SENDER": self.mail.sender,
            "MAIL_CONFIGURATION_SET": self.mail.configuration_set,
            "WEB_ORIGIN": origins[0] if origins else "",
            "USER_POOL_ID": self.pool_id,
            "USER_POOL_REGION": self.pool_region,
            "LOOKUP_ROLE_ARN": self.lookup_role_arn(),
        }

    # -- resources ------------------------------------------------------------------------

    def _create_subscriptions(self) -> list[EventSubscription]:
        return self._subscribe(self.functions["sender"])

    def _create_feedback_topic(self) -> tuple[aws.kms.Key, aws.sns.Topic]:
        # Its own key: SES must use the key to publish, which the service key only allows
        # CloudWatch to do.
        feedback_key = aws.kms.Key(
            f"{self._name}-feedback-key",
            description=f"{self.context.name('mail-feedback')}: SES bounces and complaints",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=feedback_key_policy(self.context.account),
            opts=self._child(),
        )
        topic = aws.sns.Topic(
            f"{self._name}-feedback",
            name=self.context.name("mail-feedback"),
            kms_master_key_id=feedback_key.arn,
            opts=self._child(),
        )
        configuration_set_arn = self.context.arn(
            "ses", f"configuration-set/{self.mail.configuration_set}"
        )
        aws.sns.TopicPolicy(
            f"{self._name}-feedback-policy",
            arn=topic.arn,
            policy=policy_document(
                [
                    Statement(
                        actions=("sns:Publish",),
                        resources=(topic.arn,),
                        principals={"Service": "ses.amazonaws.com"},
                        conditions={
                            "StringEquals": {"aws:SourceAccount": self.context.account},
                            "ArnEquals": {"aws:SourceArn": configuration_set_arn},
                        },
                    ),
                    deny_insecure_transport((topic.arn,), ("sns:Publish",)),
                ]
            ),
            opts=self._child(),
        )
        return feedback_key, topic

    def _create_configuration_set(
        self,
    ) -> tuple[aws.ses.ConfigurationSet, aws.ses.EventDestination]:
        configuration_set = aws.ses.ConfigurationSet(
            f"{self._name}-configuration-set",
            name=self.mail.configuration_set,
            delivery_options=aws.ses.ConfigurationSetDeliveryOptionsArgs(tls_policy="Require"),
            opts=self._child(),
        )
        destination = aws.ses.EventDestination(
            f"{self._name}-feedback-destination",
            name="bounces-and-complaints",
            configuration_set_name=configuration_set.name,
            enabled=True,
            matching_types=list(FEEDBACK_EVENTS),
            sns_destination=aws.ses.EventDestinationSnsDestinationArgs(
                topic_arn=self.feedback_topic.arn
            ),
            opts=self._child(),
        )
        return configuration_set, destination

    def _create_feedback_queue(self) -> WorkQueue:
        queue = WorkQueue(
            f"{self._name}-feedback-queue",
            WorkQueueArgs(
                context=self.context,
                purpose="mail-feedback",
                consumer=self.functions["feedback"],
                sender=QueueSender("sns.amazonaws.com", self.feedback_topic.arn),
                alarm_topic_arn=self.alarms.arn,
            ),
            opts=self._child(),
        )
        aws.sns.TopicSubscription(
            f"{self._name}-feedback-subscription",
            topic=self.feedback_topic.arn,
            protocol="sqs",
            endpoint=queue.arn,
            raw_message_delivery=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[queue.policy]),
        )
        return queue

    def _create_sender_identity(self) -> aws.ses.EmailIdentity | aws.ses.DomainIdentity:
        """The SES identity mail is sent from: an address (verified by the link SES mails
        it) or a domain (verified by DNS: its verification token is the stack's to publish)."""
        identity = self.mail.identity
        if "@" in identity:
            return aws.ses.EmailIdentity(f"{self._name}-sender", email=identity, opts=self._child())
        return aws.ses.DomainIdentity(f"{self._name}-sender", domain=identity, opts=self._child())


def mail_settings(notification: Notification | None) -> Notification:
    if notification is None:
        raise SettingsError(
            f"missing config key {key('notification')} (sender, configurationSet, "
            "identityAccount: set it in Pulumi.<env>.yaml for the notification service)"
        )
    return notification


def feedback_key_policy(account: str) -> str:
    """The service key's policy, plus SES using the key to publish to the feedback topic."""
    policy = json.loads(key_policy(account))
    policy["Statement"].append(
        {
            "Sid": "SesPublishesFeedbackToEncryptedTopic",
            "Effect": "Allow",
            "Principal": {"Service": "ses.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        }
    )
    return stable_json(policy)


def lookup_role_documents(trusted_role_arn: str, user_pool_arn: str) -> tuple[str, str]:
    """(trust, policy) of the identity account's lookup role (its owner creates it there):
    assumable only by the notification sender's role, allowed only AdminGetUser on one pool."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": trusted_role_arn},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "cognito-idp:AdminGetUser", "Resource": user_pool_arn}
        ],
    }
    return stable_json(trust), stable_json(policy)
