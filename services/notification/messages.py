"""What to e-mail for each consumed event: recipient (a user id), topic, template, fields, link.

Plain functions of plain data. Events carry user ids, never addresses; titles of purchased
images come from this service's own read model of ``image.published`` (``ImageInfo``), so a
purchase e-mail names the image even though ``purchase.*`` events carry only its id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.contracts.dispatch import consumer_table
from services.notification.templates import (
    Template,
    image_published,
    image_rejected,
    purchase_completed,
    purchase_failed,
)

PURCHASES = "purchases"
UPLOADS = "uploads"
TOPICS = (PURCHASES, UPLOADS)
"""What a user may opt out of: e-mails about their purchases, about their uploads."""

PAGES = {
    "image": "/images/{id}",
    "purchase": "/purchases/{id}",
    "upload": "/uploads/{id}",
}
"""The web app's pages each e-mail links to (path under the web origin)."""


@dataclass(frozen=True)
class ImageInfo:
    """What the read model keeps of a published image."""

    title: str
    price_cents: int
    currency: str


@dataclass(frozen=True)
class Mail:
    """One e-mail to send: to whom, about what, with which template and fields."""

    recipient: str
    topic: str
    template: Template
    fields: dict[str, str]
    page: str

    def link(self, web_origin: str) -> str | None:
        """The page's URL in the web app; ``None`` when the environment has no web origin."""
        return f"{web_origin.rstrip('/')}{self.page}" if web_origin else None


Images = Callable[[str], ImageInfo | None]
"""Image id -> what the read model knows of it (``None``: not seen published)."""


def price(cents: int, currency: str) -> str:
    """``1250, "EUR"`` -> ``12.50 EUR`` (two minor digits: what the catalog's prices use)."""
    return f"{Decimal(cents) / 100:.2f} {currency}"


def _title(images: Images, image_id: str) -> str:
    info = images(image_id)
    return info.title if info else f"image {image_id}"


def _page(kind: str, entity_id: str) -> str:
    return PAGES[kind].format(id=entity_id)


def _purchase_completed(data: Mapping[str, Any], images: Images) -> Mail:
    return Mail(
        recipient=data["buyerId"],
        topic=PURCHASES,
        template=purchase_completed.TEMPLATE,
        fields={
            "title": _title(images, data["imageId"]),
            "price": price(data["priceCents"], data["currency"]),
            "purchaseId": data["purchaseId"],
        },
        page=_page("purchase", data["purchaseId"]),
    )


def _purchase_failed(data: Mapping[str, Any], images: Images) -> Mail:
    return Mail(
        recipient=data["buyerId"],
        topic=PURCHASES,
        template=purchase_failed.TEMPLATE,
        fields={"title": _title(images, data["imageId"]), "reason": data["reason"]},
        page=_page("purchase", data["purchaseId"]),
    )


def _image_published(data: Mapping[str, Any], images: Images) -> Mail:
    return Mail(
        recipient=data["photographerId"],
        topic=UPLOADS,
        template=image_published.TEMPLATE,
        fields={"title": data["title"], "price": price(data["priceCents"], data["currency"])},
        page=_page("image", data["imageId"]),
    )


def _image_rejected(data: Mapping[str, Any], images: Images) -> Mail:
    return Mail(
        recipient=data["photographerId"],
        topic=UPLOADS,
        template=image_rejected.TEMPLATE,
        fields={"imageId": data["imageId"], "reason": data["reason"]},
        page=_page("upload", data["imageId"]),
    )


PLANNERS = consumer_table(
    "notification",
    {
        "purchase.completed": _purchase_completed,
        "purchase.failed": _purchase_failed,
        "image.published": _image_published,
        "image.rejected": _image_rejected,
    },
)
"""Event type -> the e-mail it asks for."""


def plan(event_type: str, data: Mapping[str, Any], images: Images) -> Mail:
    """The e-mail ``event_type`` asks for (the catalogue's types only: see ``PLANNERS``)."""
    return PLANNERS[event_type](data, images)
