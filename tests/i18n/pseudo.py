"""A pseudo-language for finding words nobody marked for translation.

Every msgid the portal can translate (our catalogs, Django's and allauth's) is "translated"
into itself between ⟦ and ⟧. A page rendered in that language shows every translated string
bracketed, so any word left outside the brackets is a word that never went through gettext:
English a Spanish reader would see. Text another language is allowed to keep (a person's
name, an answer as typed, a document shown in the language it was written in) must be data
the test knows, or sit in an element whose ``lang`` says which language it is in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

import allauth
import django
import polib

from portal.i18n.catalogs import LOCALE_DIR

CODE = "qps"  # a code no real language has
OPEN, CLOSE = "⟦", "⟧"
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}
_READ_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "aria-description")


def _sources(domain: str) -> list[Path]:
    ours = sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{domain}.po"))
    if domain != "django":
        return ours
    frameworks = [Path(django.__file__).parent, Path(allauth.__file__).parent]
    theirs = [path for root in frameworks
              for path in sorted(root.glob(f"**/locale/es/LC_MESSAGES/{domain}.po"))]
    return ours + theirs


def _wrap(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}" if text.strip() else text


def build_catalogs(directory: Path) -> Path:
    """Write the pseudo-language's ``.mo`` files under ``directory`` (a LOCALE_PATHS entry)
    and return it."""
    target = directory / CODE / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    for domain in ("django", "djangojs"):
        catalog = polib.POFile()
        catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8",
                            "Plural-Forms": "nplurals=2; plural=(n != 1);", "Language": CODE}
        seen: set[tuple[str | None, str]] = set()
        for source in _sources(domain):
            for entry in polib.pofile(str(source)):
                key = (entry.msgctxt, entry.msgid)
                if entry.obsolete or key in seen or re.fullmatch(r"[A-Z_]+", entry.msgid):
                    continue
                seen.add(key)
                wrapped = polib.POEntry(msgctxt=entry.msgctxt, msgid=entry.msgid)
                if entry.msgid_plural:
                    wrapped.msgid_plural = entry.msgid_plural
                    wrapped.msgstr_plural = {0: _wrap(entry.msgid), 1: _wrap(entry.msgid_plural)}
                else:
                    wrapped.msgstr = _wrap(entry.msgid)
                catalog.append(wrapped)
        catalog.save_as_mofile(str(target / f"{domain}.mo"))
    return directory


class _Reader(HTMLParser):
    """The text a person reads or hears on a page: text nodes and the attributes read aloud,
    leaving out scripts, styles and whatever is in another language than the page's (by
    the nearest ``lang`` around it: text marked back into the page's language inside a
    marked element is read again)."""

    def __init__(self, page_language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_language = page_language
        self.stack: list[tuple[str, bool, str | None]] = []  # (tag, never read, its lang)
        self.parts: list[str] = []

    @property
    def _skipping(self) -> bool:
        if any(hidden for _, hidden, _ in self.stack):
            return True
        lang = next((lang for _, _, lang in reversed(self.stack) if lang is not None), None)
        return lang is not None and lang != self.page_language

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        lang = values.get("lang") if tag != "html" else None
        # ``translate="no"`` marks an identifier (a slug, a question's id, a request id):
        # nobody's words, never translated.
        entry = (tag, tag in ("script", "style", "template") or values.get("translate") == "no",
                 lang)
        self.stack.append(entry)
        if not self._skipping:
            self.parts.extend(values[name] for name in _READ_ATTRIBUTES if name in values)
            if tag == "input" and values.get("type") in ("submit", "button"):
                self.parts.append(values.get("value", ""))
        if tag in _VOID:
            self.stack.pop()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str, page_language: str = CODE) -> str:
    """What a reader of ``html`` reads, one run of text per line."""
    reader = _Reader(page_language)
    reader.feed(html)
    reader.close()
    return "\n".join(" ".join(part.split()) for part in reader.parts if part.strip())


_BRACKETED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
_IDENTIFIER = re.compile(r"[\w.=:/-]*[\d._=][\w.=:/-]*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*[A-Za-z]")


def _unbracketed(text: str) -> str:
    while True:
        stripped = _BRACKETED.sub(" ", text)
        if stripped == text:
            return text
        text = stripped


def _data_pattern(allowed: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any of the ``allowed`` values as whole words (a value "no" must
    not eat the "no" of "notice")."""
    values = sorted({value.strip() for value in allowed if value and value.strip()},
                    key=len, reverse=True)
    if not values:
        return None
    return re.compile("|".join(rf"(?<!\w){re.escape(value)}(?!\w)" for value in values))


def _is_code(line: str) -> bool:
    """A run made only of identifiers and ``key=value`` pairs (an audit event's details, a
    hash, a record's type): nobody's words."""
    return all(_IDENTIFIER.fullmatch(token) or "=" in token for token in line.split())


def untranslated(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """Each run of ``text`` (one per line) that still has a word outside every bracket once
    the ``allowed`` data (names, addresses, typed answers) is taken out: what went past
    gettext. Acronyms and codes in capitals (PDF, PHQ-9, a case's reference) are not words
    to translate."""
    data = _data_pattern(allowed)
    found = []
    # A translated sentence may hold an element (a <span> for a countdown): its brackets
    # span lines, so they come off the whole text first.
    for line in _unbracketed(text).splitlines():
        if _is_code(line):
            continue
        rest = data.sub(" ", line) if data else line
        if any(not word.isupper() for word in _WORD.findall(rest)):
            found.append(" ".join(rest.split()))
    return found
