"""The couple's intake questionnaire as shipped: its pages and who sees them, the CSI-4
exactly as published and scored at its cut-off, the PHQ-9, GAD-7 and safety questions of the
individual questionnaire, and the extra safety questions a couple's intake asks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse as FhirQuestionnaireResponse,
)

from intake.definitions import COUPLE_FILE, DEFAULT_FILE, install_definition, read_definition
from intake.exports.fhir import questionnaire_resource, questionnaire_response
from intake.exports.pdf import intake_pdf
from intake.schema import IN_PERSON, Questionnaire, parse_definition
from intake.score_scales import score_scale
from intake.scoring import needs_prompt_review, score
from intake.services import intake_submit
from intake.visibility import shared_answers
from portal.models import User
from tests.helpers import pdf_text
from tests.intake_data import (
    PRIVATE_CANARY,
    SHARED_CANARY,
    couple_answers_by_section,
    filled_couple_draft,
)

PAGES = [
    ("about_you", "private"),
    ("what_brings_us", "shared"),
    ("relationship", "shared"),
    ("csi4", "private"),
    ("feelings", "private"),
    ("safety", "private"),
    ("private_things", "private"),
    ("goals", "shared"),
]

# Funk & Rogge (2007), J Fam Psychol 21(4):572-583: the four CSI-4 items (items 1, 12, 19
# and 24 of the CSI-32) and their published answers, scored from 0.
CSI4_ITEMS = [
    ("csi4_1", "Please indicate the degree of happiness, all things considered, of your "
               "relationship.",
     ["Extremely Unhappy", "Fairly Unhappy", "A Little Unhappy", "Happy", "Very Happy",
      "Extremely Happy", "Perfect"]),
    ("csi4_2", "I have a warm and comfortable relationship with my partner.",
     ["Not at all True", "A little True", "Somewhat True", "Mostly True",
      "Almost Completely True", "Completely True"]),
    ("csi4_3", "How rewarding is your relationship with your partner?",
     ["Not at all", "A little", "Somewhat", "Mostly", "Almost Completely", "Completely"]),
    ("csi4_4", "In general, how satisfied are you with your relationship?",
     ["Not at all", "A little", "Somewhat", "Mostly", "Almost Completely", "Completely"]),
]
CITATION = (
    "Funk, J. L., & Rogge, R. D. (2007). Testing the ruler with item response theory: "
    "Increasing precision of measurement for relationship satisfaction with the Couples "
    "Satisfaction Index. Journal of Family Psychology, 21(4), 572-583."
)
BELOW = "Below the cut-off: suggests notable relationship distress"
ABOVE = "Above the distress cut-off"


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return read_definition(COUPLE_FILE)


@pytest.fixture(scope="module")
def couple(raw: dict[str, Any]) -> Questionnaire:
    return parse_definition(raw)


@pytest.fixture(scope="module")
def individual() -> Questionnaire:
    return parse_definition(read_definition(DEFAULT_FILE))


def test_the_couple_questionnaire_is_for_couples(couple: Questionnaire) -> None:
    assert (couple.slug, couple.version, couple.audience) == ("couple-intake", "2", "couple")


def test_its_pages_come_in_order_each_saying_who_sees_it(couple: Questionnaire) -> None:
    assert [(section.id, section.visibility) for section in couple.sections] == PAGES


def test_the_intro_explains_own_forms_shared_private_and_the_secrets_policy(
    couple: Questionnaire,
) -> None:
    intro = couple.intro
    assert "Each of you fills in your own form" in intro
    assert "your partner will see what you write there" in intro
    assert "never shown to your partner" in intro
    assert "policy on secrets" in intro and "consent you signed" in intro


def test_about_you_asks_what_the_profile_details_fill(
    couple: Questionnaire, individual: Questionnaire
) -> None:
    asked = [question.id for question in couple.section("about_you").questions]
    assert asked == ["legal_name", "preferred_name", "pronouns", "date_of_birth", "phone",
                     "address", "emergency_contact_name", "emergency_contact_phone"]
    for question_id in asked:
        assert couple.question(question_id) == individual.question(question_id)


@pytest.mark.parametrize(("question_id", "label", "answers"), CSI4_ITEMS)
def test_the_csi4_items_and_answers_are_exactly_as_published(
    couple: Questionnaire, question_id: str, label: str, answers: list[str]
) -> None:
    question = couple.question(question_id)
    assert question.label == label
    assert [(option.value, option.label) for option in question.options] == list(
        enumerate(answers))
    assert question.required and not question.sensitive
    assert couple.visibility_of(question_id) == "private"


def test_the_csi4_is_scored_0_to_21_with_its_citation_and_meaning(
    couple: Questionnaire,
) -> None:
    csi4 = next(instrument for instrument in couple.instruments if instrument.id == "csi4")
    assert csi4.items == tuple(item for item, _, _ in CSI4_ITEMS)
    assert (csi4.min_total, csi4.max_total) == (0, 21)
    assert [(band.minimum, band.maximum, band.label) for band in csi4.bands] == [
        (0, 13, BELOW), (14, 21, ABOVE)]
    assert CITATION in csi4.attribution and "Free for clinical use" in csi4.attribution
    assert csi4.interpretation == (
        "Below 13.5 suggests notable relationship distress; a screening score, not a "
        "diagnosis.")


@pytest.mark.parametrize(("answers", "total", "band"), [
    ((0, 0, 0, 0), 0, BELOW),
    ((3, 4, 3, 3), 13, BELOW),  # the last total under 13.5
    ((3, 4, 3, 4), 14, ABOVE),  # the first total over it
    ((6, 5, 5, 5), 21, ABOVE),
])
def test_the_csi4_cut_off_falls_between_13_and_14(
    couple: Questionnaire, answers: tuple[int, int, int, int], total: int, band: str
) -> None:
    csi4 = next(instrument for instrument in couple.instruments if instrument.id == "csi4")
    result = score(csi4, dict(zip(csi4.items, answers, strict=True)))
    assert result is not None
    assert (result.total, result.max_total, result.band) == (total, 21, band)
    scale = score_scale(csi4, total, band)
    assert scale is not None
    assert scale.aria_label == f"CSI-4: {total} out of 21, {band}"
    assert [band.current for band in scale.bands] == [total <= 13, total >= 14]


def test_the_phq9_gad7_and_feelings_page_are_the_individual_questionnaires(
    raw: dict[str, Any], individual: Questionnaire, couple: Questionnaire
) -> None:
    default = read_definition(DEFAULT_FILE)
    feelings = {key: value for key, value in
                next(s for s in raw["sections"] if s["id"] == "feelings").items()
                if key != "visibility"}
    assert feelings == next(s for s in default["sections"] if s["id"] == "feelings")
    assert raw["instruments"][:2] == default["instruments"]
    assert couple.instruments[:2] == individual.instruments


def test_the_safety_page_asks_the_individual_questions_and_about_the_partner(
    couple: Questionnaire, individual: Questionnaire
) -> None:
    asked = {question.id for question in couple.section("safety").questions}
    for question in individual.section("safety").questions:
        assert couple.question(question.id) == question
    assert {"afraid_of_partner", "partner_hurt_you"} <= asked
    for question_id in ("afraid_of_partner", "partner_hurt_you"):
        question = couple.question(question_id)
        assert question.type == "yes_no" and question.sensitive and question.why
    hurt = couple.question("partner_hurt_you").label
    assert all(word in hurt for word in ("pushed", "hit", "threatened", "forced"))
    assert "never shown to your partner" in couple.section("safety").intro
    assert set(individual.safety) <= set(couple.safety)


@pytest.mark.parametrize(("question_id", "answer", "flagged"), [
    ("afraid_of_partner", "yes", True),
    ("afraid_of_partner", IN_PERSON, True),
    ("afraid_of_partner", "no", False),
    ("partner_hurt_you", "yes", True),
    ("partner_hurt_you", IN_PERSON, True),
    ("partner_hurt_you", "no", False),
    ("thoughts_of_ending_life_now", "yes", True),
    ("phq9_9", 1, True),
])
def test_a_safety_answer_flags_the_intake_for_prompt_review(
    couple: Questionnaire, question_id: str, answer: Any, flagged: bool
) -> None:
    assert needs_prompt_review(couple, {question_id: answer}) is flagged


def test_private_things_asks_what_the_partner_has_not_been_told_and_about_substances(
    couple: Questionnaire, individual: Questionnaire
) -> None:
    not_told = couple.question("not_told_partner")
    assert not_told.type == "long_text" and not not_told.required and not_told.sensitive
    assert "consent you signed" in not_told.help
    for question_id in ("alcohol", "drug_use"):
        assert couple.question(question_id) == individual.question(question_id)


def test_every_question_says_why_we_ask(couple: Questionnaire) -> None:
    for section in couple.sections:
        for question in section.questions:
            assert question.why.strip(), question.id


def test_the_partner_sees_the_shared_answers_and_nothing_private(
    couple: Questionnaire,
) -> None:
    answers = {key: value for page in couple_answers_by_section().values()
               for key, value in page.items()}
    shared = shared_answers(couple, answers)
    assert set(shared) == {"in_your_own_words", "since_when", "living_together",
                           "has_children", "good_outcome"}
    assert SHARED_CANARY in json.dumps(shared)
    assert PRIVATE_CANARY not in json.dumps(shared)


@pytest.mark.django_db
def test_the_couple_questionnaire_installs_once(raw: dict[str, Any]) -> None:
    version = install_definition(COUPLE_FILE)
    assert (version.slug, version.version, version.title) == (
        "couple-intake", "2", "Getting to know you both")
    assert install_definition(COUPLE_FILE).pk == version.pk
    assert version.questionnaire == parse_definition(raw)
    assert version.questionnaire.audience == "couple"


def _item(items: list[dict[str, Any]], link_id: str) -> dict[str, Any]:
    """The FHIR item with ``link_id``, at any depth ({} when there is none)."""
    for item in items:
        if item["linkId"] == link_id:
            return item
        if found := _item(item.get("item", []), link_id):
            return found
    return {}


@pytest.mark.django_db
def test_a_sent_couple_intake_exports_as_valid_fhir_and_pdf_with_the_csi4(
    client_user: User,
) -> None:
    intake = filled_couple_draft(client_user, csi4=(3, 4, 2, 1))
    intake = intake_submit(intake_id=intake.pk, client=client_user, revision=intake.revision)
    definition = questionnaire_resource(intake.questionnaire)
    FhirQuestionnaire.model_validate(definition)
    options = _item(definition["item"], "csi4_1")["answerOption"]
    assert [(o["valueCoding"]["code"], o["extension"][0]["valueDecimal"]) for o in options] == [
        (str(n), n) for n in range(7)]
    assert options[3]["valueCoding"]["display"] == "Happy"

    response = questionnaire_response(intake)
    FhirQuestionnaireResponse.model_validate(response)
    answer = _item(response["item"], "csi4_2")["answer"]
    assert answer == [{"valueCoding": {
        "system": "urn:portal:questionnaire:couple-intake:csi4_2", "code": "4",
        "display": "Almost Completely True"}}]

    text = " ".join(pdf_text(intake_pdf(intake, fonts=None, compress=False),
                             unicode_font=False).split())
    assert "CSI-4" in text and "10 out of 21" in text
    assert "Almost Completely True" in text  # the answer in its published words
