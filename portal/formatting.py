"""How a date, a moment or a number reads to a person: one format per language, in the
practice's time zone.

Every page, PDF and email says a moment the same way ("2 Dec 2026, 14:05" in English,
"2 de diciembre de 2026, 14:05" in Spanish) and a day the same way ("2 Dec 2026",
"2 de diciembre de 2026"), in the practice's time zone (``settings.TIME_ZONE``), whatever
zone the server, the database or a request runs in. The language is the active one (the
page's, or the recipient's while an email or a PDF is written). Templates reach these
functions through the ``when``, ``day``, ``clock``, ``zone``, ``iso`` and ``number`` filters
(``portal.templatetags.portal_format``, a built-in library: no ``{% load %}`` needed);
Python code calls them directly. Nothing else
formats a date for people, so a new page cannot drift into a second style.

Machine formats are not for people and stay ISO 8601: ``iso`` for the ``datetime``
attribute of ``<time>``, the exports' own ISO columns, FHIR and the audit chain.

English keeps the portal's own short layout (``DAY_FORMAT``, ``CLOCK_FORMAT``). Every
other language takes the layout of Django's own locale formats for it (``DATE_FORMAT``,
``TIME_FORMAT``: "j \\d\\e F \\d\\e Y" in Spanish), and month and day names come from
Django's catalogues, so nothing here names a month by hand. Numbers with decimals follow
the language too (``format_number``: "2.5", "2,5").
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format, get_format, number_format

DAY_FORMAT = "j M Y"  # 2 Dec 2026
CLOCK_FORMAT = "H:i"  # 14:05
WHEN_FORMAT = f"{DAY_FORMAT}, {CLOCK_FORMAT}"  # 2 Dec 2026, 14:05

# The languages that keep a layout of the portal's own (a day, a time of day); any other
# language uses Django's locale formats for it.
HOUSE_FORMATS: dict[str, tuple[str, str]] = {"en": (DAY_FORMAT, CLOCK_FORMAT)}


def _formats() -> tuple[str, str]:
    """The day and time-of-day formats of the active language."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    house = HOUSE_FORMATS.get(language) or HOUSE_FORMATS.get(language.split("-")[0])
    if house is not None:
        return house
    return (str(get_format("DATE_FORMAT", language)),
            str(get_format("TIME_FORMAT", language)))


def practice_zone() -> tzinfo:
    """The practice's time zone: ``settings.TIME_ZONE`` (never the request's or the server's)."""
    return timezone.get_default_timezone()


def in_practice_zone(value: datetime) -> datetime:
    """``value`` as a wall-clock time in the practice's zone. An aware datetime is converted;
    a naive one (which the portal does not store: ``USE_TZ`` is on) is taken as already
    being practice time rather than guessed at."""
    if timezone.is_naive(value):
        return value
    return timezone.localtime(value, practice_zone())


def format_when(value: datetime | None) -> str:
    """A moment for people: ``2 Dec 2026, 14:05`` (``2 de diciembre de 2026, 14:05``) in the
    practice's zone; "" for None."""
    if value is None:
        return ""
    day, clock = _formats()
    moment = in_practice_zone(value)
    return f"{date_format(moment, day)}, {date_format(moment, clock)}"


def format_day(value: date | datetime | None) -> str:
    """A day for people: ``2 Dec 2026``. A datetime gives the day it falls on in the
    practice's zone (late evening in New York is still that day, not tomorrow's UTC date);
    a plain date (a date of birth, an effective date) is shown as it is. "" for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = in_practice_zone(value)
    return date_format(value, _formats()[0])


def format_clock(value: datetime | None) -> str:
    """The time of day alone, ``14:05`` in the practice's zone, for "saved at" notes on a
    page that already says which day it is. "" for None."""
    if value is None:
        return ""
    return date_format(in_practice_zone(value), _formats()[1])


def format_zone(value: datetime | None) -> str:
    """The practice zone's abbreviation at that moment (``EST``, ``EDT``), for copies that
    leave the portal (emails, PDFs), where the reader may be elsewhere. "" for None."""
    if value is None:
        return ""
    return in_practice_zone(value).tzname() or ""


def format_iso(value: date | datetime | None) -> str:
    """The machine form: ISO 8601 with the practice zone's offset (a date alone as
    ``YYYY-MM-DD``), for ``<time datetime="...">``. "" for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return in_practice_zone(value).isoformat()
    return value.isoformat()


def format_number(value: float | int | None, decimals: int | None = None) -> str:
    """A number for people in the active language's way: ``2.5`` in English, ``2,5`` in
    Spanish (``decimals`` places when given). No thousands separator, as elsewhere on the
    portal. "" for None."""
    if value is None:
        return ""
    if decimals is not None:  # Django cuts extra decimals off; people expect rounding
        value = round(value, decimals)
    return number_format(value, decimals, use_l10n=True, force_grouping=False)
