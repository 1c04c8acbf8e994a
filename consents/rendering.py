"""Turning a consent document's Markdown into HTML a client's browser may safely show."""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset({
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "blockquote", "a", "br", "hr",
})
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = frozenset({"mailto", "tel", "https"})


def render_markdown(text: str) -> SafeString:
    """The document's Markdown as HTML, cleaned to a small allow-list.

    Why marking it safe is sound: Markdown passes raw HTML through untouched, so its output
    is never trusted. Only nh3's output is marked safe, and nh3 (the Rust ``ammonia``
    sanitiser) parses the HTML and keeps nothing but the tags above, the ``href`` of links,
    and URLs with the ``mailto``, ``tel`` or ``https`` schemes (relative ones too): scripts,
    styles, event handlers, ``javascript:`` and ``data:`` URLs, images, forms and iframes
    are all dropped. Whoever writes a document (a practice admin) therefore cannot run
    script in a client's browser, even by mistake when pasting text from elsewhere. The
    strict Content Security Policy stays as a second wall.
    """
    html = markdown.markdown(text)
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308  # nosec B308 B703 - nh3-cleaned, see docstring
