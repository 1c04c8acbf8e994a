"""Walking a role's pages the way a person does: from their home, every same-site link."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

from django.test import Client

from tests.helpers import body_bytes

# Links a crawl must not follow: leaving, the Django admin, files, and the language buttons.
_NEVER = ("/accounts/logout/", "/django-admin/", "/static/", "/language/", "/jsi18n/")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _same_site(href: str) -> str | None:
    url, _ = urldefrag(href)
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/"):
        return None
    if any(url.startswith(prefix) for prefix in _NEVER):
        return None
    return url


def pages(http: Client, start: str, *, limit: int = 600) -> Iterator[tuple[str, str, bytes]]:
    """Each page reachable from ``start`` by GET through links, once: (url, content type,
    body). Redirects are followed as a browser would. Every page is visited: a crawl that
    would pass ``limit`` fails instead of silently leaving pages out (which pages fit under
    a limit would depend on the order of random ids)."""
    queue, seen = deque([start]), {start}
    while queue and len(seen) <= limit:
        url = queue.popleft()
        response = http.get(url, follow=True)
        if response.status_code != 200:
            continue
        kind = response.get("Content-Type", "")
        body = body_bytes(response)
        yield url, kind, body
        if not kind.startswith("text/html"):
            continue
        reader = _Links()
        reader.feed(body.decode())
        for href in reader.hrefs:
            target = _same_site(href)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
    assert not queue, f"more than {limit} pages: raise the crawl's limit"
