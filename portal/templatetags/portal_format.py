"""The template side of ``portal.formatting``: ``when``, ``day``, ``clock``, ``zone`` and
``iso``. Registered as a built-in library in settings, so every template (pages, emails,
allauth's) has them without a ``{% load %}``; ``|date:`` and ``|time:`` are not used."""

from __future__ import annotations

from datetime import date, datetime

from django import template

from portal.formatting import format_clock, format_day, format_iso, format_when, format_zone

register = template.Library()


@register.filter(expects_localtime=False)
def when(value: datetime | None) -> str:
    """``{{ moment|when }}`` → ``2 Dec 2026, 14:05`` in the practice's zone."""
    return format_when(value) if isinstance(value, datetime) else ""


@register.filter(expects_localtime=False)
def day(value: date | datetime | None) -> str:
    """``{{ day_or_moment|day }}`` → ``2 Dec 2026``."""
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
