"""The family's and the young person's intake questionnaires as shipped: who sees each page,
said before its questions in the words of the audience; the PHQ-9, GAD-7 and safety
questions of the individual intake, scored and flagged the same; the family's questions
about anyone at home being hurt or afraid, which flag the intake; the young person's
honest limit of privacy, in words a 12-year-old understands; and, through the case pages,
the other adults and the guardians reading the shared answers and never a private one.
"""

from __future__ import annotations

import datetime
import html
import json
import re
from collections.abc import Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.cases import case_create, case_participant_invite, guardian_link
from intake.definitions import (
    ADOLESCENT_FILE,
    DEFAULT_FILE,
    FAMILY_FILE,
    install_definition,
    read_definition,
)
from intake.models import Intake, SafetyAlert
from intake.schema import IN_PERSON, Questionnaire, parse_definition
from intake.services import intake_save_section, intake_start, intake_submit
from intake.visibility import shared_answers
from portal.models import Case, CaseParticipant, ParticipantRole, User
from tests.helpers import client_account, signed_in
from tests.intake.test_couple_pages import NOTICE, _page, _review
from tests.intake_data import (
    PRIVATE_CANARY,
    SHARED_CANARY,
    adolescent_answers_by_section,
    family_answers_by_section,
    filled_case_draft,
)

FAMILY_PAGES = [
    ("about_you", "private"),
    ("what_brings_family", "shared"),
    ("family_life", "shared"),
    ("about_the_children", "shared"),
    ("feelings", "private"),
    ("safety", "private"),
    ("private_things", "private"),
    ("goals", "shared"),
]
ADOLESCENT_PAGES = [
    ("about_you", "private"),
    ("what_brings_you", "shared"),
    ("school_and_friends", "shared"),
    ("feelings", "private"),
    ("safety", "private"),
    ("private_things", "private"),
    ("hopes", "shared"),
]
PROFILE_QUESTIONS = ["legal_name", "preferred_name", "pronouns", "date_of_birth", "phone",
                     "address", "emergency_contact_name", "emergency_contact_phone"]
# What the page says above its questions, by audience and visibility (badge, sentence).
NOTICES = {
    ("family", "shared"): ("Shared with the other adults",
                           "The other adults in your family's case will see these answers."),
    ("family", "private"): ("Private", "Only you and your care team will see these answers. "
                                       "The other people in your family's case will not."),
    ("adolescent", "shared"): ("Shared with your parents or guardians",
                               "Your parents or guardians will see these answers."),
    ("adolescent", "private"): ("Private", "Only you and your care team will see these "
                                           "answers. Your parents or guardians will not."),
}
# The honest limit of a young person's privacy, said wherever privacy is promised to them.
LIMIT = ("If your therapist is worried that you or someone else might be seriously hurt, they "
         "may need to tell someone to keep you safe. When they can, they will talk with you "
         "first.")
# The PHQ-9 and GAD-7 instructions as published (Spitzer, Kroenke, Williams et al.).
PUBLISHED_INSTRUCTION = ("Over the last 2 weeks, how often have you been bothered by any of "
                         "the following problems?")

Pages = Callable[..., dict[str, dict]]
QUESTIONNAIRES: dict[str, tuple[Path, Pages]] = {
    "family": (FAMILY_FILE, family_answers_by_section),
    "adolescent": (ADOLESCENT_FILE, adolescent_answers_by_section),
}
EVERY_PAGE = [("family", section, visibility) for section, visibility in FAMILY_PAGES] + [
    ("adolescent", section, visibility) for section, visibility in ADOLESCENT_PAGES]


@pytest.fixture(scope="module")
def family() -> Questionnaire:
    return parse_definition(read_definition(FAMILY_FILE))


@pytest.fixture(scope="module")
def adolescent() -> Questionnaire:
    return parse_definition(read_definition(ADOLESCENT_FILE))


@pytest.fixture(scope="module")
def individual() -> Questionnaire:
    return parse_definition(read_definition(DEFAULT_FILE))


def _raw_section(path: Path, section_id: str) -> dict[str, Any]:
    return next(s for s in read_definition(path)["sections"] if s["id"] == section_id)


def _all_answers(pages: dict[str, dict]) -> dict[str, Any]:
    return {key: value for page in pages.values() for key, value in page.items()}


def _draft(client: User, audience: str, **scores: int) -> Intake:
    path, pages = QUESTIONNAIRES[audience]
    return filled_case_draft(client, path, pages(**scores))


# The files -----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "slug", "title", "audience"), [
    (FAMILY_FILE, "family-intake", "Getting to know your family", "family"),
    (ADOLESCENT_FILE, "adolescent-intake", "Getting to know you, in your own words",
     "adolescent"),
])
def test_each_questionnaire_installs_once_for_its_audience(
    path: Path, slug: str, title: str, audience: str
) -> None:
    version = install_definition(path)
    assert (version.slug, version.version, version.title) == (slug, "2", title)
    assert version.questionnaire.audience == audience
    assert version.questionnaire == parse_definition(read_definition(path))
    assert install_definition(path).pk == version.pk


@pytest.mark.parametrize(("path", "pages"), [(FAMILY_FILE, FAMILY_PAGES),
                                             (ADOLESCENT_FILE, ADOLESCENT_PAGES)])
def test_every_page_declares_who_sees_it_in_the_file(
    path: Path, pages: list[tuple[str, str]]
) -> None:
    # Declared in the file itself, not left to a default.
    raw = read_definition(path)
    assert [(section["id"], section["visibility"]) for section in raw["sections"]] == pages


def test_the_family_intro_explains_own_forms_what_is_shared_children_and_secrets(
    family: Questionnaire,
) -> None:
    intro = family.intro
    assert "Each adult in your family's case fills in their own form" in intro
    assert "the other adults in your family's case will see what you write there" in intro
    assert "only you and your care team will see them" in intro
    assert "never shown to the other adults" in intro
    assert "never for a child's own words" in intro
    assert "policy on secrets" in intro and "consent you signed" in intro


def test_the_young_persons_intro_says_whose_it_is_who_sees_what_and_the_limit(
    adolescent: Questionnaire,
) -> None:
    intro = adolescent.intro
    assert intro.startswith("This form is yours.")
    assert "your parents or guardians will see what you write there" in intro
    assert "Your parents or guardians will not see the private pages" in intro
    # "Care team" is the word every private page uses: the intro says who that is.
    assert "Your care team is your therapist and the people who work with them" in intro
    assert LIMIT in intro


# The questions --------------------------------------------------------------------------------


def test_the_family_about_you_asks_what_the_profile_details_fill(
    family: Questionnaire, individual: Questionnaire
) -> None:
    asked = [question.id for question in family.section("about_you").questions]
    assert asked == PROFILE_QUESTIONS
    for question_id in asked:
        assert family.question(question_id) == individual.question(question_id)


def test_the_young_persons_about_you_asks_four_details_with_the_profiles_ids(
    adolescent: Questionnaire, individual: Questionnaire
) -> None:
    asked = [question.id for question in adolescent.section("about_you").questions]
    assert asked == ["legal_name", "preferred_name", "pronouns", "date_of_birth"]
    for question_id in asked:
        mine, theirs = adolescent.question(question_id), individual.question(question_id)
        assert (mine.type, mine.required, mine.not_future, mine.max_length) == (
            theirs.type, theirs.required, theirs.not_future, theirs.max_length)
    assert adolescent.question("legal_name").required
    assert adolescent.question("date_of_birth").required


def test_the_family_tells_about_each_child_in_a_group_of_up_to_six(
    family: Questionnaire,
) -> None:
    children = family.question("children")
    assert children.type == "group" and children.max_items == 6
    assert [(child.id, child.type) for child in children.questions] == [
        ("child_name", "short_text"), ("child_age", "number"), ("child_school", "short_text"),
        ("child_worries", "long_text"), ("child_going_well", "long_text")]
    age = family.question("child_age")
    assert (age.min_value, age.max_value) == (0, 17)
    assert family.question("home_members").type == "multiple_choice"
    assert family.question("home_members_details").type == "long_text"


def test_the_family_feelings_page_and_scores_are_the_individual_questionnaires(
    family: Questionnaire, individual: Questionnaire
) -> None:
    feelings = {key: value for key, value in _raw_section(FAMILY_FILE, "feelings").items()
                if key != "visibility"}
    assert feelings == _raw_section(DEFAULT_FILE, "feelings")
    assert read_definition(FAMILY_FILE)["instruments"] == read_definition(
        DEFAULT_FILE)["instruments"]
    assert family.instruments == individual.instruments


def test_the_young_person_answers_the_phq9_and_gad7_exactly_as_published(
    adolescent: Questionnaire, individual: Questionnaire
) -> None:
    # Items, answers, attribution and bands unchanged (no home-made adolescent version);
    # only the page's welcome is in simpler words, ending with the published instruction.
    assert (_raw_section(ADOLESCENT_FILE, "feelings")["questions"]
            == _raw_section(DEFAULT_FILE, "feelings")["questions"])
    assert adolescent.instruments == individual.instruments
    feelings = adolescent.section("feelings")
    assert feelings.intro.endswith(PUBLISHED_INSTRUCTION)
    assert "thoughts of death" in feelings.content_note


@pytest.mark.parametrize("audience", ["family", "adolescent"])
def test_the_safety_page_asks_every_question_of_the_individual_one(
    audience: str, individual: Questionnaire
) -> None:
    questionnaire = parse_definition(read_definition(QUESTIONNAIRES[audience][0]))
    for question in individual.section("safety").questions:
        assert questionnaire.question(question.id) == question
        assert questionnaire.visibility_of(question.id) == "private"
    assert set(individual.safety) <= set(questionnaire.safety)


def test_the_family_safety_page_asks_about_anyone_at_home_hurt_or_afraid(
    family: Questionnaire, individual: Questionnaire
) -> None:
    for question_id in ("unsafe_adult_at_home", "child_unsafe"):
        question = family.question(question_id)
        assert question.type == "yes_no" and question.sensitive and not question.required
        assert "hurt" in question.label and "afraid" in question.label
        assert "will not see this answer" in question.why
    assert "child protection" in family.question("child_unsafe").why
    assert "never shown to the other adults" in family.section("safety").intro
    assert len(family.safety) == len(individual.safety) + 2


def test_the_young_persons_safety_page_keeps_the_rules_and_says_the_limit(
    adolescent: Questionnaire, individual: Questionnaire
) -> None:
    # Every rule of the individual intake, and one more: a young person who feels unsafe at
    # home (or would rather say so in person) may need protecting, so it flags the intake.
    assert set(individual.safety) < set(adolescent.safety)
    [extra] = set(adolescent.safety) - set(individual.safety)
    assert extra.question == "unsafe_at_home" and set(extra.one_of) == {"yes", "in_person"}
    intro = adolescent.section("safety").intro
    assert "Your parents or guardians will not see your answers here." in intro
    assert LIMIT in intro


def test_the_family_private_page_asks_what_the_others_should_not_read(
    family: Questionnaire, individual: Questionnaire
) -> None:
    question = family.question("not_shared_with_family")
    assert question.type == "long_text" and question.sensitive and not question.required
    assert "policy on secrets" in question.help and "consent you signed" in question.help
    for question_id in ("alcohol", "drug_use"):
        assert family.question(question_id) == individual.question(question_id)
        assert family.visibility_of(question_id) == "private"


def test_the_young_persons_private_page_asks_about_dating_substances_and_secrets(
    adolescent: Questionnaire,
) -> None:
    for question_id in ("dating", "alcohol", "drugs", "vaping"):
        question = adolescent.question(question_id)
        assert question.type == "single_choice" and question.sensitive, question_id
    secret = adolescent.question("not_told_guardians")
    assert secret.label == ("Is there anything you want your therapist to know that you don't "
                            "want your parents or guardians to know?")
    assert secret.type == "long_text" and not secret.required
    assert LIMIT in secret.help and LIMIT in adolescent.section("private_things").intro


@pytest.mark.parametrize("audience", ["family", "adolescent"])
def test_every_sensitive_question_is_private_even_on_a_shared_page(audience: str) -> None:
    # A question one may rather answer in person is never put before the others of the case.
    questionnaire = parse_definition(read_definition(QUESTIONNAIRES[audience][0]))
    sensitive = [question.id for section in questionnaire.sections
                 for question in section.questions if question.sensitive]
    assert sensitive
    assert {questionnaire.visibility_of(question_id) for question_id in sensitive} == {
        "private"}


@pytest.mark.parametrize("audience", ["family", "adolescent"])
def test_every_question_says_why_we_ask(audience: str) -> None:
    questionnaire = parse_definition(read_definition(QUESTIONNAIRES[audience][0]))
    for section in questionnaire.sections:
        for question in section.questions:
            for asked in (question, *question.questions):
                assert asked.why.strip(), asked.id


def test_a_young_person_never_has_to_share_words_to_finish(adolescent: Questionnaire) -> None:
    # Nothing on a page their guardians read is required: they can send the form having
    # shared no words at all.
    for section in adolescent.sections:
        for question in section.questions:
            if adolescent.visibility_of(question.id) == "shared":
                assert not question.required, question.id


def _young_persons_own_words(raw: dict[str, Any]) -> list[str]:
    """Every sentence the young person reads that we wrote (the published PHQ-9 and GAD-7
    items are theirs, not ours)."""
    texts = [raw["title"], raw["intro"]]
    for section in raw["sections"]:
        texts += [section["title"], section.get("intro", ""), section.get("content_note", "")]
        if section["id"] == "feelings":
            continue
        for question in section["questions"]:
            texts += [question["label"], question.get("help", ""), question.get("why", "")]
            texts += [option["label"] for option in question.get("options", [])]
    english = [text["en"] if isinstance(text, dict) else text for text in texts]
    return [sentence for text in english for sentence in re.split(r"(?<=[.!?])\s+", text)
            if sentence]


@pytest.mark.parametrize("jargon", [
    "confidential", "disclos", "clinical", "clinician", "assessment", "symptom", "diagnos",
    "encrypt", "substance", "intake", "questionnaire", "mandat", "psycholog", "guardianship",
])
def test_the_young_persons_words_carry_no_jargon(jargon: str) -> None:
    for sentence in _young_persons_own_words(read_definition(ADOLESCENT_FILE)):
        assert jargon not in sentence.lower(), sentence


def test_the_young_persons_sentences_are_short() -> None:
    for sentence in _young_persons_own_words(read_definition(ADOLESCENT_FILE)):
        assert len(sentence.split()) <= 25, sentence


# Who sees what --------------------------------------------------------------------------------


@pytest.mark.parametrize(("audience", "shared_ids"), [
    ("family", {"in_your_own_words", "since_when", "home_members", "more_than_one_home",
                "children", "good_outcome"}),
    ("adolescent", {"in_your_own_words", "school_year", "school_feels", "good_outcome"}),
])
def test_the_others_are_given_the_shared_answers_and_nothing_private(
    audience: str, shared_ids: set[str]
) -> None:
    path, pages = QUESTIONNAIRES[audience]
    questionnaire = parse_definition(read_definition(path))
    shared = shared_answers(questionnaire, _all_answers(pages()))
    assert set(shared) == shared_ids
    assert SHARED_CANARY in json.dumps(shared)
    assert PRIVATE_CANARY not in json.dumps(shared)


@pytest.mark.parametrize(("audience", "question_id", "section"), [
    ("family", "brings_family_privately", "what_brings_family"),
    ("adolescent", "brings_you_privately", "what_brings_you"),
])
def test_a_private_question_on_a_shared_page_stays_private(
    audience: str, question_id: str, section: str
) -> None:
    path, pages = QUESTIONNAIRES[audience]
    questionnaire = parse_definition(read_definition(path))
    assert questionnaire.section(section).visibility == "shared"
    assert questionnaire.visibility_of(question_id) == "private"
    answers = _all_answers(pages()) | {question_id: PRIVATE_CANARY}
    assert PRIVATE_CANARY not in json.dumps(shared_answers(questionnaire, answers))


# Saving, flagging, scoring --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("audience", "section", "posted", "flagged"), [
    ("family", "safety", {"unsafe_adult_at_home": "yes"}, True),
    ("family", "safety", {"unsafe_adult_at_home": IN_PERSON}, True),
    ("family", "safety", {"child_unsafe": "yes"}, True),
    ("family", "safety", {"child_unsafe": IN_PERSON}, True),
    ("family", "safety", {"thoughts_of_ending_life_now": "yes"}, True),
    ("family", "safety", {"unsafe_adult_at_home": "no", "child_unsafe": "no"}, False),
    ("adolescent", "safety", {"thoughts_of_ending_life_now": "yes"}, True),
    ("adolescent", "safety", {"thoughts_of_ending_life_now": IN_PERSON}, True),
    ("adolescent", "safety", {"thoughts_of_ending_life_now": "no", "self_harm": "no"}, False),
    ("adolescent", "safety", {"unsafe_at_home": "yes"}, True),
    ("adolescent", "safety", {"unsafe_at_home": IN_PERSON}, True),
    ("adolescent", "safety", {"unsafe_at_home": "no"}, False),
    ("adolescent", "feelings", {"phq9_9": "1"}, True),
    ("family", "feelings", {"phq9_9": "3"}, True),
])
def test_a_safety_answer_saved_on_the_page_raises_the_intakes_alert(
    client_user: User, audience: str, section: str, posted: dict[str, str], flagged: bool
) -> None:
    intake = Intake.objects.create(client=client_user,
                                   questionnaire=install_definition(QUESTIONNAIRES[audience][0]))
    outcome = intake_save_section(intake_id=intake.pk, client=client_user, section_id=section,
                                  posted=posted, revision=intake.revision)
    assert outcome.errors == {}
    assert outcome.safety_now is flagged
    assert SafetyAlert.objects.filter(intake=intake).exists() is flagged
    assert Intake.objects.get(pk=intake.pk).needs_prompt_review is flagged


@pytest.mark.django_db
@pytest.mark.parametrize("audience", ["family", "adolescent"])
def test_a_sent_intake_carries_its_phq9_and_gad7_scores_and_no_alert(
    client_user: User, audience: str
) -> None:
    intake = _draft(client_user, audience, phq9=2, gad7=1)
    sent = intake_submit(intake_id=intake.pk, client=client_user, revision=intake.revision)
    scores = {score["instrument"]: score for score in sent.scores or []}
    assert (scores["phq9"]["total"], scores["phq9"]["max_total"], scores["phq9"]["band"]) == (
        16, 27, "Moderately severe")
    assert (scores["gad7"]["total"], scores["gad7"]["max_total"], scores["gad7"]["band"]) == (
        7, 21, "Mild")
    assert not SafetyAlert.objects.filter(intake=sent).exists()
    entry = sent.answers.get("children")
    if audience == "family":
        assert entry == [{"child_name": "Sam", "child_age": 9,
                          "child_worries": "Will not sleep alone."}]


# The pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("audience", "section", "visibility"), EVERY_PAGE)
def test_every_page_says_who_will_see_its_answers_before_the_questions(
    as_client: Client, client_user: User, audience: str, section: str, visibility: str
) -> None:
    intake = Intake.objects.create(client=client_user,
                                   questionnaire=install_definition(QUESTIONNAIRES[audience][0]))
    page = _page(as_client, intake, section)
    notice = NOTICE.search(page)
    assert notice is not None, "no visibility notice on the page"
    assert notice.group(1) == visibility
    assert (notice.group(2), notice.group(3)) == NOTICES[(audience, visibility)]
    assert notice.start() < page.index('class="intake-question')


@pytest.mark.django_db
@pytest.mark.parametrize(("audience", "summary", "shared_mark"), [
    ("family", "6 of your answers will be shared with the other adults in your family's case.",
     "The other adults in your family's case will see this"),
    ("adolescent", "4 of your answers will be shared with your parents or guardians.",
     "Your parents or guardians will see this"),
])
def test_the_review_counts_the_shared_answers_and_marks_the_private_ones(
    as_client: Client, client_user: User, audience: str, summary: str, shared_mark: str
) -> None:
    review = _review(as_client, _draft(client_user, audience))
    assert review.index(summary) < review.index("About you")

    def mark(question_id: str) -> str:
        row = re.search(rf'id="answer-{question_id}">\s*<dt>(.*?)</dt>', review, re.S)
        assert row is not None, question_id
        return row.group(1)

    assert shared_mark in mark("in_your_own_words")
    private = '<span class="intake-answer-visibility intake-visibility-private">Private</span>'
    secret = "not_shared_with_family" if audience == "family" else "not_told_guardians"
    for question_id in ("legal_name", "phq9_9", "thoughts_of_ending_life_now", secret):
        assert mark(question_id).endswith(private), question_id
    assert SHARED_CANARY in review and PRIVATE_CANARY in review  # their own words


@pytest.mark.django_db
def test_another_client_cannot_open_a_family_or_young_persons_draft(
    client_user: User, other_client_user: User
) -> None:
    family_draft = _draft(client_user, "family")
    young_draft = _draft(other_client_user, "adolescent")
    as_other = signed_in(other_client_user)
    for url in (reverse("intake_section", args=[family_draft.id, "about_the_children"]),
                reverse("intake_review", args=[family_draft.id])):
        response = as_other.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert SHARED_CANARY.encode() not in response.content
    as_first = signed_in(client_user)
    response = as_first.get(reverse("intake_section", args=[young_draft.id, "private_things"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


# In a family case -----------------------------------------------------------------------------


@pytest.fixture
def family_case(admin_user: User) -> tuple[Case, User, User, User]:
    """Two parents and their 14-year-old, each with their own account; the first parent is
    the young person's guardian."""
    case = case_create(kind="family", created_by=admin_user)
    parent = client_account("parent@example.com")
    other_parent = client_account("other.parent@example.com")
    teen = client_account("teen@example.com")
    for adult in (parent, other_parent):
        case_participant_invite(case=case, email=adult.email, role=ParticipantRole.ADULT,
                                actor=admin_user)
    born = timezone.localdate() - datetime.timedelta(days=14 * 365 + 30)
    case_participant_invite(case=case, email=teen.email, role=ParticipantRole.ADOLESCENT,
                            actor=admin_user, date_of_birth=born)
    guardian = CaseParticipant.objects.get(case=case, person=parent)
    minor = CaseParticipant.objects.get(case=case, person=teen)
    guardian_link(case=case, guardian=guardian, minor=minor, relationship="Mother",
                  legal_authority="Parent", signs_for_child=True, actor=admin_user)
    return case, parent, other_parent, teen


def _sent_in_case(client: User, case: Case, pages: dict[str, dict]) -> Intake:
    intake = intake_start(client=client, case=case)
    for section, posted in pages.items():
        outcome = intake_save_section(intake_id=intake.pk, client=client, section_id=section,
                                      posted=posted, revision=intake.revision)
        assert outcome.errors == {}, outcome.errors
        intake = outcome.intake
    return intake_submit(intake_id=intake.pk, client=client, revision=intake.revision)


@pytest.mark.django_db
def test_each_person_of_a_family_case_starts_the_questionnaire_for_their_part(
    family_case: tuple[Case, User, User, User],
) -> None:
    case, parent, other_parent, teen = family_case
    assert intake_start(client=parent, case=case).questionnaire.slug == "family-intake"
    assert intake_start(client=other_parent, case=case).questionnaire.slug == "family-intake"
    assert intake_start(client=teen, case=case).questionnaire.slug == "adolescent-intake"


@pytest.mark.django_db
def test_the_other_adult_and_the_guardian_read_only_what_was_shared(
    family_case: tuple[Case, User, User, User],
) -> None:
    case, parent, other_parent, teen = family_case
    _sent_in_case(other_parent, case, family_answers_by_section())
    _sent_in_case(teen, case, adolescent_answers_by_section())
    shared_page = reverse("intake_shared", args=[case.pk])

    as_parent = signed_in(parent)  # the other adult, and the young person's guardian
    response = as_parent.get(shared_page)
    assert response.status_code == HTTPStatus.OK
    page = html.unescape(response.content.decode())
    assert page.count(SHARED_CANARY) == 2  # the other adult's words and the young person's
    assert PRIVATE_CANARY not in page
    assert "Will not sleep alone." in page  # the child's entry, on a shared page

    # The young person reads none of the adults' answers, shared or not.
    teen_page = signed_in(teen).get(shared_page)
    assert teen_page.status_code == HTTPStatus.OK
    assert SHARED_CANARY.encode() not in teen_page.content
    assert PRIVATE_CANARY.encode() not in teen_page.content
