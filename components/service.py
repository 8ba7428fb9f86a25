"""What every service component builds first: key, alarm topic, table, code and layer.

The three service components inherit these steps so each one's constructor reads as the
list of what makes that service different. What a service is (functions, their sizing,
environment names and access, routes, table indexes) comes from its manifest
(``services/<service>/manifest.py``); a component only says how each named grant and
environment variable is made of its resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from components.alarms import AlarmTopic, AlarmTopicArgs, OutcomeRate, outcome_rate_alarm
from components.context import ServiceContext
from components.dashboard import ServiceDashboard, observed
from components.deployment import TrafficShifting, TrafficShiftingArgs
from components.event_subscription import EventSubscription, EventSubscriptionArgs
from components.event_topic import EventTopic, EventTopicArgs
from components.function import RUNTIME, Function, FunctionArgs
from components.http_api import HttpApi, HttpApiArgs, Route
from components.iam import Statement
from components.keys import ServiceKey, ServiceKeyArgs
from components.layer import dependencies_layer
from components.naming import topic_arn
from components.observability import monitoring_link
from components.packaging import build_bundle
from components.settings import Settings
from components.table import Table, TableArgs
from services.contracts.catalogue import SERVICES, consumers_of
from services.contracts.manifest import (
    PUBLISH_EVENTS,
    TABLE_READ,
    TABLE_WRITE,
    FunctionSpec,
    ServiceManifest,
)


@dataclass
class ServiceArgs:
    settings: Settings
    """The environment's settings (accounts, identity, sizing...). Required."""


class ServiceComponent(pulumi.ComponentResource):
    """Base of UploadService, CatalogService and PurchaseService."""

    MANIFEST: ClassVar[ServiceManifest]
    SERVICE: ClassVar[str]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]
        cls.SERVICE = cls.MANIFEST.name

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
            TableArgs(
                self.context,
                indexes=self.MANIFEST.table.indexes,
                stream=self.MANIFEST.table.stream,
            ),
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

    def register_outputs(self, outputs: Mapping[str, Any]) -> None:
        """Every service component ends with this call, so its dashboard and its link to the
        monitoring account are made here, from what the component built: a new service gets
        them without asking, and they can only show what the stack has."""
        self.dashboard = ServiceDashboard(
            f"{self._name}-observability",
            observed(self.context, vars(self).values(), self.MANIFEST.routes),
            opts=self._child(),
        )
        self.monitoring_link = monitoring_link(self._name, self.context, self._child())
        super().register_outputs(outputs)

    def _create_functions(self) -> dict[str, Function]:
        """Every function of the manifest, by purpose, in manifest order (and their shifting)."""
        grants = self._grants()
        environment = self._environment()
        functions = {
            spec.purpose: self._function(spec, grants, environment)
            for spec in self.MANIFEST.functions
        }
        self.business_alarms = self._business_alarms()
        self.traffic_shifting = self._create_traffic_shifting(functions)
        return functions

    def _business_alarms(self) -> dict[str, list[aws.cloudwatch.MetricAlarm]]:
        """Purpose -> alarms on what a bad version of that function would break for the
        business. They page like every alarm and stop the function's traffic shift. Default:
        none; a service component overrides this."""
        return {}

    def _create_traffic_shifting(self, functions: Mapping[str, Function]) -> TrafficShifting | None:
        """CodeDeploy groups moving the ``live`` aliases, unless the service deploys AllAtOnce."""
        if not any(f.shifted_by_codedeploy for f in functions.values()):
            return None
        return TrafficShifting(
            f"{self._name}-shifting",
            TrafficShiftingArgs(
                self.context, list(functions.values()), business_alarms=self.business_alarms
            ),
            opts=self._child(),
        )

    def _outcome_rate_alarm(
        self, purpose: str, what: str, rate: OutcomeRate, description: str
    ) -> aws.cloudwatch.MetricAlarm:
        """A business alarm of the function ``purpose``: ``marketplace-<env>-<svc>-<what>``."""
        return outcome_rate_alarm(
            f"{self._name}-{what}-alarm",
            alarm_name=self.context.name(what),
            description=description,
            rate=rate,
            dimensions={"service": self.context.service},
            topic_arn=self.alarms.arn,
            parent=self,
        )

    def _function(
        self,
        spec: FunctionSpec,
        grants: Mapping[str, list[Statement]],
        environment: Mapping[str, pulumi.Input[str]],
    ) -> Function:
        """A function of this service with its table in ``TABLE_NAME`` and the shared layer."""
        where = f"{self._name}: function {spec.purpose!r}"
        unknown = [g for g in spec.access if g not in grants]
        if unknown:
            raise ValueError(f"{where}: unknown access {unknown}; known: {sorted(grants)}")
        missing = [n for n in spec.environment if n not in environment]
        if missing:
            raise ValueError(f"{where}: no value for environment {missing}")
        return Function(
            f"{self._name}-{spec.purpose}",
            FunctionArgs(
                context=self.context,
                purpose=spec.purpose,
                handler=spec.handler,
                code=self.bundle.archive(),
                alarm_topic_arn=self.alarms.arn,
                statements=[s for grant in spec.access for s in grants[grant]],
                environment={
                    "TABLE_NAME": self.table.name,
                    **{name: environment[name] for name in spec.environment},
                },
                layers=[self.layer.arn],
                memory_mb=spec.sizing.memory_mb,
                timeout_seconds=spec.sizing.timeout_seconds,
                reserved_concurrency=spec.sizing.reserved_concurrency,
            ),
            opts=self._child(),
        )

    def _grants(self) -> dict[str, list[Statement]]:
        """Named access a manifest may give a function; services add their own names."""
        grants = {
            TABLE_READ: [self.table.access(write=False)],
            TABLE_WRITE: [self.table.access(write=True)],
        }
        if SERVICES[self.SERVICE].publishes:
            grants[PUBLISH_EVENTS] = self.publish_statements()
        return grants

    def _environment(self) -> dict[str, pulumi.Input[str]]:
        """Values of the environment names a manifest may list; services add their own."""
        if SERVICES[self.SERVICE].publishes:
            return {"EVENTS_TOPIC_ARN": self.own_topic_arn()}
        return {}

    def publisher_role_arns(self, functions: Mapping[str, Function]) -> list[pulumi.Input[str]]:
        """Roles of the functions the manifest lets publish: the topic policy admits them."""
        return [
            functions[spec.purpose].role.arn
            for spec in self.MANIFEST.functions
            if PUBLISH_EVENTS in spec.access
        ]

    def _subscribe(self, consumer: Function, batch_size: int = 10) -> list[EventSubscription]:
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
                    batch_size=batch_size,
                ),
                opts=self._child(),
            )
            for producer, (arn, types) in self.consumed_topics().items()
        ]

    def _create_topic(self, functions: Mapping[str, Function]) -> EventTopic:
        """The producer's events topic: its publishing functions and its consumers' accounts."""
        return EventTopic(
            f"{self._name}-events",
            EventTopicArgs(
                context=self.context,
                kms_key_id=self.key.arn,
                publisher_role_arns=self.publisher_role_arns(functions),
                subscriber_accounts=self.subscriber_accounts(),
            ),
            opts=self._child(),
        )

    def _http_api(self, functions: Mapping[str, Function]) -> HttpApi:
        """The service's HTTP API: the manifest's routes, each to the function it names."""
        return HttpApi(
            f"{self._name}-http",
            HttpApiArgs(
                context=self.context,
                routes=[Route(r, functions[r.function]) for r in self.MANIFEST.routes],
                throttling=self.MANIFEST.throttling,
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
