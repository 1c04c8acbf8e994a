"""The client's own pages of a couple's intake say, in words, who will see each answer: a
notice before the questions of every page, a badge on a question that differs from its page,
and on the review page a mark beside every answer and a count at the top. The individual
questionnaire's pages say nothing of the kind. The clinician reads the CSI-4 with its
meaning."""

from __future__ import annotations

import html
import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import Intake
from intake.services import intake_start, intake_submit
from portal.models import User
from tests.helpers import sign_in, signed_in
from tests.intake_data import (
    PRIVATE_CANARY,
    SHARED_CANARY,
    answers_by_section,
    couple_draft,
    filled_couple_draft,
    save_page,
)

pytestmark = pytest.mark.django_db

SHARED_NOTICE = "Your partner will see these answers."
PRIVATE_EXPLANATION = ("Only you and your care team will see these answers. "
                       "Your partner will not.")
NOTICE = re.compile(
    r'<aside class="intake-visibility intake-visibility-(private|shared)" id="page-visibility" '
    r'role="note" aria-labelledby="page-visibility-badge">\s*'
    r'<p[^>]*id="page-visibility-badge">([^<]+)</p>\s*<p class="mb-0">([^<]+)</p>'
)
PAGES = {
    "about_you": "private", "what_brings_us": "shared", "relationship": "shared",
    "csi4": "private", "feelings": "private", "safety": "private",
    "private_things": "private", "goals": "shared",
}


def _page(http: Client, intake: Intake, section: str) -> str:
    response = http.get(reverse("intake_section", args=[intake.id, section]))
    assert response.status_code == HTTPStatus.OK, response.status_code
    return html.unescape(response.content.decode())


def _review(http: Client, intake: Intake) -> str:
    response = http.get(reverse("intake_review", args=[intake.id]))
    assert response.status_code == HTTPStatus.OK
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(("section", "visibility"), PAGES.items())
def test_every_couple_page_says_who_will_see_its_answers_before_the_questions(
    as_client: Client, client_user: User, section: str, visibility: str
) -> None:
    intake = couple_draft(client_user)
    page = _page(as_client, intake, section)
    notice = NOTICE.search(page)
    assert notice is not None, "no visibility notice on the page"
    assert notice.group(1) == visibility
    if visibility == "shared":
        assert (notice.group(2), notice.group(3)) == ("Shared with your partner", SHARED_NOTICE)
    else:
        assert (notice.group(2), notice.group(3)) == ("Private", PRIVATE_EXPLANATION)
    first_question = page.index('class="intake-question')
    assert notice.start() < first_question


def test_a_private_question_on_a_shared_page_carries_its_own_badge(
    as_client: Client, client_user: User
) -> None:
    page = _page(as_client, couple_draft(client_user), "what_brings_us")
    label = re.search(r'<label[^>]*for="id_brings_us_privately">(.*?)</label>', page, re.S)
    assert label is not None
    # Inside the label, so a screen reader says it with the question.
    assert '<span class="intake-visibility-badge intake-visibility-private">Private</span>' \
        in label.group(1)
    # The page's shared questions carry no badge of their own: the notice says it once.
    own_words = re.search(r'<label[^>]*for="id_in_your_own_words">(.*?)</label>', page, re.S)
    assert own_words is not None and "intake-visibility-badge" not in own_words.group(1)
    assert page.count("intake-visibility-badge intake-visibility-") == 1


def test_the_review_counts_the_shared_answers_and_marks_every_answer(
    as_client: Client, client_user: User
) -> None:
    intake = filled_couple_draft(client_user)
    review = _review(as_client, intake)
    # Shared and answered: in_your_own_words, since_when, living_together, has_children,
    # good_outcome.
    summary = review.index("5 of your answers will be shared with your partner.")
    assert summary < review.index("About you")
    assert 'role="note"' in review[summary - 400:summary]

    def mark(question_id: str) -> str:
        row = re.search(rf'id="answer-{question_id}">\s*<dt>(.*?)</dt>', review, re.S)
        assert row is not None, question_id
        return row.group(1)

    for question_id in ("in_your_own_words", "since_when", "good_outcome"):
        assert "Your partner will see this" in mark(question_id)
    for question_id in ("legal_name", "csi4_1", "phq9_9", "afraid_of_partner",
                        "not_told_partner", "brings_us_privately"):
        assert mark(question_id).endswith(
            '<span class="intake-answer-visibility intake-visibility-private">Private</span>')
    assert SHARED_CANARY in review and PRIVATE_CANARY in review  # the client's own words
    heading = re.search(r'<h2 id="review-what_brings_us"[^>]*>(.*?)</h2>', review, re.S)
    assert heading is not None and "Shared with your partner" in heading.group(1)


def test_a_couple_intake_is_sent_with_its_csi4_score_and_the_copy_keeps_the_marks(
    as_client: Client, client_user: User
) -> None:
    intake = filled_couple_draft(client_user)
    sent = intake_submit(intake_id=intake.pk, client=client_user, revision=intake.revision)
    csi4 = next(score for score in sent.scores or [] if score["instrument"] == "csi4")
    assert (csi4["total"], csi4["max_total"]) == (12, 21)
    assert csi4["band"] == "Below the cut-off: suggests notable relationship distress"
    copy = html.unescape(as_client.get(reverse("intake_submitted", args=[intake.id]))
                         .content.decode())
    assert "Your partner will see this" in copy
    assert '<span class="intake-answer-visibility intake-visibility-private">Private</span>' \
        in copy


def test_the_individual_questionnaires_pages_say_nothing_about_sharing(
    as_client: Client, client_user: User
) -> None:
    intake = intake_start(client=client_user)
    for section, posted in answers_by_section().items():
        intake = save_page(intake, section, posted, client_user)
        page = _page(as_client, intake, section)
        assert NOTICE.search(page) is None and 'id="page-visibility"' not in page
        assert "intake-visibility" not in page
        assert "partner will" not in page
    review = _review(as_client, intake)
    assert "will be shared with" not in review and 'id="shared-summary"' not in review
    assert "intake-visibility" not in review and "intake-answer-visibility" not in review


def test_another_client_cannot_open_a_couple_draft(
    client: Client, client_user: User, other_client_user: User
) -> None:
    intake = couple_draft(client_user)
    sign_in(client, other_client_user)
    for url in (reverse("intake_section", args=[intake.id, "what_brings_us"]),
                reverse("intake_review", args=[intake.id])):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_the_clinician_reads_the_csi4_score_with_its_meaning_and_citation(
    caseload: User, clinician_user: User
) -> None:
    intake = filled_couple_draft(caseload)
    intake_submit(intake_id=intake.pk, client=caseload, revision=intake.revision)
    response = signed_in(clinician_user).get(reverse("staff_intake_detail", args=[intake.pk]))
    assert response.status_code == HTTPStatus.OK
    rows = {row.title: row for row in response.context["reading"].scores}
    csi4 = rows["CSI-4"]
    assert (csi4.total, csi4.max_total) == (12, 21)
    assert csi4.interpretation.startswith("Below 13.5 suggests notable relationship distress")
    assert csi4.scale is not None and csi4.scale.aria_label.startswith("CSI-4: 12 out of 21")
    page = html.unescape(response.content.decode())
    assert "12/21" in page and "Below 13.5 suggests notable relationship distress" in page
    assert "Journal of Family Psychology, 21(4), 572-583" in page
    # A whole-number answer reads as its published words, not its number.
    label = re.escape(html.escape("Please indicate the degree of happiness, all things "
                                  "considered, of your relationship.", quote=False))
    answer = re.search(rf"<dt>{label}</dt>\s*<dd[^>]*>(.*?)</dd>",
                       response.content.decode(), re.S)
    assert answer is not None and answer.group(1).strip() == "Happy"
    # The PHQ-9 and GAD-7 rows carry no interpretation (their definition gives none).
    assert rows["PHQ-9"].interpretation == "" and rows["GAD-7"].interpretation == ""


def test_a_saved_csi4_answer_comes_back_chosen_and_a_wrong_one_is_explained(
    as_client: Client, client_user: User
) -> None:
    intake = filled_couple_draft(client_user, csi4=(5, 0, 2, 4))
    page = _page(as_client, intake, "csi4")
    chosen = re.findall(r'<input type="radio" name="(csi4_\d)" value="(\d)"[^>]*checked', page)
    assert chosen == [("csi4_1", "5"), ("csi4_2", "0"), ("csi4_3", "2"), ("csi4_4", "4")]
    listed = re.findall(r'name="questions" value="([^"]+)"', page)
    response = as_client.post(
        reverse("intake_section", args=[intake.id, "csi4"]),
        {"questions": listed, "csi4_1": "7", "csi4_2": "1", "revision": intake.revision,
         "action": "next"})
    assert response.status_code == HTTPStatus.OK  # back to the page, with the message
    assert "Please choose one of the options." in response.content.decode()
    stored = Intake.objects.get(pk=intake.pk).answers
    assert (stored["csi4_1"], stored["csi4_2"]) == (5, 1)  # the old answer kept, the new saved
