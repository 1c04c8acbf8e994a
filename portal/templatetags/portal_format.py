"""The template side of ``portal.formatting``: ``when``, ``day``, ``clock``, ``zone``, ``iso``
and ``number``, each in the active language. Registered as a built-in library in settings,
so every template (pages, emails, allauth's) has them without a ``{% load %}``; ``|date:``
and ``|time:`` are not used."""

from __future__ import annotations

from datetime import date, datetime

from django import template

from portal.formatting import (
    format_clock,
    format_day,
    format_iso,
    format_number,
    format_when,
    format_zone,
)

register = template.Library()


@register.filter(expects_localtime=False)
def when(value: datetime | None) -> str:
    """``{{ moment|when }}`` → ``2 Dec 2026, 14:05`` in the practice's zone (in Spanish
    ``2 de diciembre de 2026, 14:05``)."""
    return format_when(value) if isinstance(value, datetime) else ""


@register.filter(expects_localtime=False)
def day(value: date | datetime | None) -> str:
    """``{{ day_or_moment|day }}`` → ``2 Dec 2026`` (``2 de diciembre de 2026``)."""
    return format_day(value) if isinstance(value, date) else ""


@register.filter(expects_localtime=False)
def clock(value: datetime | None) -> str:
    """``{{ moment|clock }}`` → ``14:05`` in the practice's zone."""
    return format_clock(value) if isinstance(value, datetime) else ""


@register.filter(expects_localtime=False)
def zone(value: datetime | None) -> str:
    """``{{ moment|zone }}`` → ``EST``: the practice zone's name at that moment."""
    return format_zone(value) if isinstance(value, datetime) else ""


@register.filter(expects_localtime=False)
def iso(value: date | datetime | None) -> str:
    """``{{ moment|iso }}`` → ISO 8601 for ``<time datetime>``, in the practice's zone."""
    return format_iso(value) if isinstance(value, date) else ""


@register.filter
def number(value: float | int | None, decimals: int | None = None) -> str:
    """``{{ value|number }}`` → ``2.5`` (``2,5`` in Spanish); ``{{ value|number:1 }}`` with
    one decimal place. "" for anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return format_number(value, decimals)
