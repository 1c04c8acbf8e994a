"""What the evidence runner's simulated people read from the portal's answers, shared by
the Locust users (``evidence/locustfile.py``) and the fault drills' visitors
(``evidence/visitor.py``): the inputs and links of a page, where a redirect leads, a
request's name in the statistics, and the cookie policy of the TLS proxy. Standard library
only, so both Locust's gevent process and the runner can import it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from http.cookiejar import Cookie, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class JourneyFailed(Exception):
    """An answer the journey did not expect (the message holds no form value)."""


class BehindTheProxy(DefaultCookiePolicy):
    """Send ``Secure`` cookies on the plain-HTTP hop too, as the TLS proxy does: the
    browser sent them over HTTPS, the proxy passes them on to gunicorn."""

    def return_ok_secure(self, cookie: Cookie, request: Any) -> bool:
        return True


class Page(HTMLParser):
    """The inputs (name, value) and link targets of one HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: list[tuple[str, str]] = []
        self.links: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name"):
            self.inputs.append((found["name"] or "", found.get("value") or ""))
        elif tag == "a" and found.get("href"):
            self.links.append(found["href"] or "")

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.inputs if key == name]

    def value(self, name: str) -> str:
        values = self.values(name)
        if not values:
            raise JourneyFailed(f"no {name!r} field on the page")
        return values[0]


def label(method: str, path: str) -> str:
    """A request's name in the statistics: ids and page slugs replaced by placeholders."""
    path = UUID.sub("<id>", urlsplit(path).path)
    return f"{method} " + re.sub(r"/section/[a-z0-9_]+/", "/section/<page>/", path)


def location(headers: Any) -> str:
    """Path and query of a redirect's ``Location`` header."""
    parts = urlsplit(headers.get("Location", ""))
    return parts.path + (f"?{parts.query}" if parts.query else "")
