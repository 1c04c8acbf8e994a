"""The builder's editing pages, through the browser's requests: an admin starts a draft,
adds a section and a question with Spanish words, moves it, gives it a condition the draft
then names as its problem, fixes it; a page from a stale tab is refused without losing
anything; locked questions keep their meaning; nobody but an admin finds any of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from intake.builder import edits
from intake.builder.assignments import version_for
from intake.builder.drafts import draft_start
from intake.builder.edits import find_question
from intake.models import IntakeKind, QuestionnaireDraft
from portal.models import User
from tests.helpers import sign_in, signed_in

pytestmark = pytest.mark.django_db


def _draft(admin: User) -> QuestionnaireDraft:
    return draft_start(version=version_for(IntakeKind.INDIVIDUAL), actor=admin)


def _change(client: Client, draft: QuestionnaireDraft, **fields: Any) -> Any:
    draft.refresh_from_db()
    response = client.post(reverse("builder_draft_change", args=[draft.id]),
                           {"revision": draft.revision, **fields})
    draft.refresh_from_db()
    return response


def _entries(draft: QuestionnaireDraft, section_id: str) -> list[str]:
    draft.refresh_from_db()
    (section,) = [s for s in draft.source["sections"] if s["id"] == section_id]
    return [entry.get("id") or f"instrument:{entry['instrument']}"
            for entry in section["questions"]]


def test_an_admin_builds_a_question_sees_the_problem_and_fixes_it(
    as_admin: Client, admin_user: User,
) -> None:
    listing = as_admin.get(reverse("questionnaire_list"))
    assert listing.status_code == 200
    version = version_for(IntakeKind.INDIVIDUAL)
    assert b"Start a draft" in listing.content and str(version.id).encode() in listing.content

    started = as_admin.post(reverse("builder_draft_start", args=[version.id]))
    draft = QuestionnaireDraft.objects.get()
    assert started["Location"] == reverse("builder_draft", args=[draft.id])
    page = as_admin.get(started["Location"])
    assert page.status_code == 200 and b"be published yet" not in page.content
    assert "legal name on file" in page.content.decode()

    response = _change(as_admin, draft, op="section_add", new_id="your_work",
                       **{"title-en": "Your work", "title-es": "Su trabajo"})
    assert response.status_code == 302
    # An empty section is the draft's problem, named by its title.
    text = as_admin.get(reverse("builder_draft", args=[draft.id])).content.decode()
    assert "This draft can't be published yet: Section “Your work”" in text

    response = _change(as_admin, draft, op="question_add", where="section:your_work",
                       type="short_text", new_id="job_title",
                       **{"label-en": "Your job title", "label-es": "Su puesto"})
    assert response.status_code == 302
    assert find_question(draft.source, "job_title")["label"] == {
        "en": "Your job title", "es": "Su puesto"}
    _change(as_admin, draft, op="question_add", where="section:your_work", type="yes_no",
            new_id="works_nights", **{"label-en": "Do you work nights?"})
    _change(as_admin, draft, op="question_move", key="works_nights", direction="up")
    assert _entries(draft, "your_work") == ["works_nights", "job_title"]
    assert as_admin.get(reverse("builder_draft", args=[draft.id])).context["problem"] is None

    # A condition on the later question: saved, and named as the problem.
    edit_url = reverse("builder_question_edit", args=[draft.id, "works_nights"])
    form = as_admin.get(edit_url)
    assert 'lang="es"' in form.content.decode()
    draft.refresh_from_db()
    response = as_admin.post(edit_url, {
        "revision": draft.revision, "id": "works_nights", "label-en": "Do you work nights?",
        "label-es": "¿Trabaja de noche?", "condition": ["job_title|answered"]})
    assert response.status_code == 302
    problem = as_admin.get(reverse("builder_draft", args=[draft.id])).context["problem"]
    assert "“Do you work nights?” (works_nights)" in problem
    assert "job_title" in problem and "earlier" in problem

    # Fixed by moving it below the question it depends on.
    _change(as_admin, draft, op="question_move", key="works_nights", direction="down")
    page = as_admin.get(reverse("builder_draft", args=[draft.id]))
    assert page.context["problem"] is None
    assert find_question(draft.source, "works_nights")["label"]["es"] == "¿Trabaja de noche?"


def test_a_stale_page_is_refused_and_nothing_saved_is_lost(
    as_admin: Client, admin_user: User,
) -> None:
    draft = _draft(admin_user)
    stale = draft.revision
    _change(as_admin, draft, op="question_move", key="pronouns", direction="up")
    moved = _entries(draft, "about_you")
    response = as_admin.post(reverse("builder_draft_change", args=[draft.id]), {
        "revision": stale, "op": "section_remove", "section": "health"})
    assert response.status_code == 409
    assert "changed in another tab" in response.content.decode()
    assert _entries(draft, "about_you") == moved
    assert "health" in [section["id"] for section in draft.source["sections"]]

    # A stale question form keeps what was typed, and saves nothing.
    url = reverse("builder_question_edit", args=[draft.id, "tried_so_far"])
    response = as_admin.post(url, {"revision": stale, "id": "tried_so_far",
                                   "label-en": "Typed words kept", "max_length": "2000"})
    assert response.status_code == 409
    assert "Typed words kept" in response.content.decode()
    assert find_question(QuestionnaireDraft.objects.get().source,
                         "tried_so_far")["label"] != "Typed words kept"


def test_form_nonsense_is_refused_with_a_message_and_loses_nothing(
    as_admin: Client, admin_user: User,
) -> None:
    draft = _draft(admin_user)
    before = draft.revision
    for fields in ({"new_id": "Not a slug"}, {"new_id": "legal_name"},
                   {"new_id": "fine", "label-en": "x" * 600},
                   {"new_id": "fine", "label-en": "bad\x01char"}):
        response = _change(as_admin, draft, op="question_add", where="section:about_you",
                           type="short_text", **{"label-en": "Label", **fields})
        assert response.status_code == 400
        assert response.context["error"]
    response = _change(as_admin, draft, op="nonsense")
    assert response.status_code == 400
    url = reverse("builder_question_edit", args=[draft.id, "tried_so_far"])
    response = as_admin.post(url, {"revision": before, "id": "tried_so_far",
                                   "label-en": "Words to keep", "max_length": "lots"})
    assert response.status_code == 400 and "Words to keep" in response.content.decode()
    draft.refresh_from_db()
    assert draft.revision == before


def test_locked_questions_cannot_be_removed_but_their_words_change(
    as_admin: Client, admin_user: User,
) -> None:
    draft = _draft(admin_user)
    for key in ("date_of_birth", "thoughts_of_ending_life_now"):
        response = _change(as_admin, draft, op="question_remove", key=key)
        assert response.status_code == 400
        assert "can&#x27;t be removed" in response.content.decode()
        assert key in _entries(draft, "about_you") + _entries(draft, "safety")
    url = reverse("builder_question_edit", args=[draft.id, "date_of_birth"])
    page = as_admin.get(url).content.decode()
    assert "date of birth on file" in page and 'name="id"' not in page
    draft.refresh_from_db()
    response = as_admin.post(url, {"revision": draft.revision, "id": "birthday",
                                   "label-en": "Your date of birth",
                                   "label-es": "Su fecha de nacimiento"})
    assert response.status_code == 302
    question = find_question(QuestionnaireDraft.objects.get().source, "date_of_birth")
    assert question["label"] == {"en": "Your date of birth", "es": "Su fecha de nacimiento"}
    assert question["required"] is True and question["type"] == "date"


def test_options_and_instrument_blocks(as_admin: Client, admin_user: User) -> None:
    draft = _draft(admin_user)
    url = reverse("builder_question_edit", args=[draft.id, "heard_about_us"])
    draft.refresh_from_db()
    options = find_question(draft.source, "heard_about_us")["options"]
    fields = {"revision": draft.revision, "id": "heard_about_us",
              "label-en": "How did you hear about us?", "new_option_value": "podcast",
              "new_option-label-en": "A podcast", "new_option-label-es": "Un pódcast"}
    for index, option in enumerate(options):
        for language, words in option["label"].items():
            fields[f"option-{index}-label-{language}"] = words
    assert as_admin.post(url, fields).status_code == 302
    draft.refresh_from_db()
    assert find_question(draft.source, "heard_about_us")["options"][-1]["value"] == "podcast"
    response = as_admin.post(url, {"revision": draft.revision, "option_op": "remove",
                                   "option": "podcast"})
    assert response.status_code == 302
    assert find_question(QuestionnaireDraft.objects.get().source,
                         "heard_about_us")["options"] == options

    assert _change(as_admin, draft, op="question_remove",
                   key="instrument:gad7").status_code == 302
    assert "instrument:gad7" not in _entries(draft, "feelings")
    assert {"ref": "gad7"} not in draft.source["instruments"]
    assert _change(as_admin, draft, op="instrument_insert", section="health",
                   instrument="gad7").status_code == 302
    assert _entries(draft, "health")[-1] == "instrument:gad7"
    assert as_admin.get(reverse("builder_draft", args=[draft.id])).context["problem"] is None
    # An instrument's items have no edit page.
    assert as_admin.get(reverse("builder_question_edit",
                                args=[draft.id, "gad7_1"])).status_code == 404


def test_a_section_is_edited(as_admin: Client, admin_user: User) -> None:
    draft = _draft(admin_user)
    url = reverse("builder_section_edit", args=[draft.id, "health"])
    assert as_admin.get(url).status_code == 200
    response = as_admin.post(url, {"revision": draft.revision, "id": "your_health",
                                   "title-en": "Your health", "title-es": "Su salud",
                                   "intro-en": "A few questions.", "intro-es": ""})
    assert response.status_code == 302
    draft.refresh_from_db()
    section = draft.source["sections"][5]
    assert section["id"] == "your_health" and section["intro"] == {"en": "A few questions."}
    assert as_admin.get(url).status_code == 404  # the old id is gone


@pytest.mark.parametrize("who", ["clinician", "client", "anonymous"])
def test_nobody_but_an_admin_finds_the_builder(
    client: Client, admin_user: User, clinician_user: User, client_user: User, who: str,
) -> None:
    draft = _draft(admin_user)
    if who != "anonymous":
        sign_in(client, {"clinician": clinician_user, "client": client_user}[who])
    urls = [
        ("get", reverse("questionnaire_list")),
        ("post", reverse("builder_draft_start", args=[draft.based_on_id])),
        ("get", reverse("builder_draft", args=[draft.id])),
        ("post", reverse("builder_draft_change", args=[draft.id])),
        ("get", reverse("builder_section_edit", args=[draft.id, "health"])),
        ("post", reverse("builder_section_edit", args=[draft.id, "health"])),
        ("get", reverse("builder_question_edit", args=[draft.id, "tried_so_far"])),
        ("post", reverse("builder_question_edit", args=[draft.id, "tried_so_far"])),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, {"revision": draft.revision,
                                                 "op": "section_remove", "section": "health"})
        if who == "anonymous":
            assert response.status_code == 302 and "login" in response["Location"]
        else:
            assert response.status_code == 404
    draft.refresh_from_db()
    assert "health" in [section["id"] for section in draft.source["sections"]]


def test_the_parsers_place_is_said_in_words(admin_user: User) -> None:
    from intake.views.builder_edit import described_problem

    source = _draft(admin_user).source
    assert described_problem(source, "sections[0].questions[1] (preferred_name): bad") == (
        "Section “About you”, question “What would you like us to call you?” "
        "(preferred_name): bad")
    # After an instrument block the parser counts the block's questions; the id decides.
    assert described_problem(source, "sections[3]: 'id' is a new lower-case identifier") == (
        "Section “Your safety”: 'id' is a new lower-case identifier")
    assert described_problem(
        source, "sections[4].questions[2] (important_people).questions[0] (name): x"
    ).startswith("Section “Your relationships”, question “")
    assert described_problem(source, "instruments[0]: bands") == "instruments[0]: bands"


def test_the_title_and_a_sections_condition_are_edited(
    as_admin: Client, admin_user: User,
) -> None:
    draft = _draft(admin_user)
    url = reverse("builder_draft_texts", args=[draft.id])
    assert 'lang="es"' in as_admin.get(url).content.decode()
    response = as_admin.post(url, {"revision": draft.revision, "title-en": "Welcome",
                                   "title-es": "Bienvenida", "intro-en": "Hello."})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.source["title"] == {"en": "Welcome", "es": "Bienvenida"}
    assert draft.title == "Welcome"

    url = reverse("builder_section_edit", args=[draft.id, "health"])
    fields = {"revision": draft.revision, "id": "health", "title-en": "Your health"}
    response = as_admin.post(url, {**fields, "condition": ["earlier_therapy|=yes"]})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.source["sections"][5]["condition"] == {"question": "earlier_therapy",
                                                        "equals": "yes"}
    response = as_admin.post(reverse("builder_section_edit", args=[draft.id, "safety"]), {
        **fields, "revision": draft.revision, "id": "safety", "title-en": "Your safety",
        "condition": ["in_your_own_words|answered"]})
    assert response.status_code == 400 and "always asked" in response.content.decode()


def test_a_couple_questionnaires_question_is_made_private(
    as_admin: Client, admin_user: User,
) -> None:
    listing = as_admin.get(reverse("questionnaire_list")).content.decode()
    assert "A partner in a couple" in listing and "An adult client, individually" in listing
    draft = draft_start(version=version_for(IntakeKind.PARTNER), actor=admin_user)
    question = find_question(draft.source, "hoped_changes")  # on a shared page
    assert edits.locked_reason(draft.source, "hoped_changes") is None
    url = reverse("builder_question_edit", args=[draft.id, question["id"]])
    assert "Who reads the answer" in as_admin.get(url).content.decode()
    label = question["label"] if isinstance(question["label"], dict) else {
        "en": question["label"]}
    response = as_admin.post(url, {
        "revision": draft.revision, "id": question["id"],
        **{f"label-{language}": words for language, words in label.items()},
        "max_length": str(question.get("max_length", 2000)), "visibility": "private"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert find_question(draft.source, question["id"])["visibility"] == "private"
    assert as_admin.get(reverse("builder_draft", args=[draft.id])).context["problem"] is None


def test_the_staff_home_leads_admins_and_only_them_to_the_questionnaires(
    admin_user: User, clinician_user: User,
) -> None:
    builder = reverse("questionnaire_list")
    admin_home = signed_in(admin_user).get(reverse("staff_home")).content.decode()
    assert f'href="{builder}"' in admin_home
    clinician_home = signed_in(clinician_user).get(reverse("staff_home")).content.decode()
    assert f'href="{builder}"' not in clinician_home
