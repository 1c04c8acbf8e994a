"""Radio buttons and checkboxes whose options are written in Python.

An intake page draws every option of every choice question (a page of PHQ-9 and GAD-7 has
over sixty), and Django renders each option's ``<input>`` through three nested widget
templates. ``RadioOptions`` and ``CheckboxOptions`` write the same ``<input>`` directly,
escaped as the templates escape; everything else about the widgets (their
choices, ids, ``checked``, the whole-widget rendering) is Django's.
``tests/intake/test_widgets.py`` holds the markup equal to Django's own templates'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString, mark_safe

OPTION_TEMPLATES = frozenset({"django/forms/widgets/radio_option.html",
                              "django/forms/widgets/checkbox_option.html"})


def option_input(widget: Mapping[str, Any]) -> SafeString:
    """One option's ``<input>`` as Django's ``input.html`` and ``attrs.html`` write it:
    type, name, the value unless None, then each attribute (a True one bare, a False one
    left out), every name and value escaped as the templates escape them."""
    parts = [f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"']
    if widget["value"] is not None:
        parts.append(f' value="{escape(widget["value"])}"')
    for name, value in widget["attrs"].items():
        if value is False:
            continue
        parts.append(f" {escape(name)}" if value is True
                     else f' {escape(name)}="{escape(value)}"')
    parts.append(">")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703 - every part escaped above


class _OptionsInPython:
    """Renders an option's own ``<input>`` (``BoundWidget.tag()``, no wrapping label) with
    ``option_input``; anything else through Django's templates."""

    def _render(self, template_name: str, context: dict[str, Any],
                renderer: Any = None) -> SafeString:
        widget = context["widget"]
        if template_name in OPTION_TEMPLATES and not widget.get("wrap_label"):
            return option_input(widget)
        return super()._render(template_name, context, renderer)  # type: ignore[misc]


class RadioOptions(_OptionsInPython, forms.RadioSelect):
    """Django's ``RadioSelect``, its options' inputs written by ``option_input``."""


class CheckboxOptions(_OptionsInPython, forms.CheckboxSelectMultiple):
    """Django's ``CheckboxSelectMultiple``, its options' inputs written by ``option_input``."""
