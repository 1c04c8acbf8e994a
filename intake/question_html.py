"""One question of an intake page, its markup written in Python.

A page of the intake draws each of its questions (a page of PHQ-9 and GAD-7 holds sixteen,
a repeating group each of its entries' questions again) through a template include, and
Django's template language spent about three quarters of a page's question markup on the
include machinery, variable lookups and tags rather than on the fields themselves
(docs/performance.md, "A page's questions in Python"). ``question_html`` writes the same
markup directly: every value escaped as the template escaped it (``conditional_escape``,
so the fields' and options' own safe markup passes as it is), texts of another language
marked (``lang_marked``, ``lang_attr``), the same translated words (the portal's own, put
in as they are, as ``{% translate %}`` puts its literals).
``tests/intake/test_question_html.py`` holds it equal to the templates it replaced, for
every question of every shipped questionnaire in both languages, with errors, visibility
badges, language notes and hostile texts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.formats import localize
from django.utils.html import conditional_escape as escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from portal.templatetags.portal_lang import lang_attr, lang_marked

if TYPE_CHECKING:
    from intake.forms import GroupBlock, QuestionItem
    from intake.visibility import VisibilityWords


def instrument_language_note() -> SafeString:
    """Why a published questionnaire (the CSI-4) is asked in English of a reader of another
    language: it has no official translation (``UNTRANSLATED_INSTRUMENT``). Shown by the
    intake and by check-ins."""
    return mark_safe(  # noqa: S308  # nosec B308 B703 - the portal's own words, no value
        '<p class="intake-language-note">' + gettext(
            "This questionnaire is only available in English: there is no official "
            "translation into your language, and its questions must be asked in its "
            "authors' exact words. You can answer in English, or ask your therapist for "
            "help.") + "</p>")


def question_html(item: QuestionItem, visibility: VisibilityWords | None = None) -> SafeString:
    """The question ``item`` as the page shows it, with its ``visibility`` badge when it
    differs from its page's (``intake.visibility``)."""
    parts: list[str] = []
    _question(parts, item, visibility)
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703 - every part escaped


def _text(value: Any) -> str:
    """A value as ``{{ value }}`` writes it: localized, then escaped unless already safe."""
    return escape(localize(value))


def _question(parts: list[str], item: QuestionItem, visibility: VisibilityWords | None) -> None:
    question = item.question
    if question.language_note == "instrument":
        parts.append(instrument_language_note())
    elif question.language_note:
        parts.append('<p class="intake-language-note">'
                     + gettext("These questions are only available in English.")
                     + "</p>")
    parts.append('<div class="intake-question' + (" has-error" if item.error else "")
                 + f'" id="{_text(item.dom_id)}" data-question="{_text(item.name)}"')
    if item.condition:
        parts.append(f' data-condition="{_text(item.condition)}"')
    parts.append(">")
    if item.is_fieldset:
        parts.append('<fieldset class="intake-fieldset"')
        if item.describedby:
            parts.append(f' aria-describedby="{_text(item.describedby)}"')
        parts.append('><legend class="form-label intake-label">')
        _label(parts, item, visibility)
        parts.append("</legend>")
        _help_and_error(parts, item)
        if item.kind == "group":
            for block in item.blocks:
                if block.shown:
                    _group_entry(parts, block)
            first_hidden = item.first_hidden_block
            if first_hidden:
                _group_more(parts, first_hidden, item)
        else:
            parts.append(f'<div class="intake-options">\n{_text(item.options_html)}\n</div>')
        parts.append("</fieldset>")
    else:
        field = item.field
        parts.append(f'<label class="form-label intake-label" for="'
                     f'{_text(field.auto_id if field is not None else "")}">')
        _label(parts, item, visibility)
        parts.append("</label>")
        _help_and_error(parts, item)
        parts.append(_text(field if field is not None else ""))
        if item.in_person:
            in_person = item.in_person
            parts.append(f'<div class="form-check intake-option intake-in-person">'
                         f'{_text(in_person)}<label class="form-check-label" '
                         f'for="{_text(in_person.auto_id)}">{_text(in_person.label)}'
                         f"</label></div>")
    if question.why:
        parts.append(f'<details class="intake-why"><summary>{gettext("Why we ask this")}'
                     f'</summary><p class="mb-0"{lang_attr(question.why)}>{_text(question.why)}'
                     f"</p></details>")
    parts.append("</div>")


def _label(parts: list[str], item: QuestionItem, visibility: VisibilityWords | None) -> None:
    """The words of a question's ``<label>`` or ``<legend>``: the question, "(required)",
    and the visibility badge when the question has its own."""
    parts.append(lang_marked(item.question.label))
    if item.question.required:
        parts.append(f' <span class="intake-required">{gettext("(required)")}</span>')
    if visibility:
        parts.append(f' <span class="intake-visibility-badge intake-visibility-'
                     f'{_text(visibility.visibility)}">{_text(visibility.badge)}</span>')


def _help_and_error(parts: list[str], item: QuestionItem) -> None:
    """The help text (when there is one) and the error line (hidden while there is no
    error, so the page's script can fill it in)."""
    help_text = item.question.help
    if help_text:
        parts.append(f'<p class="form-text intake-help" id="{_text(item.help_id)}"'
                     f"{lang_attr(help_text)}>{_text(help_text)}</p>")
    parts.append(f'<p class="intake-error" id="{_text(item.error_id)}" '
                 f'data-error-for="{_text(item.name)}"' + ("" if item.error else " hidden") + ">")
    if item.error:
        parts.append(f'<span class="visually-hidden">{gettext("Please check:")} </span>'
                     f"{_text(item.error)}")
    parts.append("</p>")


def _group_entry(parts: list[str], block: GroupBlock) -> None:
    """One entry of a repeating group, its questions inside."""
    legend = gettext("Entry %(number)s") % {"number": _text(block.number)}
    parts.append(f'<fieldset class="intake-entry"><legend class="intake-entry-legend">'
                 f"{legend}</legend>")
    for child in block.items:
        _question(parts, child, None)
    parts.append("</fieldset>")


def _group_more(parts: list[str], block: GroupBlock, group: QuestionItem) -> None:
    """The entries not shown yet, one inside the other: each "Add another" opens the next
    (no script needed)."""
    summary = gettext(
        'Add another<span class="visually-hidden"> to "%(label)s"</span> '
        "(entry %(number)s of %(most)s)"
    ) % {"label": lang_marked(group.question.label), "number": _text(block.number),
         "most": _text(group.question.max_items)}
    parts.append(f'<details class="intake-more"><summary class="intake-more-summary">{summary}'
                 f"</summary>")
    _group_entry(parts, block)
    if block.more:
        _group_more(parts, block.more, group)
    parts.append("</details>")
