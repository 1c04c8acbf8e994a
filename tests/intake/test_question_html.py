"""An intake question written in Python (``intake.question_html``) is the markup the page's
templates drew: every question of every shipped questionnaire, in both languages, answered
and not, with errors, visibility badges, language notes and hostile texts.

The templates it replaced are kept under ``tests/intake/reference_templates`` as the
reference (rendered by their own template engine), as ``test_widgets`` keeps the options'
old loop."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from django.template import Context, Engine
from django.utils import translation

from intake.definitions import read_definition
from intake.forms import QuestionItem, SectionForm
from intake.question_html import instrument_language_note, question_html
from intake.schema import parse_definition
from intake.visibility import VisibilityWords
from portal.i18n.texts import LangText

REFERENCE = Engine(dirs=[str(Path(__file__).parent / "reference_templates")], autoescape=True,
                   libraries={"i18n": "django.templatetags.i18n",
                              "portal_lang": "portal.templatetags.portal_lang"})
QUESTIONNAIRES = Path(__file__).parents[2] / "intake" / "questionnaires"
HOSTILE = '"><script>alert(1)</script> O\'Brien & <b>sons</b> 🙂'
BADGE = VisibilityWords(visibility='shared" onclick="x', badge=HOSTILE, notice="",
                        explanation="", answer_mark="")


def _reference(item: QuestionItem, visibility: VisibilityWords | None) -> str:
    template = REFERENCE.get_template("intake/client/_question.html")
    return template.render(Context({"item": item, "question_visibility": visibility}))


def _tight(html: str) -> str:
    """Whitespace between tags dropped (the templates' indentation), nothing else."""
    return re.sub(r">\s+<", "><", html.strip())


def _items(path: Path, answered: bool) -> Iterator[QuestionItem]:
    questionnaire = parse_definition(read_definition(path))
    for section in questionnaire.sections:
        answers = {q.id: list(q.option_values()[:2]) if q.type == "multiple_choice"
                   else q.option_values()[0]
                   for q in section.questions if q.option_values()} if answered else {}
        yield from SectionForm(questionnaire, section, answers=answers).items()


def _every_child(item: QuestionItem) -> Iterator[QuestionItem]:
    yield item
    for block in item.blocks:
        for child in block.items:
            yield from _every_child(child)


def _hostile(item: QuestionItem, note: str) -> QuestionItem:
    """The item with hostile words everywhere a questionnaire's author or a message can put
    them, an error on every question, a label in another language, and ``note``."""
    for each in _every_child(item):
        each.question = replace(each.question, label=LangText(HOSTILE, "fr"), help=HOSTILE,
                                why=HOSTILE, required=True, language_note=note)
        each.error = HOSTILE
        each.condition = '{"question": "a\\"><b>", "in": ["x"]}'
    return item


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("path", sorted(QUESTIONNAIRES.glob("*.json")), ids=lambda p: p.stem)
def test_every_question_is_the_markup_the_templates_drew(language: str, path: Path) -> None:
    drawn = 0
    kinds: set[str] = set()
    with translation.override(language):
        for answered in (False, True):
            for item in _items(path, answered):
                for visibility in (None, BADGE):
                    written = str(question_html(item, visibility))
                    assert _tight(written) == _tight(_reference(item, visibility)), item.name
                    drawn += 1
                kinds.add(item.kind)
    assert drawn > 20 and len(kinds) >= 3


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("note", ["", "questions", "instrument"])
def test_hostile_texts_errors_and_notes_are_escaped_as_the_templates_escaped_them(
    language: str, note: str,
) -> None:
    groups = 0
    with translation.override(language):
        for item in _items(QUESTIONNAIRES / "default.json", answered=True):
            item = _hostile(item, note)
            groups += item.kind == "group"
            written = str(question_html(item, BADGE))
            assert _tight(written) == _tight(_reference(item, BADGE)), item.name
            assert "<script>" not in written and 'onclick="x' not in written
            assert '<span lang="fr">' in written
    assert groups >= 1


def test_the_instrument_note_is_the_templates_and_is_translated() -> None:
    template = REFERENCE.get_template("intake/client/_instrument_language_note.html")
    for language in ("en", "es"):
        with translation.override(language):
            assert _tight(str(instrument_language_note())) == _tight(template.render(Context()))
    with translation.override("es"):
        assert "solo está disponible en inglés" in str(instrument_language_note())
