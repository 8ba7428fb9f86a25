"""``purchase.completed``: the buyer's receipt."""

from __future__ import annotations

from services.notification.templates import Template

TEMPLATE = Template(
    subject="Your purchase of $title is complete",
    text="Thank you for your purchase.\n\n"
    "Image: $title\nPrice: $price\nPurchase: $purchaseId\n\n"
    "Your licensed copy is ready to download from your purchase's page.",
    html="<p>Thank you for your purchase.</p>\n"
    "<table><tr><th>Image</th><td>$title</td></tr>"
    "<tr><th>Price</th><td>$price</td></tr>"
    "<tr><th>Purchase</th><td>$purchaseId</td></tr></table>\n"
    "<p>Your licensed copy is ready to download from your purchase's page.</p>",
)
