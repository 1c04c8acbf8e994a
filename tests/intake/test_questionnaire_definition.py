"""The shipped intake questionnaire, and the parser refusing malformed definitions.

No database: these tests read JSON and the frozen classes of ``intake.schema`` only.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import intake
from intake.definitions import read_definition
from intake.schema import (
    IN_PERSON,
    Condition,
    DefinitionError,
    Question,
    Questionnaire,
    parse_definition,
    top_level_questions,
)

DEFAULT_DEFINITION = Path(intake.__file__).parent / "questionnaires" / "default.json"

SECTION_ORDER = [
    "about_you",
    "what_brings_you",
    "feelings",
    "safety",
    "relationships",
    "health",
    "practicalities",
]

FREQUENCY_ANSWERS = [
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
]

PHQ9_STEM = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)
GAD7_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"

# The published wording (Kroenke, Spitzer & Williams 2001; Spitzer et al. 2006).
PHQ9_ITEMS = [
    ("phq9_1", "Little interest or pleasure in doing things"),
    ("phq9_2", "Feeling down, depressed, or hopeless"),
    ("phq9_3", "Trouble falling or staying asleep, or sleeping too much"),
    ("phq9_4", "Feeling tired or having little energy"),
    ("phq9_5", "Poor appetite or overeating"),
    (
        "phq9_6",
        "Feeling bad about yourself — or that you are a failure or have let yourself or "
        "your family down",
    ),
    (
        "phq9_7",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
    ),
    (
        "phq9_8",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual",
    ),
    ("phq9_9", "Thoughts that you would be better off dead or of hurting yourself in some way"),
]
PHQ9_DIFFICULTY = (
    "If you checked off any problems, how difficult have these problems made it for you to do "
    "your work, take care of things at home, or get along with other people?"
)
PHQ9_DIFFICULTY_ANSWERS = [
    "Not difficult at all",
    "Somewhat difficult",
    "Very difficult",
    "Extremely difficult",
]

GAD7_ITEMS = [
    ("gad7_1", "Feeling nervous, anxious or on edge"),
    ("gad7_2", "Not being able to stop or control worrying"),
    ("gad7_3", "Worrying too much about different things"),
    ("gad7_4", "Trouble relaxing"),
    ("gad7_5", "Being so restless that it is hard to sit still"),
    ("gad7_6", "Becoming easily annoyed or irritable"),
    ("gad7_7", "Feeling afraid as if something awful might happen"),
]

ATTRIBUTION = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute."
)

INSTRUMENTS = [
    (
        "phq9",
        "PHQ-9",
        [item for item, _ in PHQ9_ITEMS],
        [
            (0, 4, "Minimal"),
            (5, 9, "Mild"),
            (10, 14, "Moderate"),
            (15, 19, "Moderately severe"),
            (20, 27, "Severe"),
        ],
    ),
    (
        "gad7",
        "GAD-7",
        [item for item, _ in GAD7_ITEMS],
        [(0, 4, "Minimal"), (5, 9, "Mild"), (10, 14, "Moderate"), (15, 21, "Severe")],
    ),
]


@pytest.fixture(scope="module")
def raw_definition() -> dict[str, Any]:
    # As stored: the instruments' questions written out from their own files.
    return read_definition(DEFAULT_DEFINITION)


@pytest.fixture(scope="module")
def questionnaire(raw_definition: dict[str, Any]) -> Questionnaire:
    return parse_definition(raw_definition)


def every_question(questionnaire: Questionnaire) -> Iterator[Question]:
    """Every question in the file, the children of groups included."""
    for question in top_level_questions(questionnaire):
        yield question
        yield from question.questions


# --- The shipped questionnaire -------------------------------------------------------------


def test_the_shipped_questionnaire_parses(questionnaire: Questionnaire) -> None:
    assert questionnaire.slug == "default-intake"
    assert questionnaire.version == "2"
    assert questionnaire.title.strip()
    assert questionnaire.intro.strip()


def test_the_sections_come_in_the_agreed_order(questionnaire: Questionnaire) -> None:
    assert [section.id for section in questionnaire.sections] == SECTION_ORDER


def test_every_section_has_a_title_and_every_question_a_label(
    questionnaire: Questionnaire,
) -> None:
    for section in questionnaire.sections:
        assert section.title.strip(), section.id
    for question in every_question(questionnaire):
        assert question.label.strip(), question.id


def test_every_question_says_why_we_ask(questionnaire: Questionnaire) -> None:
    missing = [q.id for q in every_question(questionnaire) if not q.why.strip()]
    assert missing == []


def test_every_sensitive_question_explains_why_we_ask(questionnaire: Questionnaire) -> None:
    sensitive = [question for question in every_question(questionnaire) if question.sensitive]
    assert sensitive, "the questionnaire should mark some questions as sensitive"
    for question in sensitive:
        assert question.why.strip(), question.id


def test_every_sensitive_question_is_optional(questionnaire: Questionnaire) -> None:
    for question in every_question(questionnaire):
        if question.sensitive:
            assert not question.required, question.id


@pytest.mark.parametrize(
    "question_id",
    [
        "thoughts_of_ending_life_now",
        "thoughts_of_ending_life_past",
        "past_attempt",
        "self_harm",
        "unsafe_at_home",
        "unsafe_at_home_details",
        "relationship_patterns",
        "drug_use",
        "prior_diagnoses",
    ],
)
def test_questions_about_painful_or_private_things_offer_to_talk_in_person(
    questionnaire: Questionnaire, question_id: str
) -> None:
    assert questionnaire.question(question_id).sensitive


def test_outside_the_scales_only_name_birth_date_main_concern_and_messages_are_required(
    questionnaire: Questionnaire,
) -> None:
    scale_items = {item for instrument in questionnaire.instruments for item in instrument.items}
    required = {
        question.id
        for question in every_question(questionnaire)
        if question.required and question.id not in scale_items
    }
    assert required == {"legal_name", "date_of_birth", "in_your_own_words", "leave_messages"}


def test_the_date_of_birth_cannot_be_in_the_future(questionnaire: Questionnaire) -> None:
    date_of_birth = questionnaire.question("date_of_birth")
    assert date_of_birth.type == "date"
    assert date_of_birth.not_future


def test_no_email_is_asked_because_the_account_already_has_one(
    questionnaire: Questionnaire,
) -> None:
    assert not any("email" in question.id for question in every_question(questionnaire))


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def test_the_wording_holds_no_phone_numbers(raw_definition: dict[str, Any]) -> None:
    # Crisis lines are shown by the templates, per practice; never baked into the questions.
    for text in _texts(raw_definition):
        assert not re.search(r"\d{3,}", text), text


def test_the_intro_explains_saving_skipping_talking_in_person_and_no_live_monitoring(
    questionnaire: Questionnaire,
) -> None:
    intro = questionnaire.intro.lower()
    for phrase in ("save", "come back", "optional", "rather talk about this in person"):
        assert phrase in intro, phrase
    assert "no one is watching" in intro


@pytest.mark.parametrize(
    ("question_id", "controller", "value"),
    [
        ("heard_about_us_other", "heard_about_us", "other"),
        ("unsafe_at_home_details", "unsafe_at_home", "yes"),
        ("earlier_therapy_helped", "earlier_therapy", "yes"),
        ("earlier_therapy_not_helped", "earlier_therapy", "yes"),
        ("message_note", "leave_messages", "yes"),
    ],
)
def test_follow_up_questions_appear_only_after_the_answer_that_calls_for_them(
    questionnaire: Questionnaire, question_id: str, controller: str, value: str
) -> None:
    question = questionnaire.question(question_id)
    assert question.condition == Condition(controller, equals=value)
    assert value in questionnaire.question(controller).option_values()
    assert question.condition.holds({controller: value})
    assert not question.condition.holds({})


def test_no_choice_uses_the_reserved_in_person_value(questionnaire: Questionnaire) -> None:
    for question in every_question(questionnaire):
        assert IN_PERSON not in question.option_values(), question.id


def test_important_people_is_a_group_of_up_to_eight(questionnaire: Questionnaire) -> None:
    group = questionnaire.question("important_people")
    assert group.type == "group"
    assert group.max_items == 8
    children = {child.id: child for child in group.questions}
    assert children["person_name"].max_length == 100
    assert children["person_how_things_are"].max_length == 1000
    assert children["person_relationship"].option_values() == (
        "partner", "ex_partner", "parent", "sibling", "child", "friend", "other",
    )


def test_the_health_page_says_how_substance_use_answers_are_protected(
    questionnaire: Questionnaire,
) -> None:
    intro = questionnaire.section("health").intro.lower()
    assert "encrypted" in intro
    assert "written permission" in intro
    assert "cfr" not in intro


@pytest.mark.parametrize("section_id", ["feelings", "safety"])
def test_pages_with_hard_questions_warn_before_asking(
    questionnaire: Questionnaire, section_id: str
) -> None:
    assert questionnaire.section(section_id).content_note.strip()


# --- PHQ-9 and GAD-7 -----------------------------------------------------------------------


@pytest.mark.parametrize(("question_id", "wording"), PHQ9_ITEMS + GAD7_ITEMS)
def test_scale_items_use_the_published_wording(
    questionnaire: Questionnaire, question_id: str, wording: str
) -> None:
    assert questionnaire.question(question_id).label == wording


@pytest.mark.parametrize(("question_id", "_wording"), PHQ9_ITEMS + GAD7_ITEMS)
def test_scale_items_offer_the_published_answers_and_are_required(
    questionnaire: Questionnaire, question_id: str, _wording: str
) -> None:
    question = questionnaire.question(question_id)
    assert question.type == "frequency"
    assert [(option.value, option.label) for option in question.options] == FREQUENCY_ANSWERS
    assert question.required
    assert not question.sensitive


def test_the_phq9_stem_opens_the_feelings_page(questionnaire: Questionnaire) -> None:
    assert PHQ9_STEM in questionnaire.section("feelings").intro


def test_the_gad7_stem_is_shown_with_its_first_item(questionnaire: Questionnaire) -> None:
    assert GAD7_STEM in questionnaire.question("gad7_1").help


def test_the_feelings_page_lists_phq9_then_its_difficulty_question_then_gad7(
    questionnaire: Questionnaire,
) -> None:
    ids = [question.id for question in questionnaire.section("feelings").questions]
    assert ids == [
        *(item for item, _ in PHQ9_ITEMS),
        "phq9_difficulty",
        *(item for item, _ in GAD7_ITEMS),
    ]


def test_the_phq9_difficulty_question_uses_the_published_wording_and_is_not_scored(
    questionnaire: Questionnaire,
) -> None:
    question = questionnaire.question("phq9_difficulty")
    assert question.type == "single_choice"
    assert question.label == PHQ9_DIFFICULTY
    assert [option.label for option in question.options] == PHQ9_DIFFICULTY_ANSWERS
    assert all("phq9_difficulty" not in i.items for i in questionnaire.instruments)


@pytest.mark.parametrize(("instrument_id", "title", "items", "bands"), INSTRUMENTS)
def test_instruments_sum_their_items_into_the_published_bands(
    questionnaire: Questionnaire,
    instrument_id: str,
    title: str,
    items: list[str],
    bands: list[tuple[int, int, str]],
) -> None:
    (instrument,) = [i for i in questionnaire.instruments if i.id == instrument_id]
    assert instrument.title == title
    assert list(instrument.items) == items
    assert [(band.minimum, band.maximum, band.label) for band in instrument.bands] == bands
    assert instrument.attribution == ATTRIBUTION
    assert instrument.max_total == bands[-1][1]


def test_scale_items_are_top_level_questions(questionnaire: Questionnaire) -> None:
    top_level = {question.id for question in top_level_questions(questionnaire)}
    for instrument in questionnaire.instruments:
        assert set(instrument.items) <= top_level


# --- Safety rules --------------------------------------------------------------------------


def test_safety_rules_flag_any_thoughts_of_death_and_current_thoughts_of_ending_life(
    questionnaire: Questionnaire,
) -> None:
    assert questionnaire.safety == (
        Condition("phq9_9", one_of=(1, 2, 3)),
        # Preferring to talk in person about current thoughts is reviewed promptly too.
        Condition("thoughts_of_ending_life_now", one_of=("yes", IN_PERSON)),
    )


def test_every_safety_rule_can_actually_match_an_answer(questionnaire: Questionnaire) -> None:
    # A typo here would silently switch a risk flag off (the parser refuses it too).
    for rule in questionnaire.safety:
        question = questionnaire.question(rule.question)
        values = (*question.option_values(), *((IN_PERSON,) if question.sensitive else ()))
        wanted = rule.one_of or (rule.equals,)
        assert set(wanted) <= set(values), rule


@pytest.mark.parametrize(
    ("answers", "flagged"),
    [
        ({"phq9_9": 0, "thoughts_of_ending_life_now": "no"}, False),
        ({"phq9_9": 1}, True),
        ({"phq9_9": 3}, True),
        ({"phq9_9": 0, "thoughts_of_ending_life_now": "yes"}, True),
        ({"phq9_9": 0, "thoughts_of_ending_life_now": IN_PERSON}, True),
    ],
)
def test_safety_rules_raise_a_flag_for_the_answers_they_describe(
    questionnaire: Questionnaire, answers: dict[str, Any], flagged: bool
) -> None:
    assert any(rule.holds(answers) for rule in questionnaire.safety) is flagged


# --- Malformed definitions -----------------------------------------------------------------


def _frequency_options() -> list[dict[str, Any]]:
    return [{"value": value, "label": label} for value, label in FREQUENCY_ANSWERS]


def small_definition() -> dict[str, Any]:
    """A small valid definition; each malformed case below breaks it in exactly one way."""
    return {
        "slug": "small",
        "version": "1",
        "title": "Small",
        "sections": [
            {
                "id": "first",
                "title": "First",
                "questions": [
                    {"id": "mood", "type": "frequency", "label": "Mood", "required": True,
                     "options": _frequency_options()},
                    {"id": "worry", "type": "frequency", "label": "Worry", "required": True,
                     "options": _frequency_options()},
                    {"id": "notes", "type": "long_text", "label": "Notes", "sensitive": True,
                     "condition": {"question": "mood", "in": [2, 3]}},
                    {"id": "people", "type": "group", "label": "People", "max_items": 3,
                     "questions": [{"id": "person", "type": "short_text", "label": "Name"}]},
                ],
            },
            {
                "id": "second",
                "title": "Second",
                "questions": [{"id": "therapy", "type": "yes_no", "label": "Therapy before?"}],
            },
        ],
        "instruments": [
            {
                "id": "scale",
                "title": "Scale",
                "attribution": "Public domain.",
                "items": ["mood", "worry"],
                "bands": [
                    {"min": 0, "max": 2, "label": "Low"},
                    {"min": 3, "max": 6, "label": "High"},
                ],
            }
        ],
        "safety": [{"question": "mood", "equals": 3}],
    }


def _first_questions(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["sections"][0]["questions"]


def unknown_type(data: dict[str, Any]) -> None:
    _first_questions(data)[3]["type"] = "essay"


def duplicate_id(data: dict[str, Any]) -> None:
    data["sections"][1]["questions"][0]["id"] = "notes"


def duplicate_id_inside_a_group(data: dict[str, Any]) -> None:
    data["sections"][1]["questions"].append(
        {"id": "more_people", "type": "group", "label": "More", "max_items": 2,
         "questions": [{"id": "person", "type": "short_text", "label": "Name"}]}
    )


def condition_on_a_later_question(data: dict[str, Any]) -> None:
    _first_questions(data)[2]["condition"] = {"question": "therapy", "equals": "yes"}


def condition_on_itself(data: dict[str, Any]) -> None:
    _first_questions(data)[2]["condition"] = {"question": "notes", "answered": True}


def sensitive_and_required(data: dict[str, Any]) -> None:
    _first_questions(data)[2]["required"] = True


def frequency_options_out_of_order(data: dict[str, Any]) -> None:
    _first_questions(data)[0]["options"].reverse()


def frequency_with_three_options(data: dict[str, Any]) -> None:
    _first_questions(data)[0]["options"].pop()


def in_person_as_an_option_value(data: dict[str, Any]) -> None:
    data["sections"][1]["questions"][0] = {
        "id": "therapy", "type": "single_choice", "label": "Where?",
        "options": [{"value": "online", "label": "Online"}, {"value": IN_PERSON, "label": "Here"}],
    }


def upper_case_option_value(data: dict[str, Any]) -> None:
    data["sections"][1]["questions"][0] = {
        "id": "therapy", "type": "single_choice", "label": "Where?",
        "options": [{"value": "Online", "label": "Online"}, {"value": "office", "label": "Here"}],
    }


def bands_with_a_gap(data: dict[str, Any]) -> None:
    data["instruments"][0]["bands"][1]["min"] = 4


def bands_stopping_short(data: dict[str, Any]) -> None:
    data["instruments"][0]["bands"][1]["max"] = 5


def instrument_item_not_a_frequency(data: dict[str, Any]) -> None:
    data["instruments"][0]["items"].append("notes")


def group_inside_a_group(data: dict[str, Any]) -> None:
    _first_questions(data)[3]["questions"].append(
        {"id": "inner", "type": "group", "label": "Inner", "max_items": 2,
         "questions": [{"id": "inner_name", "type": "short_text", "label": "Name"}]}
    )


def group_without_max_items(data: dict[str, Any]) -> None:
    del _first_questions(data)[3]["max_items"]


def unknown_question_key(data: dict[str, Any]) -> None:
    _first_questions(data)[2]["placeholder"] = "Type here"


def unknown_top_level_key(data: dict[str, Any]) -> None:
    data["author"] = "Someone"


def safety_rule_on_an_unknown_question(data: dict[str, Any]) -> None:
    data["safety"].append({"question": "nowhere", "equals": "yes"})


def date_in_the_future_flag_on_text(data: dict[str, Any]) -> None:
    _first_questions(data)[2]["not_future"] = True


def safety_rule_with_an_impossible_answer(data: dict[str, Any]) -> None:
    data["safety"].append({"question": "therapy", "equals": "true"})


def condition_inside_a_group(data: dict[str, Any]) -> None:
    _first_questions(data)[3]["questions"][0]["condition"] = {"question": "mood", "equals": 1}


def sensitive_instrument_item(data: dict[str, Any]) -> None:
    _first_questions(data)[1]["required"] = False
    _first_questions(data)[1]["sensitive"] = True


def condition_on_a_group_member(data: dict[str, Any]) -> None:
    data["sections"][1]["questions"][0]["condition"] = {"question": "person", "answered": True}


MALFORMED = [
    pytest.param(safety_rule_with_an_impossible_answer, "safety[1]",
                 "'true' is not an answer 'therapy' can have", id="impossible safety answer"),
    pytest.param(condition_inside_a_group,
                 "sections[0].questions[3] (people).questions[0] (person)",
                 "cannot have conditions", id="condition inside a group"),
    pytest.param(sensitive_instrument_item, "instruments[0]",
                 "must be required and not sensitive", id="sensitive instrument item"),
    pytest.param(condition_on_a_group_member, "sections[1].questions[0] (therapy)",
                 "not an earlier top-level question", id="condition on a group member"),
    pytest.param(unknown_type, "sections[0].questions[3] (people)", "unknown type",
                 id="unknown type"),
    pytest.param(duplicate_id, "sections[1]", "used twice", id="duplicate id"),
    pytest.param(duplicate_id_inside_a_group, "sections[1]", "'person' is used twice",
                 id="duplicate id inside a group"),
    pytest.param(condition_on_a_later_question, "sections[0].questions[2] (notes)",
                 "not an earlier top-level question", id="condition on a later question"),
    pytest.param(condition_on_itself, "sections[0].questions[2] (notes)",
                 "not an earlier top-level question", id="condition on itself"),
    pytest.param(sensitive_and_required, "sections[0].questions[2] (notes)",
                 "sensitive questions are always optional", id="sensitive and required"),
    pytest.param(frequency_options_out_of_order, "sections[0].questions[0] (mood).options[0]",
                 "0, 1, 2, 3 in order", id="frequency options out of order"),
    pytest.param(frequency_with_three_options, "sections[0].questions[0] (mood)",
                 "exactly four options", id="frequency with three options"),
    pytest.param(in_person_as_an_option_value, "sections[1].questions[0] (therapy).options[1]",
                 "lower-case identifiers", id="in_person as an option value"),
    pytest.param(upper_case_option_value, "sections[1].questions[0] (therapy).options[0]",
                 "lower-case identifiers", id="upper-case option value"),
    pytest.param(bands_with_a_gap, "instruments[0].bands[1]", "run on from 3",
                 id="bands with a gap"),
    pytest.param(bands_stopping_short, "instruments[0]", "cover 0 to 6",
                 id="bands stopping short of the maximum"),
    pytest.param(instrument_item_not_a_frequency, "instruments[0]",
                 "'notes' is not a top-level frequency question",
                 id="instrument item not a frequency"),
    pytest.param(group_inside_a_group,
                 "sections[0].questions[3] (people).questions[1] (inner)",
                 "groups cannot contain groups", id="group inside a group"),
    pytest.param(group_without_max_items, "sections[0].questions[3] (people)", "max_items",
                 id="group without max_items"),
    pytest.param(unknown_question_key, "sections[0].questions[2] (notes)",
                 "unknown keys ['placeholder']", id="unknown question key"),
    pytest.param(unknown_top_level_key, "questionnaire", "unknown keys ['author']",
                 id="unknown top-level key"),
    pytest.param(safety_rule_on_an_unknown_question, "safety[1]", "'nowhere'",
                 id="safety rule on an unknown question"),
    pytest.param(date_in_the_future_flag_on_text, "sections[0].questions[2] (notes)",
                 "only dates", id="not_future on a text question"),
]


def test_the_small_valid_definition_parses() -> None:
    questionnaire = parse_definition(small_definition())
    assert questionnaire.has_question("person")
    assert questionnaire.instruments[0].max_total == 6


@pytest.mark.parametrize(("break_it", "path", "message"), MALFORMED)
def test_a_malformed_definition_is_refused_with_the_path_of_the_problem(
    break_it: Callable[[dict[str, Any]], None], path: str, message: str
) -> None:
    data = copy.deepcopy(small_definition())
    break_it(data)
    with pytest.raises(DefinitionError) as refused:
        parse_definition(data)
    assert str(refused.value).startswith(f"{path}:"), str(refused.value)
    assert message in str(refused.value)
