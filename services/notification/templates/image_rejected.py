"""``image.rejected``: the photographer learns why an upload was not published."""

from __future__ import annotations

from services.notification.templates import Template

TEMPLATE = Template(
    subject="Your upload $imageId was not published",
    text="Your upload $imageId was not published.\n\nReason: $reason",
    html="<p>Your upload <code>$imageId</code> was not published.</p>\n<p>Reason: $reason</p>",
)
