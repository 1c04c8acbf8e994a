"""Texts that know their language, for marking the language of parts of a page.

A page says its language once (``<html lang>``); any text shown in another language must
say its own (WCAG 3.1.2, "Language of Parts"), or a screen reader reads English words with
Spanish sounds. Texts that are data rather than interface words (a questionnaire's texts,
which fall back to English where a definition has no translation) are decided where the
fallback happens: there each is made a ``LangText``, an ordinary ``str`` that also carries
the language it is written in (``lang``). Templates mark it with the ``portal_lang`` filters
(``lang_marked``, ``lang_attr``) only when that language is not the page's.

A plain ``str`` knows no language: it is taken to be in the page's, and never marked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from portal.i18n.languages import current_language


class LangText(str):
    """A ``str`` written in ``lang`` (a language tag: "en", "es"). Equal to, hashed and
    stored like the plain text; anything made from it (``strip()``, an f-string, a join)
    is a plain ``str`` again, so its language is only claimed where it is certain."""

    lang: str

    def __new__(cls, text: str, lang: str) -> LangText:
        made = super().__new__(cls, text)
        made.lang = lang.lower()
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled and copied with its language (``str``'s own would lose it).
        return (LangText, (str(self), self.lang))

    def __repr__(self) -> str:
        return f"LangText({str(self)!r}, {self.lang!r})"


def language_of_text(text: object) -> str | None:
    """The language ``text`` says it is written in, or None when it does not say (a plain
    ``str``: taken to be in the page's language)."""
    lang = getattr(text, "lang", None)
    return lang if isinstance(lang, str) and lang else None


def foreign_language(text: object, page_language: str | None = None) -> str | None:
    """The language to mark ``text`` with on a page in ``page_language`` (the page being
    written now when None): its own, when it has one and that is not the page's; else
    None (nothing to mark)."""
    lang = language_of_text(text)
    page = (page_language or current_language()).lower()
    return lang if lang is not None and lang != page else None


class LangParts(str):
    """A ``str`` joined from texts in different languages (``parts``, joined by
    ``separator``): marked part by part."""

    parts: tuple[str, ...]
    separator: str

    def __new__(cls, separator: str, parts: Iterable[str]) -> LangParts:
        listed = tuple(parts)
        made = super().__new__(cls, separator.join(listed))
        made.parts, made.separator = listed, separator
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (LangParts, (self.separator, self.parts))


def joined(separator: str, texts: Iterable[str]) -> str:
    """``separator.join(texts)``, keeping what each text says of its language: a
    ``LangText`` when all are written in the same one (a multiple choice's labels), a
    ``LangParts`` when some say different ones (each is marked on its own), a plain ``str``
    when none says."""
    parts = tuple(texts)
    languages = {language_of_text(part) for part in parts}
    if not parts or languages == {None}:
        return separator.join(parts)
    if len(languages) == 1 and (lang := languages.pop()) is not None:
        return LangText(separator.join(parts), lang)
    return LangParts(separator, parts)
