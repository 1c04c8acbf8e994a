"""Who else reads an answer: the definition format's audience and visibility, instruments of
whole-number single choices, the words a person is told, and the ``shared_answers`` gate
that everything shown to a partner goes through.

No database: these tests read definitions and the frozen classes of ``intake.schema``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.answers import clean_answer
from intake.question_types import AnswerError
from intake.schema import IN_PERSON, DefinitionError, Questionnaire, parse_definition
from intake.scoring import score
from intake.visibility import shared_answers, shared_summary, visibility_words


def _options(*values: int) -> list[dict[str, Any]]:
    return [{"value": value, "label": f"Worth {value}"} for value in values]


def couple_definition() -> dict[str, Any]:
    """A small valid couple questionnaire; each malformed case below breaks it in one way.

    Shared page "together" with a private question on it; private page "alone" with a
    shared question on it; a scored scale of two whole-number single choices (0-4, 1-3);
    a shared follow-up that hinges on a shared answer; a shared group.
    """
    return {
        "slug": "small-couple",
        "version": "1",
        "title": "Small couple",
        "audience": "couple",
        "sections": [
            {
                "id": "together",
                "title": "Together",
                "visibility": "shared",
                "questions": [
                    {"id": "hopes", "type": "long_text", "label": "Hopes"},
                    {"id": "secret", "type": "long_text", "label": "Secret",
                     "visibility": "private", "sensitive": True},
                    {"id": "children", "type": "yes_no", "label": "Children?"},
                    {"id": "children_ages", "type": "short_text", "label": "Ages",
                     "condition": {"question": "children", "equals": "yes"}},
                    {"id": "people", "type": "group", "label": "People", "max_items": 3,
                     "questions": [{"id": "person", "type": "short_text", "label": "Name"}]},
                ],
            },
            {
                "id": "alone",
                "title": "Alone",
                "visibility": "private",
                "questions": [
                    {"id": "closeness", "type": "single_choice", "label": "Closeness",
                     "required": True, "options": _options(0, 1, 2, 3, 4)},
                    {"id": "warmth", "type": "single_choice", "label": "Warmth",
                     "required": True, "options": _options(1, 2, 3)},
                    {"id": "afraid", "type": "yes_no", "label": "Afraid?", "sensitive": True},
                    {"id": "goal", "type": "long_text", "label": "Goal",
                     "visibility": "shared"},
                ],
            },
        ],
        "instruments": [
            {
                "id": "bond",
                "title": "Bond",
                "attribution": "Made up for this test.",
                "interpretation": "Below 4 suggests a loose bond. Not a diagnosis.",
                "items": ["closeness", "warmth"],
                "bands": [
                    {"min": 1, "max": 3, "label": "Loose"},
                    {"min": 4, "max": 7, "label": "Close"},
                ],
            }
        ],
        "safety": [{"question": "afraid", "in": ["yes", IN_PERSON]}],
    }


@pytest.fixture(scope="module")
def couple() -> Questionnaire:
    return parse_definition(couple_definition())


# --- Visibility in the definition ---------------------------------------------------------


def test_a_question_has_its_sections_visibility_unless_it_says_otherwise(
    couple: Questionnaire,
) -> None:
    assert couple.audience == "couple"
    assert couple.visibility_of("hopes") == "shared"
    assert couple.visibility_of("secret") == "private"  # private on a shared page
    assert couple.visibility_of("closeness") == "private"
    assert couple.visibility_of("goal") == "shared"  # shared on a private page


def test_a_group_question_takes_its_groups_visibility(couple: Questionnaire) -> None:
    assert couple.visibility_of("person") == couple.visibility_of("people") == "shared"


def test_shared_question_ids_are_the_answer_keys_the_partner_may_read(
    couple: Questionnaire,
) -> None:
    assert couple.shared_question_ids() == {"hopes", "children", "children_ages", "people",
                                            "goal"}


def test_an_unknown_question_has_no_visibility_rather_than_a_guessed_one(
    couple: Questionnaire,
) -> None:
    with pytest.raises(KeyError):
        couple.visibility_of("nowhere")


def test_an_individual_questionnaire_keeps_every_answer_private() -> None:
    data = couple_definition()
    del data["audience"]
    for section in data["sections"]:
        del section["visibility"]
        for question in section["questions"]:
            question.pop("visibility", None)
    individual = parse_definition(data)
    assert individual.audience == "individual"
    assert not individual.is_shared_between_people
    assert individual.shared_question_ids() == frozenset()
    assert {individual.visibility_of(q) for q in ("hopes", "goal", "person")} == {"private"}
    assert shared_answers(individual, {"hopes": "Calmer evenings", "goal": "Talk"}) == {}


@pytest.mark.parametrize("audience", ["couple", "family", "adolescent"])
def test_every_audience_shared_between_people_is_accepted(audience: str) -> None:
    data = couple_definition()
    data["audience"] = audience
    assert parse_definition(data).audience == audience


def _questions(data: dict[str, Any], section: int = 0) -> list[dict[str, Any]]:
    return data["sections"][section]["questions"]


def unknown_audience(data: dict[str, Any]) -> None:
    data["audience"] = "team"


def section_without_visibility(data: dict[str, Any]) -> None:
    del data["sections"][1]["visibility"]


def section_visibility_misspelt(data: dict[str, Any]) -> None:
    data["sections"][0]["visibility"] = "public"


def question_visibility_misspelt(data: dict[str, Any]) -> None:
    _questions(data)[1]["visibility"] = "secret"


def visibility_inside_a_group(data: dict[str, Any]) -> None:
    _questions(data)[4]["questions"][0]["visibility"] = "private"


def visibility_on_an_individual_section(data: dict[str, Any]) -> None:
    data["audience"] = "individual"
    for section in data["sections"][1:]:
        del section["visibility"]


def visibility_on_an_individual_question(data: dict[str, Any]) -> None:
    del data["audience"]
    for section in data["sections"]:
        del section["visibility"]
    _questions(data, 1)[3]["visibility"] = "shared"  # the only one left is "goal"
    _questions(data)[1].pop("visibility")


def shared_question_hinging_on_a_private_answer(data: dict[str, Any]) -> None:
    # Shown only when the private "secret" is answered: being there would give it away.
    _questions(data)[3]["condition"] = {"question": "secret", "answered": True}


def shared_section_hinging_on_a_private_answer(data: dict[str, Any]) -> None:
    data["sections"].append({
        "id": "afterwards", "title": "Afterwards", "visibility": "shared",
        "condition": {"question": "afraid", "equals": "yes"},
        "questions": [{"id": "later", "type": "long_text", "label": "Later"}],
    })


def shared_question_on_a_private_page_hinging_on_it(data: dict[str, Any]) -> None:
    data["sections"][1]["condition"] = {"question": "secret", "answered": True}


MALFORMED = [
    pytest.param(unknown_audience, "questionnaire", "'audience' is one of", id="unknown audience"),
    pytest.param(section_without_visibility, "sections[1]", "declares 'visibility'",
                 id="section without visibility"),
    pytest.param(section_visibility_misspelt, "sections[0]", "private or shared, not 'public'",
                 id="section visibility misspelt"),
    pytest.param(question_visibility_misspelt, "sections[0].questions[1] (secret)",
                 "private or shared, not 'secret'", id="question visibility misspelt"),
    pytest.param(visibility_inside_a_group,
                 "sections[0].questions[4] (people).questions[0] (person)",
                 "take their group's visibility", id="visibility inside a group"),
    pytest.param(visibility_on_an_individual_section, "sections[0]",
                 "only for couple, family or adolescent", id="visibility on an individual page"),
    pytest.param(visibility_on_an_individual_question, "sections[1].questions[3] (goal)",
                 "only for couple, family or adolescent",
                 id="visibility on an individual question"),
    pytest.param(shared_question_hinging_on_a_private_answer,
                 "sections[0].questions[3] (children_ages)", "private answer to 'secret'",
                 id="shared question hinging on a private answer"),
    pytest.param(shared_section_hinging_on_a_private_answer, "sections[2]",
                 "private answer to 'afraid'", id="shared page hinging on a private answer"),
    pytest.param(shared_question_on_a_private_page_hinging_on_it,
                 "sections[1].questions[3] (goal)", "private answer to 'secret'",
                 id="shared question on a page hinging on a private answer"),
]


@pytest.mark.parametrize(("break_it", "path", "message"), MALFORMED)
def test_a_malformed_visibility_is_refused_with_the_path_of_the_problem(
    break_it: Callable[[dict[str, Any]], None], path: str, message: str
) -> None:
    data = copy.deepcopy(couple_definition())
    break_it(data)
    with pytest.raises(DefinitionError) as refused:
        parse_definition(data)
    assert str(refused.value).startswith(f"{path}:"), str(refused.value)
    assert message in str(refused.value)


# --- Instruments of whole-number single choices -------------------------------------------


def test_an_instrument_runs_from_its_items_lowest_to_highest_values(
    couple: Questionnaire,
) -> None:
    bond = couple.instruments[0]
    assert (bond.min_total, bond.max_total) == (1, 7)
    assert bond.interpretation == "Below 4 suggests a loose bond. Not a diagnosis."


@pytest.mark.parametrize(("closeness", "warmth", "band"), [
    (0, 1, "Loose"), (2, 1, "Loose"), (2, 2, "Close"), (4, 3, "Close"),
])
def test_whole_number_single_choices_are_summed_into_their_bands(
    couple: Questionnaire, closeness: int, warmth: int, band: str
) -> None:
    result = score(couple.instruments[0], {"closeness": closeness, "warmth": warmth})
    assert result is not None
    assert (result.total, result.max_total, result.band) == (closeness + warmth, 7, band)


@pytest.mark.parametrize("answers", [
    {"closeness": 2},  # not every item answered
    {"closeness": 5, "warmth": 1},  # a number the item cannot have
    {"closeness": 2, "warmth": True},  # a boolean is never a score
    {"closeness": "2", "warmth": 1},  # text, not a stored whole number
])
def test_no_score_without_a_whole_number_each_item_can_have(
    couple: Questionnaire, answers: dict[str, Any]
) -> None:
    assert score(couple.instruments[0], answers) is None


@pytest.mark.parametrize(("posted", "stored"), [("0", 0), ("4", 4), (["3"], 3), (2, 2)])
def test_a_whole_number_choice_is_stored_as_its_number(
    couple: Questionnaire, posted: Any, stored: int
) -> None:
    answer = clean_answer(couple.question("closeness"), posted)
    assert answer == stored and type(answer) is int


@pytest.mark.parametrize("posted", ["5", "-0", " 3", "03", "³", "3.0", 3.0, True, "9" * 5000])
def test_a_whole_number_choice_refuses_anything_but_an_options_exact_digits(
    couple: Questionnaire, posted: Any
) -> None:
    with pytest.raises(AnswerError):
        clean_answer(couple.question("closeness"), posted)


def single_choice_with_mixed_values(data: dict[str, Any]) -> None:
    _questions(data, 1)[0]["options"].append({"value": "lots", "label": "Lots"})


def single_choice_with_a_boolean_value(data: dict[str, Any]) -> None:
    _questions(data, 1)[0]["options"][1]["value"] = True


def single_choice_with_a_negative_value(data: dict[str, Any]) -> None:
    _questions(data, 1)[0]["options"][0]["value"] = -1


def scale_item_of_identifiers(data: dict[str, Any]) -> None:
    data["instruments"][0]["items"].append("children")


def optional_scale_item(data: dict[str, Any]) -> None:
    _questions(data, 1)[1]["required"] = False


def bands_starting_at_zero_below_the_lowest_total(data: dict[str, Any]) -> None:
    data["instruments"][0]["bands"][0]["min"] = 0


def bands_stopping_short_of_the_highest_total(data: dict[str, Any]) -> None:
    data["instruments"][0]["bands"][1]["max"] = 6


def bands_overlapping(data: dict[str, Any]) -> None:
    data["instruments"][0]["bands"][1]["min"] = 3


def unknown_instrument_key(data: dict[str, Any]) -> None:
    data["instruments"][0]["cutoff"] = 4


MALFORMED_INSTRUMENTS = [
    pytest.param(single_choice_with_mixed_values, "sections[1].questions[0] (closeness)",
                 "not a mix", id="identifiers and numbers mixed"),
    pytest.param(single_choice_with_a_boolean_value,
                 "sections[1].questions[0] (closeness).options[1]", "whole numbers 0 to 100",
                 id="a boolean option value"),
    pytest.param(single_choice_with_a_negative_value,
                 "sections[1].questions[0] (closeness).options[0]", "whole numbers 0 to 100",
                 id="a negative option value"),
    pytest.param(scale_item_of_identifiers, "instruments[0]",
                 "'children' is not a top-level frequency question, nor a single choice",
                 id="an item answered in identifiers"),
    pytest.param(optional_scale_item, "instruments[0]", "must be required",
                 id="an optional item"),
    pytest.param(bands_starting_at_zero_below_the_lowest_total, "instruments[0].bands[0]",
                 "run on from 1", id="bands starting below the lowest total"),
    pytest.param(bands_stopping_short_of_the_highest_total, "instruments[0]",
                 "cover 1 to 7 exactly", id="bands stopping short"),
    pytest.param(bands_overlapping, "instruments[0].bands[1]", "run on from 4",
                 id="bands overlapping"),
    pytest.param(unknown_instrument_key, "instruments[0]", "unknown keys ['cutoff']",
                 id="unknown instrument key"),
]


@pytest.mark.parametrize(("break_it", "path", "message"), MALFORMED_INSTRUMENTS)
def test_a_malformed_instrument_is_refused_with_the_path_of_the_problem(
    break_it: Callable[[dict[str, Any]], None], path: str, message: str
) -> None:
    data = copy.deepcopy(couple_definition())
    break_it(data)
    with pytest.raises(DefinitionError) as refused:
        parse_definition(data)
    assert str(refused.value).startswith(f"{path}:"), str(refused.value)
    assert message in str(refused.value)


# --- The words ----------------------------------------------------------------------------


def test_the_couple_words_say_plainly_who_sees_what() -> None:
    shared = visibility_words("couple", "shared")
    private = visibility_words("couple", "private")
    assert shared is not None and private is not None
    assert (shared.badge, shared.notice) == (
        "Shared with your partner", "Your partner will see these answers.")
    assert private.badge == "Private"
    assert private.notice == ("Private: only you and your care team will see these answers. "
                              "Your partner will not.")
    # The page shows the badge, then the explanation: "Private" is said once.
    assert not private.explanation.startswith("Private")
    assert (shared.answer_mark, private.answer_mark) == ("Your partner will see this", "Private")


@pytest.mark.parametrize(("audience", "shared_notice", "private_ending"), [
    ("family", "The other adults in your family's case will see these answers.",
     "The other people in your family's case will not."),
    ("adolescent", "Your parents or guardians will see these answers.",
     "Your parents or guardians will not."),
])
def test_each_audience_names_who_the_others_are(
    audience: str, shared_notice: str, private_ending: str
) -> None:
    shared = visibility_words(audience, "shared")
    private = visibility_words(audience, "private")
    assert shared is not None and shared.notice == shared_notice
    assert private is not None and private.notice.startswith(
        "Private: only you and your care team will see these answers.")
    assert private.notice.endswith(private_ending)


def test_an_individual_questionnaire_has_nothing_to_say_about_sharing() -> None:
    assert visibility_words("individual", "private") is None


@pytest.mark.parametrize(("count", "line"), [
    (0, "None of your answers will be shared with your partner."),
    (1, "1 of your answers will be shared with your partner."),
    (7, "7 of your answers will be shared with your partner."),
])
def test_the_review_summary_counts_the_shared_answers(count: int, line: str) -> None:
    assert shared_summary("couple", count) == line


# --- The gate: shared_answers -------------------------------------------------------------

EVERY_ANSWER: dict[str, Any] = {
    "hopes": "Fewer arguments",
    "secret": "canary-private-secret",
    "children": "yes",
    "children_ages": "4 and 7",
    "people": [{"person": "Sam", "smuggled": "canary-smuggled"}],
    "closeness": 3,
    "warmth": 2,
    "afraid": "yes",
    "goal": "Talk kindly",
    "not_a_question": "canary-unknown",
}


def test_the_partner_gets_only_the_shared_shown_answers(couple: Questionnaire) -> None:
    assert shared_answers(couple, EVERY_ANSWER) == {
        "hopes": "Fewer arguments",
        "children": "yes",
        "children_ages": "4 and 7",
        "people": [{"person": "Sam"}],  # a key the group does not ask is dropped too
        "goal": "Talk kindly",
    }


def test_an_answer_a_condition_now_hides_is_never_shared(couple: Questionnaire) -> None:
    # "children" changed to no: the ages answer is stale, and not shared.
    answers = {**EVERY_ANSWER, "children": "no"}
    assert "children_ages" not in shared_answers(couple, answers)


def test_the_shared_copy_cannot_change_what_is_stored(couple: Questionnaire) -> None:
    answers = copy.deepcopy(EVERY_ANSWER)
    shared = shared_answers(couple, answers)
    shared["people"][0]["person"] = "changed"
    assert answers["people"][0]["person"] == "Sam"


ANSWER_KEYS = st.sampled_from(
    ["hopes", "secret", "children", "children_ages", "people", "person", "closeness", "warmth",
     "afraid", "goal"]) | st.text(min_size=1, max_size=12)
ANSWER_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10) | st.text(max_size=8)
    | st.sampled_from(["yes", "no", IN_PERSON]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["person", "secret", "x"]) | st.text(max_size=5), inner,
                      max_size=3),
    max_leaves=8,
)


@given(answers=st.dictionaries(ANSWER_KEYS, ANSWER_VALUES, max_size=12))
def test_no_private_hidden_or_unknown_answer_ever_reaches_the_partner(
    answers: dict[str, Any],
) -> None:
    questionnaire = parse_definition(couple_definition())
    shared = shared_answers(questionnaire, answers)
    allowed = questionnaire.shared_question_ids()
    for key in shared:
        assert key in allowed  # never a private or unknown key
        assert key in answers
        question = questionnaire.question(key)
        if question.condition is not None:
            assert question.condition.holds(answers)  # never a hidden question's answer
    for key, value in shared.items():
        if key == "people" and isinstance(value, list):
            # A group's entries hold only the group's own questions.
            assert all(set(entry) <= {"person"} for entry in value)
        else:
            assert value == answers[key]
