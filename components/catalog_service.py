"""CatalogService: the public, read-only search API and the indexer of image and purchase events."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.event_subscription import EventSubscription, EventSubscriptionArgs
from components.function import Function
from components.http_api import HttpApi, HttpApiArgs, Route
from components.service import ServiceArgs, ServiceComponent


@dataclass
class CatalogServiceArgs(ServiceArgs):
    """Settings only: producers' topics are computed from the environment."""


class CatalogService(ServiceComponent):
    SERVICE = "catalog"
    TABLE_INDEXES = ("gsi1", "gsi2")

    def __init__(
        self, name: str, args: CatalogServiceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:services:CatalogService", name, args, opts)
        self.api_function, self.indexer = self._create_functions()
        self.subscriptions = self._create_subscriptions()
        self.api = self._create_api()
        self.register_outputs({"apiUrl": self.api.url, "tableName": self.table.name})

    def _create_functions(self) -> tuple[Function, Function]:
        api = self._function(
            "api", "services.catalog.api.lambda_handler", [self.table.access(write=False)]
        )
        indexer = self._function(
            "indexer",
            "services.catalog.indexer.lambda_handler",
            [self.table.access(write=True)],
            timeout_seconds=30,
        )
        return api, indexer

    def _create_subscriptions(self) -> list[EventSubscription]:
        return [
            EventSubscription(
                f"{self._name}-{producer}-events",
                EventSubscriptionArgs(
                    context=self.context,
                    producer=producer,
                    topic_arn=arn,
                    event_types=types,
                    consumer=self.indexer,
                    alarm_topic_arn=self.alarms.arn,
                ),
                opts=self._child(),
            )
            for producer, (arn, types) in self.consumed_topics().items()
        ]

    def _create_api(self) -> HttpApi:
        fn = self.api_function
        return HttpApi(
            f"{self._name}-http",
            HttpApiArgs(
                context=self.context,
                routes=[
                    Route("GET", "/images", fn, authenticated=False),
                    Route("GET", "/images/{id}", fn, authenticated=False),
                    Route("GET", "/tags", fn, authenticated=False),
                ],
                # Anonymous and cacheable: a higher steady rate than the write APIs.
                throttling_burst=500,
                throttling_rate=250.0,
            ),
            opts=self._child(),
        )
