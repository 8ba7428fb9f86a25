"""What every building block of one service stack shares: settings, service, account, names."""

from __future__ import annotations

from dataclasses import dataclass

from components.naming import bucket_name, physical_name
from components.settings import Settings


@dataclass(frozen=True)
class ServiceContext:
    """The service being deployed, in its environment and account."""

    settings: Settings
    service: str

    @property
    def env(self) -> str:
        return self.settings.env

    @property
    def account(self) -> str:
        return self.settings.account_of(self.service)

    @property
    def region(self) -> str:
        return self.settings.region

    @property
    def deletion_protection(self) -> bool:
        """Whether stateful resources refuse deletion (``marketplace:deletionProtection``)."""
        return self.settings.deletion_protection

    def name(self, purpose: str) -> str:
        """Deterministic physical name, e.g. ``marketplace-dev-upload-processor``."""
        return physical_name(self.env, self.service, purpose)

    def bucket(self, purpose: str) -> str:
        return bucket_name(self.settings, self.service, purpose)

    def arn(self, service_namespace: str, resource: str) -> str:
        """An ARN in this service's own account and region."""
        return f"arn:aws:{service_namespace}:{self.region}:{self.account}:{resource}"
