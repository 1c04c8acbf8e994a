"""What a page makes a browser fetch: the subresources an HTML page and its style sheets
reference, found by parsing them, never by pattern-matching text.

HTML is read with the standard library's ``HTMLParser``; CSS with ``tinycss2`` (a tokenizer
that follows the CSS Syntax specification), whose ``url()`` tokens and ``@import`` strings are
the style sheet's requests. Links a person follows (``<a href>``, ``<form action>``) are
navigations, not subresources. ``data:`` URLs and ``#fragment`` references are inline: no
request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import tinycss2

# The attributes through which an element makes the browser fetch something.
LOADING_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "link": ("href",),
    "script": ("src",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "iframe": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
}
# ``<link rel=...>`` values that only name another page: the browser fetches nothing. Any
# other ``<link href>`` counts as a subresource (an unknown rel is checked, not trusted).
NAVIGATION_RELS = frozenset({"alternate", "author", "bookmark", "canonical", "help",
                             "license", "next", "prev", "search"})


@dataclass(frozen=True)
class Reference:
    """One URL a document asks the browser to fetch, as written, and resolved."""

    written: str
    url: str
    tag: str
    in_noscript: bool = False


def is_inline(url: str) -> bool:
    """``data:`` URLs and same-document fragments cost no request."""
    stripped = url.strip()
    return not stripped or stripped.startswith("#") or stripped.lower().startswith("data:")


def is_foreign(url: str, base: str) -> bool:
    """Whether the resolved ``url`` is on a host other than ``base``'s (another scheme or
    host, a protocol-relative ``//host`` included, since it was resolved against ``base``)."""
    wanted, found = urlsplit(base), urlsplit(url)
    return (found.scheme, found.netloc) != (wanted.scheme, wanted.netloc)


class _PageReferences(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.noscript_depth = 0
        self.found: list[Reference] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "noscript":
            self.noscript_depth += 1
        values = {name: value or "" for name, value in attrs}
        if tag == "link" and set(values.get("rel", "").lower().split()) <= NAVIGATION_RELS \
                and values.get("rel"):
            return
        for attribute in LOADING_ATTRIBUTES.get(tag, ()):
            if attribute not in values:
                continue
            written = values[attribute]
            candidates = ([part.split()[0] for part in written.split(",") if part.split()]
                          if attribute == "srcset" else [written])
            for candidate in candidates:
                if not is_inline(candidate):
                    self.found.append(Reference(candidate, urljoin(self.base, candidate), tag,
                                                self.noscript_depth > 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "noscript" and self.noscript_depth:
            self.noscript_depth -= 1


def page_references(html: str, base: str) -> list[Reference]:
    """Every subresource ``html`` (served at the absolute URL ``base``) references, in
    document order; those inside ``<noscript>`` are marked."""
    parser = _PageReferences(base)
    parser.feed(html)
    parser.close()
    return parser.found


def _component_values(nodes: Iterable[Any]) -> Iterator[Any]:
    """Every token of a parsed style sheet, blocks and functions opened recursively."""
    for node in nodes:
        yield node
        for nested in ("prelude", "content", "arguments"):
            inner = getattr(node, nested, None)
            if isinstance(inner, list):
                yield from _component_values(inner)


def css_references(css: str, base: str) -> list[Reference]:
    """Every URL the style sheet ``css`` (served at ``base``) makes the browser fetch:
    ``url(...)`` in any rule or at-rule, and ``@import``'s string."""
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    written: list[str] = []
    for node in _component_values(rules):
        if node.type == "url":
            written.append(node.value)
        elif node.type == "function" and node.lower_name == "url":
            written += [token.value for token in node.arguments if token.type == "string"]
        elif node.type == "at-rule" and node.lower_at_keyword == "import":
            written += [token.value for token in node.prelude if token.type == "string"]
    return [Reference(url, urljoin(base, url), "css") for url in written if not is_inline(url)]
