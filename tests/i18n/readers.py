"""What the Spanish-reading tests share: a person who reads Spanish, and a page's own
content (without the menu and footer, which are other areas' words)."""

from __future__ import annotations

from portal.models import User


def reads_spanish(person: User) -> User:
    """``person``, with Spanish saved as their language (``User.language``)."""
    person.language = "es"
    person.save(update_fields=["language"])
    return person


def main_of(html: str) -> str:
    """The page's own content: what is inside ``<main id="main">``."""
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
