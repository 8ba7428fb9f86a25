"""``purchase.failed``: the buyer learns why nothing was charged."""

from __future__ import annotations

from services.notification.templates import Template

TEMPLATE = Template(
    subject="Your purchase of $title could not be completed",
    text="Your purchase of $title could not be completed.\n\nReason: $reason\n\n"
    "You have not been charged.",
    html="<p>Your purchase of <strong>$title</strong> could not be completed.</p>\n"
    "<p>Reason: $reason</p>\n<p>You have not been charged.</p>",
)
