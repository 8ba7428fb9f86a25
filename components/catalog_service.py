"""CatalogService: the public, read-only search API and the indexer of image and purchase events."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.event_subscription import EventSubscription
from components.service import ServiceArgs, ServiceComponent
from services.catalog.manifest import MANIFEST


@dataclass
class CatalogServiceArgs(ServiceArgs):
    """Settings only: producers' topics are computed from the environment."""


INDEXER_BATCH_SIZE = 2
"""Events per indexer invocation: a published image converges ~160 search entries, so ten
at once came close to the 30 s timeout (and passed it in the loaded local environment, where
a timed-out batch is redelivered whole); two keep each invocation well inside it."""


class CatalogService(ServiceComponent):
    MANIFEST = MANIFEST

    def __init__(
        self, name: str, args: CatalogServiceArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("marketplace:services:CatalogService", name, args, opts)
        self.functions = self._create_functions()
        self.subscriptions = self._create_subscriptions()
        self.api = self._http_api(self.functions)
        self.outputs: dict[str, pulumi.Input[str]] = {
            "apiUrl": self.api.url,
            "tableName": self.table.name,
        }
        self.register_outputs(self.outputs)

    def _create_subscriptions(self) -> list[EventSubscription]:
        return self._subscribe(self.functions["indexer"], batch_size=INDEXER_BATCH_SIZE)
