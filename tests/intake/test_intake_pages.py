"""The client's intake pages through the real views: a whole journey, answers refused with
a message beside the field, saves from an older page never applied, autosave, the crisis
text after a safety answer, conditions, escaping, and no way into another client's intake."""

from __future__ import annotations

import html
import json
import re
from http import HTTPStatus
from typing import Any, Unpack

import pytest
from django.test import Client
from django.urls import reverse

from intake.definitions import canonical_sha256
from intake.forms import LISTED_FIELD
from intake.models import Intake, QuestionnaireVersion
from intake.services import intake_save_section, intake_start
from intake.views.client import STALE_MESSAGE
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import DEFAULT_CRISIS_TEXT, User
from tests.helpers import must_search, sign_in
from tests.intake_data import CANARY, Scores, answers_by_section

pytestmark = pytest.mark.django_db

REVISION = re.compile(r'name="revision" value="(\d+)"')
CRISIS_PANEL_SHOWN = '<aside class="intake-crisis crisis-box" id="intake-crisis" ' \
    'aria-labelledby="intake-crisis-heading">'
CRISIS_PANEL_HIDDEN = CRISIS_PANEL_SHOWN[:-1] + " hidden>"
SECTIONS = list(answers_by_section())


def _section_url(intake: Intake, section: str) -> str:
    return reverse("intake_section", args=[intake.id, section])


def _open(http: Client, intake: Intake, section: str) -> tuple[str, int]:
    response = http.get(_section_url(intake, section))
    assert response.status_code == HTTPStatus.OK, response.status_code
    page = response.content.decode()
    return page, int(must_search(REVISION, page).group(1))


def _post_page(
    http: Client, intake: Intake, section: str, answers: dict[str, Any], *,
    action: str = "next", revision: int | None = None,
) -> Any:
    """Send a page as a browser would: its fields, the questions it lists, its revision."""
    page = http.get(_section_url(intake, section)).content.decode()
    if revision is None:
        revision = int(must_search(REVISION, page).group(1))
    listed = re.findall(rf'name="{LISTED_FIELD}" value="([^"]+)"', page)
    data = {LISTED_FIELD: listed, **answers, "revision": revision, "action": action}
    return http.post(_section_url(intake, section), data)


def _error_beside(page: str, question_id: str) -> str:
    """The text of the message element next to ``question_id``."""
    match = re.search(rf'<p class="intake-error" id="{question_id}-error"[^>]*>(.*?)</p>', page,
                      re.S)
    assert match, f"no message element for {question_id}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def _start(http: Client) -> Intake:
    response = http.post(reverse("intake_home"))
    assert response.status_code == HTTPStatus.FOUND
    return Intake.objects.get(client__email="client@example.com", state="draft")


def _fill_everything(http: Client, intake: Intake, **scores: Unpack[Scores]) -> None:
    for section, answers in answers_by_section(**scores).items():
        response = _post_page(http, intake, section, answers)
        assert response.status_code == HTTPStatus.FOUND, (section, response.content[:2000])


# --- The journey --------------------------------------------------------------------------


def test_a_client_fills_in_every_page_reviews_and_sends_their_answers(as_client: Client) -> None:
    home = as_client.get(reverse("intake_home")).content.decode()
    assert "Getting to know you" in home
    assert "Start" in home
    assert "not marked" in home  # optional questions may be skipped

    response = as_client.post(reverse("intake_home"))
    intake = Intake.objects.get(client__email="client@example.com")
    assert response["Location"] == _section_url(intake, "about_you")

    answers = answers_by_section()
    for number, section in enumerate(SECTIONS, start=1):
        page, revision = _open(as_client, intake, section)
        assert f"Step {number} of {len(SECTIONS)}" in page
        assert f'<progress class="intake-progress" max="{len(SECTIONS)}" value="{number}"' in page
        response = _post_page(as_client, intake, section, answers[section], revision=revision)
        following = SECTIONS[number] if number < len(SECTIONS) else None
        expected = (_section_url(intake, following) if following
                    else reverse("intake_review", args=[intake.id]))
        assert response.status_code == HTTPStatus.FOUND and response.url == expected

    review = as_client.get(reverse("intake_review", args=[intake.id])).content.decode()
    assert CANARY in review and "Robin Example" in review
    assert "21 Apr 1990" in review and "Weekday evenings" in review
    assert "Still to answer" not in review
    for section in SECTIONS:
        assert f'href="{_section_url(intake, section)}"' in review  # a Change link each

    intake.refresh_from_db()
    response = as_client.post(reverse("intake_submit", args=[intake.id]),
                              {"revision": intake.revision})
    assert response["Location"] == reverse("intake_submitted", args=[intake.id])

    sent = as_client.get(response["Location"]).content.decode()
    assert "You sent these answers on" in sent
    assert CANARY in sent and "Several days" in sent
    assert f'href="{reverse("intake_pdf", args=[intake.id])}"' in sent
    home = as_client.get(reverse("intake_home")).content.decode()
    assert "You sent your answers on" in home
    assert f'href="{reverse("intake_submitted", args=[intake.id])}"' in home
    assert "Continue where you left off" not in home
    # The sent copy cannot be edited any more: its pages lead to the copy.
    assert as_client.get(_section_url(intake, "about_you"))["Location"] == reverse(
        "intake_submitted", args=[intake.id])


def test_continue_goes_back_to_the_page_saved_last(as_client: Client) -> None:
    intake = _start(as_client)
    _post_page(as_client, intake, "about_you", answers_by_section()["about_you"],
               action="later")
    _post_page(as_client, intake, "what_brings_you", {}, action="later")
    home = as_client.get(reverse("intake_home")).content.decode()
    assert "Continue where you left off" in home
    assert as_client.post(reverse("intake_home"))["Location"] == _section_url(
        intake, "what_brings_you")


def test_save_and_finish_later_keeps_the_answers_and_says_so_without_repeating_them(
    as_client: Client,
) -> None:
    intake = _start(as_client)
    response = _post_page(as_client, intake, "about_you", {"legal_name": CANARY},
                          action="later")
    assert response.url == reverse("intake_home")
    home = as_client.get(response.url).content.decode()
    assert "Your answers are saved" in home and CANARY not in home
    assert Intake.objects.get(pk=intake.pk).answers["legal_name"] == CANARY


def test_review_lists_the_missing_answers_first_with_links(as_client: Client) -> None:
    intake = _start(as_client)
    _post_page(as_client, intake, "about_you", {"legal_name": "Robin Example"})
    review = as_client.get(reverse("intake_review", args=[intake.id])).content.decode()
    missing = review.index("Still to answer")
    assert missing < review.index("About you")
    assert f'href="{_section_url(intake, "about_you")}#id_date_of_birth"' in review
    assert "Send my answers" not in review

    intake.refresh_from_db()
    response = as_client.post(reverse("intake_submit", args=[intake.id]),
                              {"revision": intake.revision}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("intake_review", args=[intake.id])
    assert "still need an answer" in response.content.decode()
    assert not Intake.objects.get(pk=intake.pk).is_submitted


# --- Refused answers ------------------------------------------------------------------------

BAD_ANSWERS = [
    # (page, question, what was posted, the start of the message shown beside it)
    ("about_you", "legal_name", "x" * 201, "Please keep this to 200 characters"),
    ("what_brings_you", "in_your_own_words", "y" * 4001, "Please keep this to 4,000"),
    ("about_you", "heard_about_us", "a_billboard", "Please choose one of the options."),
    ("relationships", "lives_with", ["partner", "the_moon"], "Please choose from the options."),
    ("feelings", "phq9_1", "7", "Please choose how often"),
    ("relationships", "earlier_therapy", "maybe", "Please choose one of the options."),
    ("about_you", "date_of_birth", "21/04/1990", "Please enter a date"),
    ("about_you", "date_of_birth", "2999-01-01", "This date can't be in the future."),
]
KEPT = {"about_you": ("pronouns", "they/them"), "what_brings_you": ("since_when", "not_sure"),
        "relationships": ("family_growing_up", "We were close."),
        "feelings": ("phq9_2", 1)}


@pytest.mark.parametrize(("section", "question", "posted", "message"), BAD_ANSWERS)
def test_a_refused_answer_is_explained_beside_its_field_and_the_rest_is_saved(
    as_client: Client, section: str, question: str, posted: Any, message: str
) -> None:
    intake = _start(as_client)
    other, good = KEPT[section]
    response = _post_page(as_client, intake, section, {question: posted, other: str(good)})
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert _error_beside(page, question).startswith("Please check: " + message)
    assert 'id="error-summary"' in page and "Everything else on this page is saved" in page
    stored = Intake.objects.get(pk=intake.pk).answers
    assert question not in stored
    assert stored[other] == good
    if question in ("legal_name", "in_your_own_words", "date_of_birth"):
        assert html.escape(posted) in page  # still in its field, to be put right


def test_a_bad_entry_in_a_repeating_group_is_explained_and_good_entries_saved(
    as_client: Client,
) -> None:
    intake = _start(as_client)
    response = _post_page(as_client, intake, "relationships", {
        "important_people-1-person_name": "Sam",
        "important_people-1-person_relationship": "sibling",
        "important_people-2-person_name": "Alex",
        "important_people-2-person_relationship": "stranger",
        "lives_with": "alone",
    })
    page = response.content.decode()
    assert _error_beside(page, "important_people").endswith(
        "Entry 2, Who are they to you?: Please choose one of the options.")
    assert Intake.objects.get(pk=intake.pk).answers["lives_with"] == ["alone"]
    assert 'value="Alex"' in page


def test_repeating_group_entries_round_trip_and_more_can_be_added_without_script(
    as_client: Client,
) -> None:
    intake = _start(as_client)
    _post_page(as_client, intake, "relationships", {
        "important_people-1-person_name": "Sam",
        "important_people-1-person_relationship": "sibling",
        "important_people-3-person_name": "Alex",  # a gap is closed up
    })
    assert Intake.objects.get(pk=intake.pk).answers["important_people"] == [
        {"person_name": "Sam", "person_relationship": "sibling"}, {"person_name": "Alex"},
    ]
    page, _ = _open(as_client, intake, "relationships")
    assert 'value="Sam"' in page and 'value="Alex"' in page
    assert page.count('class="intake-entry-legend"') == 8  # every entry is on the page
    assert page.count("<details class=\"intake-more\">") == 6  # entries 3 to 8 folded away
    assert "Add another" in page


def test_sensitive_questions_offer_to_talk_in_person(as_client: Client) -> None:
    intake = _start(as_client)
    page, _ = _open(as_client, intake, "health")
    assert 'name="alcohol" value="in_person"' in page
    assert 'name="prior_diagnoses-in-person"' in page  # a text question: a checkbox
    _post_page(as_client, intake, "health", {"alcohol": "in_person",
                                             "prior_diagnoses": "typed, then changed my mind",
                                             "prior_diagnoses-in-person": "on"})
    stored = Intake.objects.get(pk=intake.pk).answers
    assert stored["alcohol"] == "in_person" and stored["prior_diagnoses"] == "in_person"
    page, _ = _open(as_client, intake, "health")
    assert re.search(r'name="prior_diagnoses-in-person"[^>]*checked', page)


def test_unticking_every_box_clears_the_answer(as_client: Client) -> None:
    intake = _start(as_client)
    _post_page(as_client, intake, "practicalities", {"preferred_times": ["weekends"]})
    _post_page(as_client, intake, "practicalities", {}, action="later")
    assert "preferred_times" not in Intake.objects.get(pk=intake.pk).answers


# --- Two windows --------------------------------------------------------------------------


def test_a_page_from_an_older_revision_is_refused_and_shows_the_newer_answers(
    as_client: Client, client_user: User,
) -> None:
    intake = _start(as_client)
    _, old_revision = _open(as_client, intake, "about_you")
    intake_save_section(intake_id=intake.pk, client=client_user, section_id="about_you",
                        posted={"legal_name": "From the phone"}, revision=old_revision)

    response = _post_page(as_client, intake, "about_you",
                          {"legal_name": "From the laptop", "pronouns": "she/her"},
                          revision=old_revision)

    assert response.status_code == HTTPStatus.CONFLICT
    page = response.content.decode()
    assert html.escape(STALE_MESSAGE) in page
    form, refused = page.split('id="refused-answers"')
    assert 'value="From the phone"' in form and "From the laptop" not in form
    assert "From the laptop" in refused and "she/her" in refused
    assert int(must_search(REVISION, form).group(1)) == old_revision + 1  # can be sent again now
    assert Intake.objects.get(pk=intake.pk).answers == {"legal_name": "From the phone"}


def test_sending_twice_is_harmless(as_client: Client) -> None:
    intake = _start(as_client)
    _fill_everything(as_client, intake)
    intake.refresh_from_db()
    url = reverse("intake_submit", args=[intake.id])
    first = as_client.post(url, {"revision": intake.revision})
    again = as_client.post(url, {"revision": intake.revision})
    sent = reverse("intake_submitted", args=[intake.id])
    assert first["Location"] == sent and again["Location"] == sent
    assert AuditEvent.objects.filter(action=Action.INTAKE_SUBMITTED).count() == 1
    assert Intake.objects.get(pk=intake.pk).is_submitted


# --- Autosave -----------------------------------------------------------------------------


def _autosave(http: Client, intake: Intake, fields: dict[str, Any]) -> Any:
    return http.post(reverse("intake_autosave", args=[intake.id]), fields)


def test_autosave_saves_and_returns_the_new_revision_but_never_the_answers(
    as_client: Client,
) -> None:
    intake = _start(as_client)
    response = _autosave(as_client, intake, {"section": "about_you", "revision": 0,
                                             "legal_name": CANARY})
    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["revision"] == 1 and data["errors"] == {} and data["safety"] is False
    assert re.fullmatch(r"\d\d:\d\d", data["saved_at"])
    assert CANARY not in response.content.decode()
    assert Intake.objects.get(pk=intake.pk).answers["legal_name"] == CANARY

    # One field at a time keeps the rest of the page.
    _autosave(as_client, intake, {"section": "about_you", "revision": 1, "pronouns": "he/him"})
    assert Intake.objects.get(pk=intake.pk).answers == {"legal_name": CANARY,
                                                        "pronouns": "he/him"}


def test_autosave_reports_a_refused_answer_without_repeating_it(as_client: Client) -> None:
    intake = _start(as_client)
    response = _autosave(as_client, intake, {"section": "about_you", "revision": 0,
                                             "legal_name": "z" * 250})
    data = response.json()
    assert data["errors"]["legal_name"].startswith("Please keep this to 200 characters")
    assert "zzzz" not in response.content.decode()


def test_autosave_from_an_older_page_is_refused_with_409(as_client: Client) -> None:
    intake = _start(as_client)
    _autosave(as_client, intake, {"section": "about_you", "revision": 0, "legal_name": "First"})
    response = _autosave(as_client, intake, {"section": "about_you", "revision": 0,
                                             "legal_name": CANARY})
    assert response.status_code == HTTPStatus.CONFLICT
    assert "another window or device" in response.json()["message"]
    assert CANARY not in response.content.decode()
    assert Intake.objects.get(pk=intake.pk).answers["legal_name"] == "First"


def test_autosave_of_an_unknown_page_is_a_400_and_only_takes_posts(as_client: Client) -> None:
    intake = _start(as_client)
    url = reverse("intake_autosave", args=[intake.id])
    assert as_client.post(url, {"section": "nope", "revision": 0}).status_code == 400
    assert as_client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_autosave_into_another_clients_intake_is_a_404(
    client: Client, client_user: User, other_client_user: User,
) -> None:
    intake = intake_start(client=client_user)
    sign_in(client, other_client_user)
    response = _autosave(client, intake, {"section": "about_you", "revision": 0,
                                          "legal_name": "Not mine"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Intake.objects.get(pk=intake.pk).answers == {}


def test_autosave_flags_a_safety_answer(as_client: Client) -> None:
    intake = _start(as_client)
    response = _autosave(as_client, intake, {"section": "feelings", "revision": 0,
                                             "phq9_9": "2"})
    assert response.json()["safety"] is True


# --- The crisis text after a safety answer ---------------------------------------------------


def test_the_crisis_text_follows_a_safety_answer_and_the_client_can_carry_on(
    as_client: Client,
) -> None:
    intake = _start(as_client)
    calm = _post_page(as_client, intake, "feelings", answers_by_section()["feelings"])
    page = as_client.get(calm.url).content.decode()
    assert CRISIS_PANEL_HIDDEN in page  # ready for autosave, out of sight

    response = _post_page(as_client, intake, "feelings",
                          answers_by_section(item_9=1)["feelings"])
    assert response.url == _section_url(intake, "safety")
    page = as_client.get(response.url).content.decode()
    assert CRISIS_PANEL_SHOWN in page
    panel = page[page.index(CRISIS_PANEL_SHOWN):page.index("</aside>")]
    assert "Thank you for telling us" in panel and html.escape(DEFAULT_CRISIS_TEXT) in panel
    assert "not monitored in real time" in panel and "If you are in danger now" in panel
    assert page.index(CRISIS_PANEL_SHOWN) < page.index("<h1>")
    assert 'value="next"' in page  # carrying on is always possible

    # Back on the pages about feelings and safety, the text stays in view.
    page, _ = _open(as_client, intake, "feelings")
    assert CRISIS_PANEL_SHOWN in page
    page, _ = _open(as_client, intake, "relationships")
    assert CRISIS_PANEL_HIDDEN in page


# --- Conditions ------------------------------------------------------------------------------

SMALL: dict[str, Any] = {
    "slug": "small-intake", "version": "1", "title": "Small", "intro": "",
    "sections": [
        {"id": "first", "title": "First", "questions": [
            {"id": "has_pets", "type": "yes_no", "label": "Do you have pets?"},
            {"id": "pet_names", "type": "short_text", "label": "Their names",
             "condition": {"question": "has_pets", "equals": "yes"}},
            {"id": "sleep_hours", "type": "number", "label": "Hours of sleep",
             "min_value": 0, "max_value": 24}]},
        {"id": "pets", "title": "Your pets", "condition": {"question": "has_pets",
                                                            "equals": "yes"},
         "questions": [{"id": "pet_story", "type": "long_text", "label": "Tell us"}]},
        {"id": "last", "title": "Last", "questions": [
            {"id": "notes", "type": "long_text", "label": "Notes"},
            {"id": "pet_worry", "type": "short_text", "label": "Worries about pets",
             "condition": {"question": "has_pets", "equals": "yes"}}]},
    ],
}


@pytest.fixture
def small_intake(client_user: User) -> Intake:
    version = QuestionnaireVersion.objects.create(
        slug=SMALL["slug"], version="1", title="Small", definition=SMALL,
        sha256=canonical_sha256(SMALL))
    return Intake.objects.create(client=client_user, questionnaire=version)


def test_hidden_sections_are_skipped_both_ways(as_client: Client, small_intake: Intake) -> None:
    response = _post_page(as_client, small_intake, "first", {"has_pets": "no"})
    assert response.url == _section_url(small_intake, "last")
    assert as_client.get(_section_url(small_intake, "pets"))["Location"] == _section_url(
        small_intake, "last")
    page, _ = _open(as_client, small_intake, "last")
    assert "Step 2 of 2" in page
    # A condition on an earlier page is settled: the question is not drawn at all.
    assert "Worries about pets" not in page
    back = _post_page(as_client, small_intake, "last", {}, action="back")
    assert back.url == _section_url(small_intake, "first")

    response = _post_page(as_client, small_intake, "first", {"has_pets": "yes"})
    assert response.url == _section_url(small_intake, "pets")
    page, _ = _open(as_client, small_intake, "last")
    assert "Step 3 of 3" in page and "Worries about pets" in page


def test_questions_hidden_by_an_answer_on_the_same_page_are_drawn_and_their_answers_dropped(
    as_client: Client, small_intake: Intake,
) -> None:
    page, _ = _open(as_client, small_intake, "first")
    condition = json.dumps({"question": "has_pets", "in": ["yes"]})
    assert f'data-condition="{html.escape(condition)}"' in page  # for the script
    _post_page(as_client, small_intake, "first", {"has_pets": "no", "pet_names": "Rex"})
    assert Intake.objects.get(pk=small_intake.pk).answers == {"has_pets": "no"}


def test_a_number_out_of_range_is_explained(as_client: Client, small_intake: Intake) -> None:
    response = _post_page(as_client, small_intake, "first", {"sleep_hours": "30",
                                                             "has_pets": "no"})
    assert _error_beside(response.content.decode(), "sleep_hours").endswith(
        "Please enter a whole number from 0 to 24.")
    assert Intake.objects.get(pk=small_intake.pk).answers == {"has_pets": "no"}


def test_an_unknown_page_is_a_404(as_client: Client) -> None:
    intake = _start(as_client)
    assert as_client.get(_section_url(intake, "not_a_page")).status_code == 404
    assert _post_page(as_client, intake, "not_a_page", {}, revision=0).status_code == 404


# --- Escaping and privacy ------------------------------------------------------------------


def test_html_typed_into_an_answer_is_shown_as_text(as_client: Client) -> None:
    intake = _start(as_client)
    typed = '<script>alert("hi")</script><b>bold</b>'
    _post_page(as_client, intake, "about_you", {"legal_name": typed})
    for url in (_section_url(intake, "about_you"), reverse("intake_review", args=[intake.id])):
        page = as_client.get(url).content.decode()
        assert "<script>alert" not in page and "<b>bold" not in page
        assert "&lt;script&gt;alert(" in page


def test_the_page_lists_its_questions_for_the_server(as_client: Client) -> None:
    intake = _start(as_client)
    page, _ = _open(as_client, intake, "about_you")
    assert f'name="{LISTED_FIELD}" value="legal_name"' in page
    assert "Why we ask this" in page and "(required)" in page
    assert 'aria-describedby="legal_name-help legal_name-error"' in page
    assert " style=" not in page and "<script>" not in page


def test_another_client_gets_404_on_every_intake_url(
    client: Client, client_user: User, other_client_user: User,
) -> None:
    submitted_owner = Client()
    sign_in(submitted_owner, client_user)
    intake = _start(submitted_owner)
    sign_in(client, other_client_user)
    urls = [
        ("get", _section_url(intake, "about_you")),
        ("post", _section_url(intake, "about_you")),
        ("post", reverse("intake_autosave", args=[intake.id])),
        ("get", reverse("intake_review", args=[intake.id])),
        ("post", reverse("intake_submit", args=[intake.id])),
        ("get", reverse("intake_submitted", args=[intake.id])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, {"revision": 0, "section": "about_you",
                                                 "legal_name": "Not mine"}
                                           if method == "post" else None)
        assert response.status_code == HTTPStatus.NOT_FOUND, (method, url)
    assert Intake.objects.get(pk=intake.pk).answers == {}


def test_the_crisis_text_is_shown_on_the_home_page_after_save_and_finish_later(
    as_client: Client,
) -> None:
    intake = _start(as_client)
    response = _post_page(as_client, intake, "safety", {"thoughts_of_ending_life_now": "yes"},
                          action="later")
    home = as_client.get(response.url).content.decode()
    assert CRISIS_PANEL_SHOWN in home and "Thank you for telling us" in home
    # Shown once: the overview is calm again afterwards.
    assert "Thank you for telling us" not in as_client.get(response.url).content.decode()
