"""Answers are checked on the server against their questions; scores and the safety rule
follow the published instruments; shipped definitions are stored as immutable versions."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from intake.answers import (
    UNKNOWN_QUESTION,
    AnswerError,
    clean_answer,
    clean_section,
    missing_answers,
)
from intake.definitions import DEFAULT_FILE, install_definition, read_definition
from intake.models import ImmutableVersionError, QuestionnaireVersion
from intake.schema import IN_PERSON, DefinitionError, Questionnaire, parse_definition
from intake.scoring import needs_prompt_review, score

FREQUENCY = [
    {"value": 0, "label": "Not at all"},
    {"value": 1, "label": "Several days"},
    {"value": 2, "label": "More than half the days"},
    {"value": 3, "label": "Nearly every day"},
]
SMALL: dict[str, Any] = {
    "slug": "small",
    "version": "1",
    "title": "Small",
    "sections": [
        {
            "id": "first",
            "title": "First",
            "questions": [
                {"id": "name", "type": "short_text", "label": "Name", "required": True,
                 "max_length": 20},
                {"id": "story", "type": "long_text", "label": "Story", "max_length": 50,
                 "sensitive": True},
                {"id": "heard", "type": "single_choice", "label": "Heard",
                 "options": [{"value": "friend", "label": "A friend"},
                             {"value": "other", "label": "Other"}]},
                {"id": "heard_other", "type": "short_text", "label": "Tell us more",
                 "condition": {"question": "heard", "equals": "other"}},
                {"id": "times", "type": "multiple_choice", "label": "Times",
                 "options": [{"value": "mornings", "label": "Mornings"},
                             {"value": "evenings", "label": "Evenings"}]},
                {"id": "low", "type": "frequency", "label": "Feeling low", "options": FREQUENCY},
                {"id": "unsafe", "type": "yes_no", "label": "Unsafe", "sensitive": True},
                {"id": "born", "type": "date", "label": "Born", "not_future": True,
                 "required": True},
                {"id": "kids", "type": "number", "label": "Children", "min_value": 0,
                 "max_value": 20},
                {"id": "people", "type": "group", "label": "People", "max_items": 2,
                 "questions": [
                     {"id": "person_name", "type": "short_text", "label": "Name",
                      "max_length": 10},
                     {"id": "person_kind", "type": "single_choice", "label": "Who",
                      "options": [{"value": "friend", "label": "Friend"},
                                  {"value": "family", "label": "Family"}]},
                 ]},
            ],
        },
        {
            "id": "second",
            "title": "Second",
            "condition": {"question": "heard", "equals": "friend"},
            "questions": [{"id": "friend_name", "type": "short_text", "label": "Who",
                           "required": True}],
        },
    ],
}


@pytest.fixture
def small() -> Questionnaire:
    return parse_definition(copy.deepcopy(SMALL))


@pytest.fixture(scope="module")
def shipped() -> Questionnaire:
    return parse_definition(read_definition())


TOMORROW = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()  # noqa: DTZ011


@pytest.mark.parametrize(
    ("question_id", "raw", "message"),
    [
        ("name", "x" * 21, "Please keep this to 20 characters (it is 21 now)."),
        ("name", ["a", "b"], "Please choose one answer."),
        ("name", 42, "Please type your answer as text."),
        ("heard", "radio", "Please choose one of the options."),
        ("heard", IN_PERSON, "Please choose one of the options."),  # not a sensitive question
        ("times", ["mornings", "noon"], "Please choose from the options."),
        ("times", ["mornings", "mornings"], "Please choose from the options."),
        ("low", "4", "Please choose how often"),
        ("low", -1, "Please choose how often"),
        ("low", True, "Please choose how often"),
        ("low", "often", "Please choose how often"),
        ("unsafe", "maybe", "Please choose one of the options."),
        ("born", "2001-02-30", "Please enter a date"),
        ("born", "21/04/1990", "Please enter a date"),
        ("born", TOMORROW, "This date can't be in the future."),
        ("born", "1850-01-01", "Please check the year."),
        ("kids", "21", "Please enter a whole number from 0 to 20."),
        ("kids", "2.5", "Please enter a whole number from 0 to 20."),
        ("kids", "12abc", "Please enter a whole number from 0 to 20."),
        ("people", [{"person_name": "a"}] * 3, "You can add up to 2 here."),
        ("people", [{"nickname": "a"}], "could not be read"),
        ("people", "Ann", "could not be read"),
        ("people", [{"person_name": "x" * 11}], "Entry 1, Name: Please keep this to 10"),
    ],
)
def test_each_kind_of_bad_answer_gets_a_plain_message(
    small: Questionnaire, question_id: str, raw: Any, message: str
) -> None:
    with pytest.raises(AnswerError) as caught:
        clean_answer(small.question(question_id), raw)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("question_id", "raw", "stored"),
    [
        ("name", "  <b>Robin</b>\x00  ", "<b>Robin</b>"),  # HTML kept as text, shown escaped
        ("story", "line one\r\nline two", "line one\nline two"),
        ("story", IN_PERSON, IN_PERSON),
        ("unsafe", IN_PERSON, IN_PERSON),
        ("times", ["evenings", "mornings"], ["mornings", "evenings"]),
        ("low", "0", 0),
        ("low", ["3"], 3),
        ("born", "1990-04-21", "1990-04-21"),
        ("kids", "0", 0),
        ("people", [{"person_name": "Ann", "person_kind": "family"}, {}],
         [{"person_name": "Ann", "person_kind": "family"}]),
    ],
)
def test_good_answers_are_stored_in_one_plain_form(
    small: Questionnaire, question_id: str, raw: Any, stored: Any
) -> None:
    assert clean_answer(small.question(question_id), raw) == stored


def test_a_rejected_answer_keeps_what_was_saved_and_other_answers_go_through(
    small: Questionnaire,
) -> None:
    saved = {"name": "Robin", "kids": 2}
    result = clean_section(small, small.section("first"),
                           {"name": "x" * 99, "kids": "3", "low": "1"}, saved)
    assert set(result.errors) == {"name"}
    assert result.answers["name"] == "Robin"
    assert result.answers["kids"] == 3
    assert result.answers["low"] == 1


def test_answers_for_questions_not_on_the_page_are_refused(small: Questionnaire) -> None:
    result = clean_section(small, small.section("first"),
                           {"name": "Robin", "friend_name": "Sam"}, {})
    assert UNKNOWN_QUESTION in result.errors
    assert "friend_name" not in result.answers
    assert result.answers["name"] == "Robin"


def test_an_answer_hidden_by_a_changed_choice_is_dropped(small: Questionnaire) -> None:
    first = clean_section(small, small.section("first"),
                          {"heard": "other", "heard_other": "A poster"}, {})
    assert first.answers["heard_other"] == "A poster"
    second = clean_section(small, small.section("first"), {"heard": "friend"}, first.answers)
    assert "heard_other" not in second.answers


def test_an_autosave_of_one_field_keeps_the_rest_of_the_page(small: Questionnaire) -> None:
    saved = {"name": "Robin", "born": "1990-04-21"}
    result = clean_section(small, small.section("first"), {"kids": "1"}, saved)
    assert result.answers == {"name": "Robin", "born": "1990-04-21", "kids": 1}


def test_missing_answers_follow_conditions(small: Questionnaire) -> None:
    assert missing_answers(small, {}) == ["name", "born"]
    answers = {"name": "Robin", "born": "1990-04-21", "heard": "friend"}
    assert missing_answers(small, answers) == ["friend_name"]  # the second page now shows
    answers["heard"] = "other"
    assert missing_answers(small, answers) == []


PHQ9_EDGES = [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
              (14, "Moderate"), (15, "Moderately severe"), (19, "Moderately severe"),
              (20, "Severe"), (27, "Severe")]
GAD7_EDGES = [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
              (14, "Moderate"), (15, "Severe"), (21, "Severe")]


def _answers_totalling(items: tuple[str, ...], total: int) -> dict[str, int]:
    answers = {}
    for item in items:
        answers[item] = min(3, total)
        total -= answers[item]
    return answers


@pytest.mark.parametrize(("instrument_id", "total", "band"),
                         [("phq9", *edge) for edge in PHQ9_EDGES]
                         + [("gad7", *edge) for edge in GAD7_EDGES])
def test_scores_fall_in_the_published_band_at_every_edge(
    shipped: Questionnaire, instrument_id: str, total: int, band: str
) -> None:
    instrument = next(i for i in shipped.instruments if i.id == instrument_id)
    result = score(instrument, _answers_totalling(instrument.items, total))
    assert result is not None
    assert (result.total, result.band) == (total, band)


def test_no_score_until_every_item_is_answered(shipped: Questionnaire) -> None:
    phq9 = next(i for i in shipped.instruments if i.id == "phq9")
    answers = _answers_totalling(phq9.items, 27)
    del answers["phq9_5"]
    assert score(phq9, answers) is None


@pytest.mark.parametrize(("item_9", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item_9_above_not_at_all_needs_prompt_review(
    shipped: Questionnaire, item_9: int, flagged: bool
) -> None:
    assert needs_prompt_review(shipped, {"phq9_9": item_9}) is flagged


@pytest.mark.parametrize(("answer", "flagged"),
                         [("yes", True), ("no", False), (IN_PERSON, True)])
def test_current_thoughts_of_ending_life_need_prompt_review(
    shipped: Questionnaire, answer: str, flagged: bool
) -> None:
    answers = {"thoughts_of_ending_life_now": answer, "phq9_9": 0}
    assert needs_prompt_review(shipped, answers) is flagged


@pytest.mark.django_db
def test_the_shipped_questionnaire_is_stored_once_and_never_changes() -> None:
    first = install_definition()
    assert install_definition().pk == first.pk
    assert QuestionnaireVersion.objects.count() == 1
    assert first.questionnaire.section("feelings").title
    first.title = "Something else"
    with pytest.raises(ImmutableVersionError):
        first.save()


@pytest.mark.django_db
def test_a_changed_file_under_the_same_version_is_refused(tmp_path: Path) -> None:
    install_definition()
    changed = json.loads(DEFAULT_FILE.read_text(encoding="utf-8"))
    changed["sections"][0]["title"] = "Quietly edited"
    path = tmp_path / "default.json"
    path.write_text(json.dumps(changed), encoding="utf-8")
    with pytest.raises(DefinitionError, match="new version number"):
        install_definition(path)
    changed["version"] = "3"
    path.write_text(json.dumps(changed), encoding="utf-8")
    assert install_definition(path).version == "3"
