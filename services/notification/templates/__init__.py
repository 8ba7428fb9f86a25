"""One e-mail template per consumed event type: subject, plain text and HTML.

Templates are Python modules (the Lambda bundle carries ``.py`` and ``.json`` files only), each
with ``TEMPLATE``. ``$name`` placeholders are filled by ``render``: as they are in the subject
and text, HTML-escaped in the HTML part (titles and reasons come from users).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from string import Template as _Text


@dataclass(frozen=True)
class Template:
    """An e-mail's three parts with ``$field`` placeholders."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: Template, fields: Mapping[str, str], link: str | None) -> Rendered:
    """Fill ``template``; ``link`` (the web app's page) adds a closing line to both bodies.

    A field the template names but ``fields`` lacks raises ``KeyError`` naming it.
    """
    escaped = {name: html.escape(value) for name, value in fields.items()}
    text = _Text(template.text).substitute(fields)
    body = _Text(template.html).substitute(escaped)
    if link:
        text += f"\n\n{link}\n"
        body += f'\n<p><a href="{html.escape(link)}">{html.escape(link)}</a></p>'
    return Rendered(
        subject=_Text(template.subject).substitute(fields),
        text=text,
        html=f"<!doctype html>\n<html><body>\n{body}\n</body></html>\n",
    )
