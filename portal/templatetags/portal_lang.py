"""Marking the language of parts of a page (WCAG 3.1.2): ``{% load portal_lang %}``.

A text that knows its language (``portal.i18n.texts.LangText``: a questionnaire's text
shown in English on a Spanish page) is marked with it, and only when that language is not
the page's (``{% get_current_language %}``); a plain ``str`` is taken to be in the page's
language and never marked.

- ``{{ text|lang_marked }}``: the text, escaped, inside ``<span lang="en">`` when it needs a
  mark (else just the text). Works anywhere phrasing content goes, also as a value given to
  ``{% blocktranslate with title=section.title|lang_marked %}``.
- ``<h1{{ text|lang_attr }}>``: `` lang="en"`` or nothing, for an element that holds only
  that text (a heading, a paragraph, a label), and where a ``<span>`` cannot go (an
  ``<option>``).

Apply them to the text itself, before ``linebreaksbr`` (which returns a plain string):
``{{ text|lang_marked|linebreaksbr }}``.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString

from portal.i18n.texts import LangParts, LangText, foreign_language

register = template.Library()


@register.filter(is_safe=True)
def lang_marked(value: object) -> SafeString:
    """``value``, escaped, wrapped in ``<span lang>`` when it is in another language than
    the page's; a text joined from several languages marks each part."""
    if isinstance(value, LangParts):
        return format_html_join(conditional_escape(value.separator), "{}",
                                ((lang_marked(part),) for part in value.parts))
    lang = foreign_language(value)
    if lang is None:
        return conditional_escape(str(value))
    return format_html('<span lang="{}">{}</span>', lang, value)


@register.filter(is_safe=True)
def lang_attr(value: object) -> SafeString:
    """`` lang="xx"`` for an element holding only ``value``, when ``value`` is in another
    language than the page's; "" otherwise."""
    lang = foreign_language(value)
    return format_html(' lang="{}"', lang) if lang is not None else SafeString("")


def _in_default_language(value: object) -> object:
    """``value`` as written in the portal's default language, unless it already knows its
    own (a draft's texts, a version's stored title: data written in English first)."""
    if isinstance(value, LangText | LangParts) or value is None:
        return value
    return LangText(str(value), settings.LANGUAGE_CODE)


@register.filter(is_safe=True)
def default_lang_marked(value: object) -> SafeString:
    """``lang_marked`` for a text written in the default language (a questionnaire's own
    words shown to an admin reading the builder in another language)."""
    return lang_marked(_in_default_language(value))


@register.filter(is_safe=True)
def default_lang_attr(value: object) -> SafeString:
    """``lang_attr`` for a text written in the default language."""
    return lang_attr(_in_default_language(value))
