"""``{% load intake_questions %}``: an intake question's markup (``intake.question_html``)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from intake import question_html as markup
from intake.forms import QuestionItem
from intake.visibility import VisibilityWords

register = template.Library()


@register.simple_tag
def intake_question(item: QuestionItem, visibility: VisibilityWords | None = None) -> SafeString:
    """``{% intake_question item question_visibility %}``: one question as the page shows
    it (``intake.question_html.question_html``)."""
    return markup.question_html(item, visibility)


@register.simple_tag
def instrument_language_note() -> SafeString:
    """``{% instrument_language_note %}``: why a questionnaire is asked in English."""
    return markup.instrument_language_note()
