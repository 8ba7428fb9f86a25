"""PurchaseService: buyers' API, the offers read model, the completion saga and its events.

Buyers hear about their purchases from the notification service, which consumes the
outcome events; purchase keeps no notifications topic of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.alarms import OutcomeRate
from components.event_subscription import EventSubscription
from components.iam import Statement
from components.naming import secret_name
from components.service import ServiceArgs, ServiceComponent
from components.stream_source import StreamSource, StreamSourceArgs
from services.purchase.manifest import DOWNLOAD_URL_TTL_SECONDS, MANIFEST

PURCHASE_INSERTS: dict[str, object] = {
    "eventName": ["INSERT"],
    "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "PURCHASE#"}]}, "sk": {"S": ["PURCHASE"]}}},
}
"""Only new purchases start the completion saga (not offers or idempotency records)."""


@dataclass
class PurchaseServiceArgs(ServiceArgs):
    delivery_domain: pulumi.Input[str]
    """The upload stack's delivery CDN domain (from config or a StackReference)."""
    delivery_key_pair_id: pulumi.Input[str]
    """CloudFront public key id of the active signing key (config or reference)."""


FAILED_RATE = OutcomeRate(bad="PurchasesFailed", good=("PurchasesCompleted",), threshold=0.2)
"""The completion's settlement metrics (services/purchase/completion.py)."""


class PurchaseService(ServiceComponent):
    MANIFEST = MANIFEST

    def __init__(
        self, name: str, args: PurchaseServiceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:services:PurchaseService", name, args, opts)
        self._args = args
        self.signing_secret = self._create_secret()
        self.functions = self._create_functions()
        self.events = self._create_topic(self.functions)
        self.subscriptions = self._create_subscriptions()
        self.completion_source = self._create_completion_source()
        self.api = self._http_api(self.functions)
        self.outputs: dict[str, pulumi.Input[str]] = {
            "apiUrl": self.api.url,
            "eventsTopicArn": self.events.arn,
            "tableName": self.table.name,
        }
        self.register_outputs(self.outputs)

    def _business_alarms(self) -> dict[str, list[aws.cloudwatch.MetricAlarm]]:
        """A completion version that fails purchases it should complete."""
        failed = self._outcome_rate_alarm(
            "completion",
            "failed-rate",
            FAILED_RATE,
            "More than a fifth of the settled purchases failed in five minutes: a bad "
            "completion version (its traffic shift rolls back) or many withdrawals at once.",
        )
        return {"completion": [failed]}

    def _create_secret(self) -> aws.secretsmanager.Secret:
        # The value (the active private key PEM) is put out of band, never through Pulumi
        # state: `aws secretsmanager put-secret-value` (README, "Signing keys").
        return aws.secretsmanager.Secret(
            f"{self._name}-signing-key",
            name=secret_name(self.context.env, self.SERVICE, "cdn-signing-key"),
            description="PEM private key signing CloudFront download URLs (active key)",
            kms_key_id=self.key.arn,
            recovery_window_in_days=30 if self.context.deletion_protection else 0,
            opts=self._child(),
        )

    def _grants(self) -> dict[str, list[Statement]]:
        return super()._grants() | {
            "signing-key:read": [
                Statement(
                    actions=("secretsmanager:GetSecretValue",), resources=(self.signing_secret.arn,)
                ),
                Statement(actions=("kms:Decrypt",), resources=(self.key.arn,)),
            ],
        }

    def _environment(self) -> dict[str, pulumi.Input[str]]:
        return super()._environment() | {
            "SIGNING_KEY_SECRET_ARN": self.signing_secret.arn,
            "SIGNING_KEY_PAIR_ID": self._args.delivery_key_pair_id,
            "DELIVERY_CDN_DOMAIN": self._args.delivery_domain,
            "DOWNLOAD_URL_TTL_SECONDS": str(DOWNLOAD_URL_TTL_SECONDS),
        }

    def _create_subscriptions(self) -> list[EventSubscription]:
        return self._subscribe(self.functions["offers"])

    def _create_completion_source(self) -> StreamSource:
        return StreamSource(
            f"{self._name}-completion",
            StreamSourceArgs(
                context=self.context,
                purpose="completion",
                table=self.table,
                consumer=self.functions["completion"],
                alarm_topic_arn=self.alarms.arn,
                filter_patterns=[PURCHASE_INSERTS],
            ),
            opts=self._child(),
        )
