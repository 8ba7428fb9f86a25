"""What every service component builds first: key, alarm topic, table, code and layer.

The three service components inherit these steps so each one's constructor reads as the
list of what makes that service different.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from components.alarms import AlarmTopic, AlarmTopicArgs
from components.context import ServiceContext
from components.event_subscription import EventSubscription, EventSubscriptionArgs
from components.function import RUNTIME, Function, FunctionArgs
from components.http_api import HttpApi, HttpApiArgs, Route
from components.iam import Statement
from components.keys import ServiceKey, ServiceKeyArgs
from components.layer import dependencies_layer
from components.naming import topic_arn
from components.packaging import build_bundle
from components.settings import Settings
from components.table import Table, TableArgs
from services.contracts.catalogue import SERVICES, consumers_of


@dataclass
class ServiceArgs:
    settings: Settings
    """The environment's settings (accounts, identity, sizing...). Required."""


class ServiceComponent(pulumi.ComponentResource):
    """Base of UploadService, CatalogService and PurchaseService."""

    SERVICE: ClassVar[str]
    TABLE_INDEXES: ClassVar[tuple[str, ...]] = ()
    TABLE_STREAM: ClassVar[bool] = False

    def __init__(
        self, type_token: str, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None
    ):
        super().__init__(type_token, name, None, opts)
        self._name = name
        self.context = ServiceContext(settings=args.settings, service=self.SERVICE)
        self.key = ServiceKey(f"{name}-key", ServiceKeyArgs(self.context), opts=self._child())
        self.alarms = AlarmTopic(
            f"{name}-alarms", AlarmTopicArgs(self.context, self.key.arn), opts=self._child()
        )
        self.table = Table(
            f"{name}-table",
            TableArgs(self.context, indexes=self.TABLE_INDEXES, stream=self.TABLE_STREAM),
            opts=self._child(),
        )
        self.bundle = build_bundle(self.SERVICE)
        self.layer = aws.lambda_.LayerVersion(
            f"{name}-dependencies",
            layer_name=self.context.name("dependencies"),
            code=dependencies_layer(),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=["arm64"],
            opts=self._child(),
        )

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _function(
        self,
        purpose: str,
        handler: str,
        statements: list[Statement],
        environment: dict[str, pulumi.Input[str]] | None = None,
        **sizing: int,
    ) -> Function:
        """A function of this service with its table in ``TABLE_NAME`` and the shared layer."""
        return Function(
            f"{self._name}-{purpose}",
            FunctionArgs(
                context=self.context,
                purpose=purpose,
                handler=handler,
                code=self.bundle.archive(),
                alarm_topic_arn=self.alarms.arn,
                statements=statements,
                environment={"TABLE_NAME": self.table.name, **(environment or {})},
                layers=[self.layer.arn],
                **sizing,
            ),
            opts=self._child(),
        )

    def _subscribe(self, consumer: Function) -> list[EventSubscription]:
        """One subscription (queue, DLQ, filter) per producer this service consumes from."""
        return [
            EventSubscription(
                f"{self._name}-{producer}-events",
                EventSubscriptionArgs(
                    context=self.context,
                    producer=producer,
                    topic_arn=arn,
                    event_types=types,
                    consumer=consumer,
                    alarm_topic_arn=self.alarms.arn,
                ),
                opts=self._child(),
            )
            for producer, (arn, types) in self.consumed_topics().items()
        ]

    def _http_api(
        self,
        function: Function,
        routes: list[str],
        *,
        authenticated: bool = True,
        **limits: float,
    ) -> HttpApi:
        """The service's HTTP API: every route (``"GET /path"``) served by ``function``."""
        return HttpApi(
            f"{self._name}-http",
            HttpApiArgs(
                context=self.context,
                routes=[
                    Route(method, path, function, authenticated)
                    for method, path in (key.split(" ", 1) for key in routes)
                ],
                **limits,  # type: ignore[arg-type]
            ),
            opts=self._child(),
        )

    def own_topic_arn(self) -> str:
        """This service's events topic ARN (deterministic, so functions can be made first)."""
        return topic_arn(self.context.settings, self.SERVICE)

    def publish_statements(self) -> list[Statement]:
        """What a function needs to publish to this service's encrypted events topic."""
        return [
            Statement(actions=("sns:Publish",), resources=(self.own_topic_arn(),)),
            Statement(actions=("kms:GenerateDataKey", "kms:Decrypt"), resources=(self.key.arn,)),
        ]

    def subscriber_accounts(self) -> list[str]:
        """Accounts of the services the catalogue says consume this service's events."""
        settings = self.context.settings
        return sorted({settings.account_of(c) for c in consumers_of(self.SERVICE)})

    def consumed_topics(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Producer -> (topic ARN, event types) for every subscription of this service."""
        spec = SERVICES[self.SERVICE]
        return {
            producer: (topic_arn(self.context.settings, producer), types)
            for producer, types in sorted(spec.consumes.items())
        }
