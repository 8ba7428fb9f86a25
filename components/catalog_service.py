"""CatalogService: the public, read-only search API and the indexer of image and purchase events."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.event_subscription import EventSubscription
from components.function import Function
from components.http_api import HttpApi
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
        return self._subscribe(self.indexer)

    def _create_api(self) -> HttpApi:
        return self._http_api(
            self.api_function,
            ["GET /images", "GET /images/{id}", "GET /tags"],
            authenticated=False,
            # Anonymous and cacheable: a higher steady rate than the write APIs.
            throttling_burst=500,
            throttling_rate=250.0,
        )
