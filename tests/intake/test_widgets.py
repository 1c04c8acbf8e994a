"""The intake's radio and checkbox options, written in Python (``intake.widgets``), are the
markup Django's own widget templates write: same attributes in the same order, the same
escaping of hostile text, ``checked`` where chosen, nothing for a False attribute."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import engines
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.definitions import read_definition
from intake.forms import SectionForm
from intake.schema import parse_definition
from intake.widgets import CheckboxOptions, RadioOptions

HOSTILE = ['"><script>alert(1)</script>', "O'Brien & <b>sons</b>", "naïve — 🙂", "  spaced  "]


def _options(widget: forms.Widget, field: type[forms.ChoiceField],
             choices: list[tuple[str, str]], chosen: object,
             attrs: Mapping[str, object]) -> list[str]:
    class Form(forms.Form):
        answer = field(choices=choices, widget=widget, required=False)

    form = Form(initial={"answer": chosen}, renderer=DjangoTemplates())
    form.fields["answer"].widget.attrs.update(attrs)
    return [str(box.tag()) for box in form["answer"]]


@pytest.mark.parametrize(("ours", "django", "field", "chosen"), [
    (RadioOptions, forms.RadioSelect, forms.ChoiceField, "b"),
    (CheckboxOptions, forms.CheckboxSelectMultiple, forms.MultipleChoiceField, ["a", "c"]),
])
def test_options_are_djangos_markup(ours: type[forms.Widget], django: type[forms.Widget],
                                    field: type[forms.ChoiceField], chosen: object) -> None:
    choices = [("a", HOSTILE[0]), ("b", HOSTILE[1]), ("c", HOSTILE[2]), ('"d"', HOSTILE[3])]
    attrs = {"class": "form-check-input", "aria-describedby": 'x" onclick="y',
             "data-on": True, "disabled": False}
    written = _options(ours(), field, choices, chosen, attrs)
    assert written == _options(django(), field, choices, chosen, attrs)
    assert sum(" checked" in html for html in written) == (1 if chosen == "b" else 2)
    assert all("<script>" not in html and "onclick=\"y" not in html for html in written)
    assert all(" disabled" not in html and " data-on" in html for html in written)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4, unique=True),
       label=st.text(max_size=20), extra=st.text(max_size=12))
def test_any_values_and_attributes_write_the_same(values: list[str], label: str,
                                                  extra: str) -> None:
    choices = [(value, label) for value in values]
    attrs = {"class": "form-check-input", "title": extra}
    assert _options(RadioOptions(), forms.ChoiceField, choices, values[0], attrs) == \
        _options(forms.RadioSelect(), forms.ChoiceField, choices, values[0], attrs)
    assert _options(CheckboxOptions(), forms.MultipleChoiceField, choices, values, attrs) == \
        _options(forms.CheckboxSelectMultiple(), forms.MultipleChoiceField, choices, values,
                 attrs)


# The loop the page template used to draw a question's options with (kept here as the
# reference the Python-written options must match).
OLD_OPTIONS_LOOP = (
    "{% load portal_lang %}{% for box in item.field %}<div class=\"form-check intake-option\">"
    "{{ box.tag }}<label class=\"form-check-label\" for=\"{{ box.id_for_label }}\">"
    "{{ box.choice_label|lang_marked }}</label></div>{% endfor %}")


def _tight(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_pages_options_are_what_the_template_loop_drew(language: str) -> None:
    questionnaire = parse_definition(read_definition())
    old_loop = engines["django"].from_string(OLD_OPTIONS_LOOP)
    drawn = checked = 0
    with translation.override(language):
        for section in questionnaire.sections:
            answers = {q.id: list(q.option_values()[:2]) if q.type == "multiple_choice"
                       else q.option_values()[0]
                       for q in section.questions if q.option_values()}
            for item in SectionForm(questionnaire, section, answers=answers).items():
                if item.kind not in ("radio", "checkbox"):
                    continue
                written = str(item.options_html)
                assert _tight(written) == _tight(old_loop.render({"item": item}))
                checked += written.count(" checked")
                drawn += 1
    assert drawn > 10 and checked >= drawn
