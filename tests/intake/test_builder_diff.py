"""The word-level diff of a draft against the version it is based on (pure, no database)."""

from __future__ import annotations

import copy
from typing import Any

from intake.builder.diff import WordPiece, questionnaire_diff, word_pieces

BASE: dict[str, Any] = {
    "slug": "q", "version": "1", "title": {"en": "Intake", "es": "Admisión"},
    "sections": [
        {"id": "one", "title": "First", "questions": [
            {"id": "a", "type": "short_text", "label": {"en": "Your full legal name",
                                                        "es": "Su nombre legal"}},
            {"id": "b", "type": "single_choice", "label": "Pick one",
             "options": [{"value": "x", "label": "Ex"}, {"value": "y", "label": "Why"}]},
            {"instrument": "phq9"},
        ]},
        {"id": "two", "title": "Second", "questions": [
            {"id": "c", "type": "yes_no", "label": "Anything else?"},
            {"id": "d", "type": "long_text", "label": "Tell us"},
        ]},
    ],
}


def _changed(source: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(source)


def test_a_reworded_label_is_marked_word_by_word() -> None:
    new = _changed(BASE)
    new["sections"][0]["questions"][0]["label"]["en"] = "Your full preferred name"
    diff = questionnaire_diff(BASE, new)
    question = diff.sections[0].questions[0]
    assert question.status == "changed"
    (text,) = question.texts
    assert (text.field, text.language) == ("label", "en")
    assert text.pieces == (WordPiece("same", "Your full "), WordPiece("del", "legal"),
                           WordPiece("ins", "preferred"), WordPiece("same", " name"))


def test_punctuation_does_not_mark_the_whole_word() -> None:
    assert word_pieces("Hello there", "Hello there!") == (
        WordPiece("same", "Hello there"), WordPiece("ins", "!"))


def test_nothing_changed_says_so() -> None:
    diff = questionnaire_diff(BASE, copy.deepcopy(BASE))
    assert not diff.changed


def test_added_removed_and_moved_questions_and_sections() -> None:
    new = _changed(BASE)
    first, second = new["sections"]
    d = second["questions"].pop()  # d moves to the first section
    first["questions"].insert(0, d)
    second["questions"].pop()  # c is removed
    second["questions"].append({"id": "e", "type": "short_text", "label": "New one",
                                "condition": {"question": "b", "equals": "x"}})
    new["sections"].append({"id": "three", "title": "Third", "questions": []})
    diff = questionnaire_diff(BASE, new)
    one, two, three = diff.sections
    assert [(q.id, q.status, q.moved_from) for q in one.questions] == [
        ("d", "same", "two"), ("a", "same", ""), ("b", "same", ""),
        ("instrument:phq9", "same", "")]
    assert [(q.id, q.status) for q in two.questions] == [("e", "added"), ("c", "removed")]
    assert two.questions[0].new_condition == {"question": "b", "equals": "x"}
    assert (three.id, three.status) == ("three", "added")
    assert diff.changed


def test_reordering_within_a_section_marks_what_moved() -> None:
    new = _changed(BASE)
    questions = new["sections"][0]["questions"]
    questions.insert(0, questions.pop(2))  # the instrument block goes first
    diff = questionnaire_diff(BASE, new)
    moved = {q.id for q in diff.sections[0].questions if q.moved}
    assert moved == {"instrument:phq9"}
    new["sections"].reverse()
    assert len({s.id for s in questionnaire_diff(BASE, new).sections if s.moved}) == 1


def test_options_conditions_and_settings_are_named() -> None:
    new = _changed(BASE)
    b = new["sections"][0]["questions"][1]
    b["options"] = [{"value": "x", "label": "Ex!"}, {"value": "z", "label": "Zed"}]
    b["required"] = True
    d = new["sections"][1]["questions"][1]
    d["condition"] = {"question": "c", "equals": "yes"}
    new["title"]["es"] = "Admisión nueva"
    diff = questionnaire_diff(BASE, new)
    b_diff = diff.sections[0].questions[1]
    assert [(o.status, o.value) for o in b_diff.options] == [
        ("changed", "x"), ("added", "z"), ("removed", "y")]
    assert b_diff.settings == ("required",)
    d_diff = diff.sections[1].questions[1]
    assert d_diff.condition_changed and d_diff.old_condition is None
    assert [(t.field, t.language) for t in diff.texts] == [("title", "es")]
