"""Which services exist, who owns them, what each publishes and what each consumes.

One place for the event topology: the Pulumi components build topics, subscriptions and
topic policies from it, the contract tests check schemas against it, CODEOWNERS and the
``team`` tag read the owners from it. Plain data: handler code may import it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceSpec:
    """A service: its owning team, the event types it publishes and those it consumes."""

    name: str
    team: str
    publishes: tuple[str, ...] = ()
    consumes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Producer service name -> event types this service subscribes to from it."""


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec(
            name="upload",
            team="team-upload",
            publishes=("image.published", "image.rejected", "image.withdrawn"),
        ),
        ServiceSpec(
            name="catalog",
            team="team-catalog",
            consumes={
                "upload": ("image.published", "image.withdrawn"),
                "purchase": ("purchase.completed",),
            },
        ),
        ServiceSpec(
            name="purchase",
            team="team-purchase",
            publishes=("purchase.completed", "purchase.failed"),
            consumes={"upload": ("image.published", "image.withdrawn")},
        ),
        # The single-page app and the one domain in front of every API: no events.
        ServiceSpec(name="web", team="team-web"),
        ServiceSpec(
            name="notification",
            team="team-notification",
            consumes={
                "purchase": ("purchase.completed", "purchase.failed"),
                "upload": ("image.published", "image.rejected"),
            },
        ),
    )
}

PLATFORM_TEAM = "team-platform"
"""Owns the shared building blocks (components/, services/contracts, services/common)."""

EVENT_TYPES: tuple[str, ...] = tuple(t for s in SERVICES.values() for t in s.publishes)


def consumers_of(producer: str) -> list[str]:
    """Names of the services that subscribe to ``producer``'s topic, sorted."""
    return sorted(name for name, spec in SERVICES.items() if producer in spec.consumes)


def producer_of(event_type: str) -> str:
    """The one service that publishes ``event_type``."""
    for spec in SERVICES.values():
        if event_type in spec.publishes:
            return spec.name
    raise KeyError(f"unknown event type {event_type!r}; known: {', '.join(EVENT_TYPES)}")
