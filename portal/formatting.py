"""How a date or a moment reads to a person: one format, in the practice's time zone.

Every page, PDF and email says a moment the same way ("2 Dec 2026, 14:05") and a day the
same way ("2 Dec 2026"), in the practice's time zone (``settings.TIME_ZONE``), whatever
zone the server, the database or a request runs in. Templates reach these functions through
the ``when``, ``day``, ``clock`` and ``iso`` filters (``portal.templatetags.portal_format``,
a built-in library: no ``{% load %}`` needed); Python code calls them directly. Nothing else
formats a date for people, so a new page cannot drift into a second style.

Machine formats are not for people and stay ISO 8601: ``iso`` for the ``datetime``
attribute of ``<time>``, the exports' own ISO columns, FHIR and the audit chain.

Month abbreviations go through Django's translation catalogue (``date_format``), so a
translated page names the month in its own language with the same layout.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from django.utils import timezone
from django.utils.formats import date_format

DAY_FORMAT = "j M Y"  # 2 Dec 2026
CLOCK_FORMAT = "H:i"  # 14:05
WHEN_FORMAT = f"{DAY_FORMAT}, {CLOCK_FORMAT}"  # 2 Dec 2026, 14:05


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
    """A moment for people: ``2 Dec 2026, 14:05`` in the practice's zone; "" for None."""
    if value is None:
        return ""
    return date_format(in_practice_zone(value), WHEN_FORMAT)


def format_day(value: date | datetime | None) -> str:
    """A day for people: ``2 Dec 2026``. A datetime gives the day it falls on in the
    practice's zone (late evening in New York is still that day, not tomorrow's UTC date);
    a plain date (a date of birth, an effective date) is shown as it is. "" for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = in_practice_zone(value)
    return date_format(value, DAY_FORMAT)


def format_clock(value: datetime | None) -> str:
    """The time of day alone, ``14:05`` in the practice's zone, for "saved at" notes on a
    page that already says which day it is. "" for None."""
    if value is None:
        return ""
    return date_format(in_practice_zone(value), CLOCK_FORMAT)


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
