"""Templates: one per consumed event, plain text and HTML, with title, price, reason and link."""

from __future__ import annotations

import pytest

from services.contracts import schemas
from services.contracts.catalogue import SERVICES
from services.notification.messages import PLANNERS, ImageInfo, plan, price
from services.notification.templates import render


def images(image_id: str) -> ImageInfo | None:
    return ImageInfo("Harbour & dawn", 1250, "EUR") if image_id == "known" else None


@pytest.mark.parametrize(
    "event_type", sorted(t for types in SERVICES["notification"].consumes.values() for t in types)
)
def test_every_consumed_event_renders_both_parts_with_a_link(event_type: str) -> None:
    # GIVEN the schema's example of the event
    data = schemas.examples(event_type)[0]
    # WHEN planned and rendered for a web origin
    mail = plan(event_type, data, images)
    rendered = render(mail.template, mail.fields, mail.link("https://app.test"))
    # THEN subject, text and HTML are filled (no placeholder left) and both bodies link the page
    for part in (rendered.subject, rendered.text, rendered.html):
        assert "$" not in part, part
    assert f"https://app.test{mail.page}" in rendered.text
    assert f'href="https://app.test{mail.page}"' in rendered.html
    assert mail.recipient in (data.get("buyerId"), data.get("photographerId"))


def test_purchase_mail_takes_the_title_from_the_read_model_and_escapes_it_in_html() -> None:
    data = {**schemas.examples("purchase.completed")[0], "imageId": "known", "priceCents": 1250}
    mail = plan("purchase.completed", data, images)
    rendered = render(mail.template, mail.fields, None)
    assert rendered.subject == "Your purchase of Harbour & dawn is complete"
    assert "Image: Harbour & dawn\nPrice: 12.50 EUR" in rendered.text
    assert "<td>Harbour &amp; dawn</td>" in rendered.html
    assert "http" not in rendered.text  # no web origin, no link


def test_failed_purchase_mail_gives_the_reason() -> None:
    data = {**schemas.examples("purchase.failed")[0], "reason": "The image was withdrawn."}
    rendered = render(*_parts(plan("purchase.failed", data, images)))
    assert "Reason: The image was withdrawn." in rendered.text


def _parts(mail: object) -> tuple:
    return mail.template, mail.fields, None  # type: ignore[attr-defined]


def test_planners_cover_exactly_the_consumed_types() -> None:
    consumed = {t for types in SERVICES["notification"].consumes.values() for t in types}
    assert set(PLANNERS) == consumed


@pytest.mark.parametrize(
    ("cents", "currency", "text"), [(1250, "EUR", "12.50 EUR"), (5, "USD", "0.05 USD")]
)
def test_price_has_two_minor_digits(cents: int, currency: str, text: str) -> None:
    assert price(cents, currency) == text
