"""Deterministic physical names, so a consumer can compute a producer's ARNs from config alone.

Every name carries the environment and the service: two environments can share an account
without collisions, and an ARN in a log line says whose resource it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.settings import MONITORING, Settings
from services.contracts.catalogue import SERVICES

PREFIX = "marketplace"
STACK_NAME = re.compile(r"^(?P<service>[a-z]+)-(?P<env>[a-z][a-z0-9]{1,11})$")


class StackNameError(ValueError):
    """The stack is not named ``<service>-<env>``."""


@dataclass(frozen=True)
class StackName:
    service: str
    env: str

    def __str__(self) -> str:
        return f"{self.service}-{self.env}"


def parse_stack_name(stack: str) -> StackName:
    """``upload-dev`` -> (upload, dev); anything else fails naming the expected form."""
    match = STACK_NAME.match(stack)
    known = ", ".join(SERVICES)
    if not match:
        raise StackNameError(
            f"stack {stack!r} is not named <service>-<env> (e.g. upload-dev); "
            f"known services: {known}"
        )
    if match["service"] not in SERVICES and match["service"] != MONITORING:
        raise StackNameError(
            f"stack {stack!r} names unknown service {match['service']!r}; "
            f"expected <service>-<env> with service one of: {known} "
            f"(or {MONITORING}-<env>: the monitoring account)"
        )
    return StackName(service=match["service"], env=match["env"])


def physical_name(env: str, service: str, purpose: str) -> str:
    """``marketplace-dev-upload-processor``: env and service first, then what it is for."""
    return f"{PREFIX}-{env}-{service}-{purpose}"


def bucket_name(settings: Settings, service: str, purpose: str) -> str:
    """Bucket names are global across AWS: the owning account id makes them unique."""
    return f"{physical_name(settings.env, service, purpose)}-{settings.account_of(service)}"


def topic_name(env: str, producer: str) -> str:
    return physical_name(env, producer, "events")


def topic_arn(settings: Settings, producer: str) -> str:
    """The producer's events topic ARN, computed from the environment settings only."""
    account = settings.account_of(producer)
    return f"arn:aws:sns:{settings.region}:{account}:{topic_name(settings.env, producer)}"


def secret_name(env: str, service: str, purpose: str) -> str:
    return f"{PREFIX}/{env}/{service}/{purpose}"
