"""Small filters for the builder's diff pages (``templates/intake/builder/publish_diff_*``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy

register = template.Library()

FIELD_NAMES: dict[str, Any] = {
    "title": gettext_lazy("Title"),
    "intro": gettext_lazy("Introduction"),
    "content_note": gettext_lazy("Note before the page"),
    "label": gettext_lazy("Question"),
    "help": gettext_lazy("Help text"),
    "why": gettext_lazy("Why we ask this"),
}


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """``mapping[key]``, or None."""
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def diff_field_name(name: str) -> str:
    """A text's name, in words."""
    return str(FIELD_NAMES.get(name, name))
