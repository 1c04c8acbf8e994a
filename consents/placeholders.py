"""Template placeholders in consent documents: ``[session fee]`` and the like.

The shipped documents (``consents/documents/``) name each fact about the practice with a
placeholder that maps to one practice setting (``PLACEHOLDERS``). When a version is drafted
(installed from a shipped template, or saved by an admin) each placeholder whose setting is
filled in is replaced by the practice's value, so the text the admin previews is the text
that is published, hashed and signed. A placeholder whose setting is blank, or one nobody
knows (the admin's own ``[...]``), stays in the draft, and ``version_publish`` refuses to
publish it (``PlaceholderError``): no client ever reads a ``[...]`` where a fact should be.

A placeholder is any ``[words]`` that is not the text of a Markdown link (``[text](url)``)
or image.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from portal.models import PracticeSettings
from portal.models.practice import WORDED_SETTINGS

if TYPE_CHECKING:
    from django.db.models import Field

# ``[...]`` on one line, holding no bracket, not directly followed by ``(`` (a link's URL).
_PLACEHOLDER = re.compile(r"\[([^\[\]\n]+)\](?!\()")


@dataclass(frozen=True)
class Placeholder:
    name: str  # as written in a document, between the brackets
    setting: str  # the PracticeSettings field that fills it


PLACEHOLDERS = tuple(Placeholder(name, setting) for name, setting in (
    ("practice name", "name"),
    ("practice phone", "contact_phone"),
    ("practice email", "contact_email"),
    ("practice postal address", "address"),
    ("paper copy fee", "paper_copy_fee"),
    ("intake assessment fee", "intake_fee"),
    ("session fee", "session_fee"),
    ("session minutes", "session_minutes"),
    ("longer session fee", "longer_session_fee"),
    ("letters and reports fee", "letters_fee"),
    ("legal work hourly fee", "legal_hourly_fee"),
    ("fee change notice days", "fee_change_notice_days"),
    ("when payment is due", "payment_due"),
    ("payment methods", "payment_methods"),
    ("returned check fee", "returned_check_fee"),
    ("cancellation notice hours", "cancellation_notice_hours"),
    ("late cancellation fee", "late_cancellation_fee"),
    ("insurance network status", "insurance_networks"),
    ("unpaid balance days", "unpaid_balance_days"),
    ("video platform", "video_platform"),
    ("reconnect minutes", "reconnect_minutes"),
    ("practice state", "practice_state"),
    ("records retention years", "records_retention_years"),
))
_BY_NAME = {placeholder.name: placeholder for placeholder in PLACEHOLDERS}


def _key(name: str) -> str:
    """How a placeholder is looked up: case and spacing do not matter."""
    return " ".join(name.split()).lower()


def placeholder_for(name: str) -> Placeholder | None:
    return _BY_NAME.get(_key(name))


def setting_value(practice: PracticeSettings, setting: str,
                  language: str | None = None) -> str:
    """The practice's value for ``setting`` as it reads in a sentence of a text in
    ``language`` (default: the portal's) ("" when blank): a setting written in words
    (``WORDED_SETTINGS``) in that language's wording, so a Spanish document never quotes
    English; a multi-line postal address on one line, separated by commas."""
    language = language or settings.LANGUAGE_CODE
    value: object = (practice.worded(setting, language) if setting in WORDED_SETTINGS
                     else getattr(practice, setting))
    if value is None:
        return ""
    lines = [" ".join(line.split()) for line in str(value).splitlines()]
    return ", ".join(line for line in lines if line)


def fill_placeholders(text: str, practice: PracticeSettings,
                      language: str | None = None) -> str:
    """``text``, written in ``language`` (default: the portal's), with each known
    placeholder replaced by the practice's value in that language. A value that is blank
    leaves its placeholder where it is, as does an unknown placeholder."""

    def replace(match: re.Match[str]) -> str:
        placeholder = placeholder_for(match.group(1))
        if placeholder is None:
            return match.group(0)
        return setting_value(practice, placeholder.setting, language) or match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def find_placeholders(*texts: str) -> list[str]:
    """Every distinct placeholder in ``texts``, brackets included, in order of appearance."""
    found: dict[str, None] = {}
    for text in texts:
        for match in _PLACEHOLDER.finditer(text):
            found.setdefault(match.group(0), None)
    return list(found)


def setting_label(setting: str) -> str:
    """The name of a practice setting as the practice settings page shows it."""
    field = cast("Field[Any, Any]", PracticeSettings._meta.get_field(setting))  # no relation
    label = str(field.verbose_name)
    return label[:1].upper() + label[1:]


def placeholder_problems(placeholders: Iterable[str],
                         language: str | None = None) -> list[str]:
    """One plain sentence per placeholder of a text in ``language``, in the active
    language: what to do so it is filled in."""
    language = language or settings.LANGUAGE_CODE
    language_name = str(dict(settings.LANGUAGES).get(language, language))
    problems = []
    for shown in placeholders:
        placeholder = placeholder_for(shown[1:-1])
        if placeholder is None:
            problems.append(gettext(
                "%(placeholder)s: replace it with the right words in the draft."
            ) % {"placeholder": shown})
        elif placeholder.setting in WORDED_SETTINGS and language != settings.LANGUAGE_CODE:
            problems.append(gettext(
                "%(placeholder)s: fill in “%(setting)s” in %(language)s in practice "
                "settings, then open the draft and save it again."
            ) % {"placeholder": shown, "setting": setting_label(placeholder.setting),
                 "language": language_name})
        else:
            problems.append(gettext(
                "%(placeholder)s: fill in “%(setting)s” in practice settings, then "
                "open the draft and save it again."
            ) % {"placeholder": shown, "setting": setting_label(placeholder.setting)})
    return problems


class PlaceholderError(ValueError):
    """A version still holds placeholders, so it cannot be published. ``placeholders``
    lists them; ``problems`` says, for each, how to fill it (in the active language, for
    the page); the exception's own message, for developers, is in English."""

    def __init__(self, placeholders: list[str], language: str | None = None) -> None:
        self.placeholders = placeholders
        self.problems = placeholder_problems(placeholders, language)
        with translation.override(None):  # the source language: English
            english = placeholder_problems(placeholders, language)
        super().__init__(
            "This version still has placeholders that clients must never see: "
            f"{', '.join(placeholders)}. " + " ".join(english)
        )
