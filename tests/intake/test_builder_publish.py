"""The builder's preview, diff, publishing and choosing pages, through the test client: a
practice admin previews a draft as a client would see it (conditions and language
included), reads what it changes word by word, publishes it (password again, never with a
problem), and chooses which questionnaire each kind of intake starts on. A client half-way
through keeps their version; staff pages name each intake's version."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from intake.builder.assignments import chosen_slug, version_for
from intake.builder.drafts import draft_save, draft_start
from intake.models import IntakeKind, QuestionnaireDraft, QuestionnaireVersion
from intake.services import intake_start
from portal.models import User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import reauthenticate, sign_in
from tests.intake_data import submitted_intake

pytestmark = pytest.mark.django_db

HAS_PET = {"id": "has_pet", "type": "yes_no",
           "label": {"en": "Do you have a pet?", "es": "¿Tiene una mascota?"}}
PET_NAME = {"id": "pet_name", "type": "short_text", "max_length": 100,
            "label": {"en": "What is your pet called?", "es": "¿Cómo se llama su mascota?"},
            "condition": {"question": "has_pet", "equals": "yes"}}


def _draft(admin: User, change: Any = None) -> QuestionnaireDraft:
    draft = draft_start(version=version_for(IntakeKind.INDIVIDUAL), actor=admin)
    source = copy.deepcopy(draft.source)
    source["sections"][0]["questions"].extend(copy.deepcopy([HAS_PET, PET_NAME]))
    if change is not None:
        change(source)
    return draft_save(draft=draft, source=source, revision=draft.revision)


def _page(http: Client, url: str, **query: str) -> str:
    response = http.get(url, query)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_the_preview_shows_a_conditional_question_only_with_its_answer(
    as_admin: Client, admin_user: User,
) -> None:
    draft = _draft(admin_user)
    url = reverse("questionnaire_draft_preview", args=[draft.id])
    plain = _page(as_admin, url, lang="en")
    assert "Do you have a pet?" in plain
    assert "What is your pet called?" not in plain
    assert 'name="a-has_pet"' in plain  # the admin may choose that answer
    chosen = _page(as_admin, url, lang="en", **{"a-has_pet": "yes"})
    assert "What is your pet called?" in chosen
    assert _page(as_admin, url, lang="en", **{"a-has_pet": "no"}).count(
        "What is your pet called?") == 0
    # Nothing is sent from the preview: the fields are disabled, in no posting form.
    frame = chosen[chosen.index('id="preview-frame"'):]
    frame = frame[:frame.index("</main>")] if "</main>" in frame else frame
    assert "<fieldset disabled" in frame
    assert "<form" not in frame


def test_the_preview_in_spanish(as_admin: Client, admin_user: User) -> None:
    draft = _draft(admin_user)
    page = _page(as_admin, reverse("questionnaire_draft_preview", args=[draft.id]),
                 lang="es", **{"a-has_pet": "yes"})
    assert "¿Tiene una mascota?" in page and "¿Cómo se llama su mascota?" in page
    assert 'lang="es" id="preview-frame"' in page
    frame = page[page.index('id="preview-frame"'):]
    assert "(obligatorio)" in frame  # the client pages' own words, in Spanish too
    assert "Preview: " in page  # while the admin's page stays in theirs


def test_a_published_version_has_a_preview_and_a_hostile_query_is_harmless(
    as_admin: Client,
) -> None:
    version = version_for(IntakeKind.INDIVIDUAL)
    url = reverse("questionnaire_version_preview", args=[version.id])
    page = _page(as_admin, url, lang="xx", **{"a-nope": "<script>" * 100})
    assert "preview-frame" in page and "<script><script>" not in page


def test_a_draft_with_a_problem_shows_the_problem_instead_of_a_preview(
    as_admin: Client, admin_user: User,
) -> None:
    def forward(source: dict[str, Any]) -> None:
        source["sections"][0]["questions"][-1]["condition"] = {"question": "nowhere",
                                                               "answered": True}
    draft = _draft(admin_user, forward)
    page = _page(as_admin, reverse("questionnaire_draft_preview", args=[draft.id]))
    assert "draft-problem" in page and "nowhere" in page
    assert "preview-frame" not in page


def test_the_diff_marks_a_reworded_label_word_by_word(
    as_admin: Client, admin_user: User,
) -> None:
    draft = _draft(admin_user)
    source = copy.deepcopy(draft.source)
    first = source["sections"][0]["questions"][0]
    old_label = first["label"]["en"] if isinstance(first["label"], dict) else first["label"]
    words = old_label.split(" ")
    new_label = " ".join([*words[:-1], "Reworded"])
    if isinstance(first["label"], dict):
        first["label"]["en"] = new_label
    else:
        first["label"] = new_label
    draft = draft_save(draft=draft, source=source, revision=draft.revision)
    page = _page(as_admin, reverse("questionnaire_draft_diff", args=[draft.id]))
    assert f"<del>{words[-1]}</del>" in page and "<ins>Reworded</ins>" in page
    assert "Do you have a pet?" in page and "Added" in page
    # The condition of the added question is said in words.
    assert "Shown only when “Do you have a pet?” is: Yes" in page


def test_publishing_asks_for_the_password_again(client: Client, admin_user: User) -> None:
    draft = _draft(admin_user)
    sign_in(client, admin_user)
    url = reverse("questionnaire_draft_publish", args=[draft.id])
    assert client.get(url)["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(url, {"use_for": ["individual"]})
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert QuestionnaireDraft.objects.filter(pk=draft.pk).exists()
    assert not QuestionnaireVersion.objects.filter(slug=draft.slug).exists()


def test_a_draft_with_a_problem_is_refused_and_nothing_is_published(
    as_admin: Client, admin_user: User,
) -> None:
    def empty(source: dict[str, Any]) -> None:
        source["sections"][0]["questions"].append(
            {"id": "empty_choice", "type": "single_choice", "label": "Pick", "options": []})
    draft = _draft(admin_user, empty)
    reauthenticate(as_admin)
    url = reverse("questionnaire_draft_publish", args=[draft.id])
    assert "draft-problem" in _page(as_admin, url)
    response = as_admin.post(url, {"use_for": ["individual"]})
    assert response.status_code == 400
    assert "empty_choice" in response.content.decode()
    assert not QuestionnaireVersion.objects.filter(slug=draft.slug).exists()
    assert chosen_slug(IntakeKind.INDIVIDUAL) is None


def test_publishing_keeps_a_started_client_on_their_version_and_starts_new_ones_on_it(
    as_admin: Client, admin_user: User, client_user: User,
) -> None:
    midway = intake_start(client=client_user)
    old = midway.questionnaire
    draft = _draft(admin_user)
    reauthenticate(as_admin)
    url = reverse("questionnaire_draft_publish", args=[draft.id])
    page = _page(as_admin, url)
    # Pre-ticked: the kind using the questionnaire the draft is based on; only kinds
    # whose audience fits are offered.
    assert 'value="individual" id="id_use_for_0" checked' in page or (
        'value="individual"' in page and "checked" in page)
    assert 'value="partner"' not in page
    response = as_admin.post(url, {"use_for": ["individual"]}, follow=True)
    published = QuestionnaireVersion.objects.get(slug=draft.slug)
    assert "is published. Clients who already started keep the version they started on." \
        in response.content.decode()
    assert f"Version {published.version} of" in response.content.decode()
    assert not QuestionnaireDraft.objects.filter(pk=draft.pk).exists()
    assert intake_start(client=client_user).questionnaire == old
    newcomer = intake_start(client=UserFactory(role=Role.CLIENT))
    assert newcomer.questionnaire == published


def test_a_kind_the_draft_does_not_fit_cannot_be_ticked(
    as_admin: Client, admin_user: User,
) -> None:
    draft = _draft(admin_user)
    reauthenticate(as_admin)
    response = as_admin.post(reverse("questionnaire_draft_publish", args=[draft.id]),
                             {"use_for": ["partner"]})
    assert response.status_code == 400
    assert QuestionnaireDraft.objects.filter(pk=draft.pk).exists()


def test_choosing_refuses_a_questionnaire_for_the_wrong_audience(
    as_admin: Client,
) -> None:
    couple = version_for(IntakeKind.PARTNER)
    url = reverse("questionnaire_use")
    page = _page(as_admin, url)
    assert "An adult client, individually" in page
    response = as_admin.post(url, {"kind": "individual", "slug": couple.slug})
    assert response.status_code == 400
    assert chosen_slug(IntakeKind.INDIVIDUAL) is None
    response = as_admin.post(url, {"kind": "nonsense", "slug": "x" * 5000})
    assert response.status_code == 400
    assert "choose-error" in response.content.decode()


def test_choosing_a_published_questionnaire(as_admin: Client, admin_user: User) -> None:
    from intake.builder.drafts import draft_publish
    draft = _draft(admin_user)
    published = draft_publish(draft=draft, actor=admin_user)
    assert version_for(IntakeKind.INDIVIDUAL) != published
    response = as_admin.post(reverse("questionnaire_use"),
                             {"kind": "individual", "slug": published.slug}, follow=True)
    assert "New intakes of this kind start on" in response.content.decode()
    assert version_for(IntakeKind.INDIVIDUAL) == published


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.CLIENT])
def test_only_practice_admins_reach_these_pages(role: str, admin_user: User) -> None:
    draft = _draft(admin_user)
    version = version_for(IntakeKind.INDIVIDUAL)
    other = UserFactory(role=role, totp=role == Role.CLINICIAN)
    http = Client()
    sign_in(http, other)
    reauthenticate(http)
    urls = [reverse("questionnaire_draft_preview", args=[draft.id]),
            reverse("questionnaire_draft_diff", args=[draft.id]),
            reverse("questionnaire_draft_publish", args=[draft.id]),
            reverse("questionnaire_version_preview", args=[version.id]),
            reverse("questionnaire_use")]
    for url in urls:
        assert http.get(url).status_code == 404, url
    assert http.post(urls[2], {"use_for": ["individual"]}).status_code == 404
    assert http.post(urls[4], {"kind": "individual", "slug": "x"}).status_code == 404
    anonymous = Client()
    for url in urls:
        assert anonymous.get(url)["Location"].startswith(reverse("account_login")), url


def test_staff_pages_and_exports_name_each_intakes_version(
    admin_user: User, clinician_user: User,
) -> None:
    """Two clients on two versions: the clinician sees each intake with its own version,
    on the page, in the PDF copy and in the FHIR QuestionnaireResponse."""
    from intake.builder.drafts import draft_publish
    from intake.exports.fhir import questionnaire_response
    from intake.exports.pdf import intake_blocks
    from portal.models import CareAssignment

    earlier_client = UserFactory(role=Role.CLIENT)
    later_client = UserFactory(role=Role.CLIENT)
    for person in (earlier_client, later_client):
        CareAssignment.objects.create(client=person, clinician=clinician_user)
    earlier = submitted_intake(earlier_client)
    published = draft_publish(draft=_draft(admin_user), actor=admin_user,
                              use_for=(IntakeKind.INDIVIDUAL,))
    later = submitted_intake(later_client)
    http = Client()
    sign_in(http, clinician_user)
    for intake, version in ((earlier, earlier.questionnaire), (later, published)):
        assert intake.questionnaire == version
        page = _page(http, reverse("staff_intake_detail", args=[intake.pk]))
        title = version.questionnaire_in("en").title
        assert f"Questionnaire: {title}, version {version.version}" in page
        resource = questionnaire_response(intake)
        assert resource["questionnaire"].endswith(f"{version.slug}|{version.version}")
        subtitle = next(b.text for b in intake_blocks(intake, "Practice")
                        if b.kind == "subtitle")
        assert subtitle == f"{title} (version {version.version})"


def test_a_draft_holding_anything_never_breaks_the_pages(
    as_admin: Client, admin_user: User,
) -> None:
    draft = draft_start(version=version_for(IntakeKind.INDIVIDUAL), actor=admin_user)
    junk = {"title": [1], "audience": {"x": 1},
            "sections": [5, {"id": "s", "questions": [{"id": "q", "label": None,
                                                     "condition": {"question": "q",
                                                                   "in": 7}}]}]}
    draft = draft_save(draft=draft, source=junk, revision=draft.revision)
    reauthenticate(as_admin)
    for name in ("questionnaire_draft_preview", "questionnaire_draft_diff",
                 "questionnaire_draft_publish"):
        assert as_admin.get(reverse(name, args=[draft.id])).status_code == 200, name
    response = as_admin.post(reverse("questionnaire_draft_publish", args=[draft.id]))
    assert response.status_code == 400
    assert not QuestionnaireVersion.objects.filter(slug=draft.slug).exists()


def test_a_question_moved_to_another_page_names_the_page_it_came_from(
    as_admin: Client, admin_user: User,
) -> None:
    def move(source: dict[str, Any]) -> None:
        moved = source["sections"][0]["questions"].pop(0)
        source["sections"][1]["questions"].append(moved)
    draft = _draft(admin_user, move)
    assert draft.based_on is not None
    first_title = draft.based_on.questionnaire_in("en").sections[0].title
    page = _page(as_admin, reverse("questionnaire_draft_diff", args=[draft.id]))
    assert f"Moved here from page “{first_title}”" in page
