"""``image.published``: the photographer's image is for sale."""

from __future__ import annotations

from services.notification.templates import Template

TEMPLATE = Template(
    subject="$title is published",
    text="Your image $title is published and for sale at $price.",
    html="<p>Your image <strong>$title</strong> is published and for sale at $price.</p>",
)
