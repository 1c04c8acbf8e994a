"""Exports of a submitted intake: the PDF copy (every answer, the scores with their caveat,
any script a client writes in), the FHIR R4 resources (valid, and carrying the right
answers), and the downloads (own intake only, never a draft, each one audited)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from http import HTTPStatus
from typing import Any, Unpack

import pytest
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse as FhirQuestionnaireResponse,
)

from intake.exports.fhir import (
    canonical_reference,
    coding_system,
    questionnaire_resource,
    questionnaire_response,
)
from intake.exports.pdf import DISCLAIMER, intake_blocks, intake_pdf, short_reference
from intake.models import Intake
from intake.presenters import answer_sections
from intake.schema import IN_PERSON, IN_PERSON_LABEL, Question
from intake.services import intake_save_section, intake_start, intake_submit
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.verify import verify_chain
from portal.formatting import format_when
from portal.models import CareAssignment, PracticeSettings, User
from portal.pdf import FontFiles, find_unicode_font
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import pdf_text, signed_in
from tests.intake_data import CANARY, Scores, answers_by_section

pytestmark = pytest.mark.django_db

PRACTICE = "Harbour Light Counselling"
PEOPLE = [
    {"person_name": "Sam", "person_relationship": "sibling",
     "person_how_things_are": "We argue about our parents."},
    {"person_name": "Alex", "person_relationship": "partner"},
]
UNICODE_TEXT = (
    "Zoë Ångström-Łukasz, naïve café ő\n"
    "Feeling 😊👍🏽❤️ today; 漢字 too\n"
    "שלום עולם\n"
    "مرحبا بالعالم\n"
    "A curly “quote” \u2013 and {nb} stays as typed"
)
HEBREW = "שלום עולם"


def _submit(client: User, changes: dict[str, dict[str, Any]] | None = None,
            **scores: Unpack[Scores]) -> Intake:
    """A submitted intake of the shipped questionnaire, with ``changes`` per section."""
    intake = intake_start(client=client)
    pages = answers_by_section(**scores)
    for section, posted in (changes or {}).items():
        pages.setdefault(section, {}).update(posted)
    for section, posted in pages.items():
        outcome = intake_save_section(intake_id=intake.pk, client=client, section_id=section,
                                      posted=posted, revision=intake.revision)
        assert outcome.errors == {}, outcome.errors
        intake = outcome.intake
    return intake_submit(intake_id=intake.pk, client=client, revision=intake.revision)


RICH_CHANGES: dict[str, dict[str, Any]] = {
    "relationships": {"important_people": PEOPLE, "lives_with": ["partner", "children"],
                      "relationship_patterns": IN_PERSON},
    "health": {"alcohol": IN_PERSON, "sleep_quality": "not_very_well"},
    "safety": {"self_harm": "no"},
}


@pytest.fixture
def practice() -> PracticeSettings:
    settings = PracticeSettings.load()
    settings.name = PRACTICE
    settings.save()
    return settings


@pytest.fixture
def submitted(client_user: User, practice: PracticeSettings) -> Intake:
    return _submit(client_user, RICH_CHANGES, phq9=2, gad7=3)


# --- Reading the PDF back (no PDF library: fpdf2's uncompressed output is simple) ----------



def _regular_only() -> FontFiles | None:
    fonts = find_unicode_font()
    return FontFiles(fonts.regular, None) if fonts else None


def _page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


# --- PDF --------------------------------------------------------------------------------


def _reauthenticated(user: User) -> Client:
    """Signed in, password confirmed again (staff downloads and the audit export ask)."""
    return signed_in(user, reauthenticated=True)


def test_the_pdf_is_a_pdf_titled_without_the_clients_name(submitted: Intake) -> None:
    pdf = intake_pdf(submitted)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert _page_count(pdf) >= 2
    reference = short_reference(submitted).encode()
    title = re.search(rb"/Title \((.*?)\)", pdf)
    assert title is not None and reference in title.group(1)
    assert b"Robin" not in title.group(1)
    # The document information holds no name, email or full id; the body is compressed.
    assert b"Robin" not in pdf and CANARY.encode() not in pdf
    assert submitted.client.email.encode() not in pdf
    assert str(submitted.id).encode() not in pdf


def test_the_pdf_says_every_answer_the_scores_and_their_caveat(submitted: Intake) -> None:
    fonts = _regular_only()
    if fonts is None:
        pytest.skip("DejaVu Sans is not installed: the Helvetica test covers the content")
    text = pdf_text(intake_pdf(submitted, fonts=fonts, compress=False), unicode_font=True)
    flat = " ".join(text.split())  # lines wrap anywhere
    questionnaire = submitted.questionnaire.questionnaire
    assert PRACTICE in flat
    assert f"{questionnaire.title} (version {submitted.questionnaire.version})" in flat
    assert f"Submitted on {format_when(submitted.submitted_at)}" in flat
    assert f"Reference {short_reference(submitted)}" in flat
    for section in answer_sections(questionnaire, submitted.answers):
        assert section.title in flat
        for row in section.rows:
            assert " ".join(row.label.split()) in flat, row.question_id
            if row.answered and not row.entries:
                assert " ".join(row.text.split()) in flat, row.question_id
    assert CANARY in flat and "Robin Example" in flat
    assert "Entry 1" in flat and "Entry 2" in flat and "Sam" in flat and "Alex" in flat
    assert "We argue about our parents." in flat
    assert IN_PERSON_LABEL in flat
    assert "A partner or spouse; Children" in flat
    assert "16 out of 27: Moderately severe" in flat
    assert "21 out of 21: Severe" in flat
    assert DISCLAIMER in flat
    for instrument in questionnaire.instruments:
        assert " ".join(instrument.attribution.split()) in flat
    assert "cannot be shown" not in flat  # nothing needed replacing
    assert str(submitted.client_id) not in flat and str(submitted.id) not in flat


def test_the_copy_lists_what_was_not_answered_and_no_internal_details(
    submitted: Intake,
) -> None:
    blocks = intake_blocks(submitted, PRACTICE)
    kinds = [(block.kind, block.text) for block in blocks]
    assert ("answer", "Not answered") in kinds  # e.g. the optional phone number
    everything = " ".join(block.text for block in blocks)
    assert "127.0.0.1" not in everything and str(submitted.client_id) not in everything
    assert submitted.client.email not in everything


@pytest.mark.parametrize("font", ["dejavu", "helvetica"])
def test_any_script_or_emoji_in_an_answer_still_makes_a_readable_copy(
    client_user: User, practice: PracticeSettings, font: str
) -> None:
    fonts = _regular_only() if font == "dejavu" else None
    if font == "dejavu" and fonts is None:
        pytest.skip("DejaVu Sans is not installed")
    intake = _submit(client_user, {
        "what_brings_you": {"in_your_own_words": UNICODE_TEXT,
                            "hoped_changes": f"{HEBREW}\n" * 40},
        "about_you": {"preferred_name": "Zoë 😊"},
    })
    pdf = intake_pdf(intake, fonts=fonts, compress=False)
    assert pdf.startswith(b"%PDF-")
    assert intake_pdf(intake, fonts=fonts).startswith(b"%PDF-")  # compressed too
    text = pdf_text(pdf, unicode_font=fonts is not None)
    assert "{nb} stays as typed" in text  # fpdf2's page-count marker is not this
    assert "cannot be shown in this PDF" in " ".join(text.split())
    if fonts is not None:
        assert "Zoë Ångström-Łukasz, naïve café ő" in text
        assert "😊" in text and "\ufffd" in text  # DejaVu has this emoji, not these CJK
        assert "漢" not in text
        assert "A curly “quote” \u2013 and" in text
        assert HEBREW[::-1] in text  # right-to-left: drawn in visual order
        assert HEBREW not in text
    else:
        assert "Zoë Ångström-Lukasz, naïve café o" in text  # Ł and ő lose their marks
        assert "Feeling ??? today; ?? too" in text
        assert "A curly “quote” \u2013 and" in text  # Windows-1252 has these


def test_only_a_submitted_intake_has_a_copy(client_user: User) -> None:
    draft = intake_start(client=client_user)
    with pytest.raises(ValueError):
        intake_pdf(draft)
    with pytest.raises(ValueError):
        questionnaire_response(draft)


# --- FHIR -------------------------------------------------------------------------------

_VALUE_TYPES = {
    "string": {"valueString"},
    "text": {"valueString"},
    "choice": {"valueCoding"},
    "open-choice": {"valueCoding", "valueString"},
    "date": {"valueDate"},
    "integer": {"valueInteger"},
}


def _items_by_link(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        found.setdefault(item["linkId"], []).append(item)
        for child_id, children in _items_by_link(item.get("item", [])).items():
            found.setdefault(child_id, []).extend(children)
    return found


def _expected(question: Question, slug: str, value: Any) -> list[dict[str, Any]]:
    """What the response should carry for one stored answer, worked out independently."""
    system = coding_system(slug, question.id)
    if value == IN_PERSON:
        return [{"valueCoding": {"system": system, "code": "in_person",
                                 "display": IN_PERSON_LABEL}}]
    labels = {option.value: option.label for option in question.options}
    if question.options:
        return [{"valueCoding": {"system": system, "code": str(item), "display": labels[item]}}
                for item in (value if isinstance(value, list) else [value])]
    kind = {"date": "valueDate", "number": "valueInteger"}.get(question.type, "valueString")
    return [{kind: value}]


def test_the_questionnaire_resource_is_valid_fhir(submitted: Intake) -> None:
    resource = questionnaire_resource(submitted.questionnaire)
    FhirQuestionnaire.model_validate(resource)
    questionnaire = submitted.questionnaire.questionnaire
    assert resource["status"] == "active"
    assert f"{resource['url']}|{resource['version']}" == canonical_reference(
        submitted.questionnaire)
    items = _items_by_link(resource["item"])
    assert [item["linkId"] for item in resource["item"]] == [
        section.id for section in questionnaire.sections]
    assert all(item["type"] == "group" for item in resource["item"])
    assert items["legal_name"][0]["type"] == "string"
    assert items["in_your_own_words"][0]["type"] == "text"
    assert items["date_of_birth"][0]["type"] == "date"
    assert items["lives_with"][0] | {"type": "choice", "repeats": True} == items["lives_with"][0]
    assert items["important_people"][0]["type"] == "group"
    assert items["important_people"][0]["repeats"] is True
    assert items["relationship_patterns"][0]["type"] == "open-choice"
    phq9_1 = items["phq9_1"][0]
    assert phq9_1["type"] == "choice" and phq9_1["required"] is True
    assert [o["valueCoding"]["code"] for o in phq9_1["answerOption"]] == ["0", "1", "2", "3"]
    assert phq9_1["answerOption"][0]["valueCoding"]["system"] == \
        "urn:portal:questionnaire:default-intake:phq9_1"
    alcohol_codes = [o["valueCoding"]["code"] for o in items["alcohol"][0]["answerOption"]]
    assert alcohol_codes[-1] == "in_person"
    helped = items["earlier_therapy_helped"][0]["enableWhen"]
    assert helped == [{"question": "earlier_therapy", "operator": "=",
                       "answerCoding": {"system": coding_system("default-intake",
                                                                "earlier_therapy"),
                                        "code": "yes"}}]


def test_the_questionnaire_response_is_valid_fhir_with_every_answer(
    submitted: Intake,
) -> None:
    resource = questionnaire_response(submitted)
    FhirQuestionnaireResponse.model_validate(resource)
    json.dumps(resource)  # plain JSON types only
    assert resource["status"] == "completed"
    assert resource["questionnaire"] == canonical_reference(submitted.questionnaire)
    assert resource["subject"] == {"reference": f"Patient/{submitted.client_id}"}
    assert datetime.fromisoformat(resource["authored"]) == submitted.submitted_at
    assert "Robin" not in json.dumps(resource["subject"]) + json.dumps(resource["author"])

    questionnaire = submitted.questionnaire.questionnaire
    slug = questionnaire.slug
    definition = _items_by_link(questionnaire_resource(submitted.questionnaire)["item"])
    found = _items_by_link(resource["item"])
    answers = submitted.answers
    checked = 0
    for section in questionnaire.sections:
        for question in section.questions:
            value = answers.get(question.id)
            if value in (None, "", []):
                assert question.id not in found, question.id
                continue
            if question.type == "group":
                entries = found[question.id]
                assert len(entries) == len(value) == 2
                for entry, stored in zip(entries, value, strict=True):
                    children = _items_by_link(entry["item"])
                    for child in question.questions:
                        if child.id in stored:
                            assert children[child.id][0]["answer"] == _expected(
                                child, slug, stored[child.id])
                        else:
                            assert child.id not in children
                continue
            (item,) = found[question.id]
            assert item["answer"] == _expected(question, slug, value), question.id
            allowed = _VALUE_TYPES[definition[question.id][0]["type"]]
            for answer in item["answer"]:
                (kind,) = answer
                assert kind in allowed, question.id
                if kind == "valueCoding":
                    options = [o["valueCoding"] for o in definition[question.id][0]
                               ["answerOption"]]
                    assert answer[kind] in options, question.id
            checked += 1
    assert checked >= 25
    assert found["alcohol"][0]["answer"][0]["valueCoding"]["code"] == "in_person"
    assert found["phq9_1"][0]["answer"] == [{"valueCoding": {
        "system": coding_system(slug, "phq9_1"), "code": "2",
        "display": "More than half the days"}}]
    assert found["date_of_birth"][0]["answer"] == [{"valueDate": "1990-04-21"}]
    assert "phone" not in found  # unanswered


# --- Downloads --------------------------------------------------------------------------



def _exports() -> list[tuple[Any, Any, Any, str]]:
    return list(AuditEvent.objects.filter(action=Action.INTAKE_EXPORTED).order_by("seq")
                .values_list("actor_id", "subject_id", "object_id", "detail_json"))


def test_a_client_downloads_their_own_copy(
    as_client: Client, client_user: User, submitted: Intake
) -> None:
    response = as_client.get(reverse("intake_pdf", args=[submitted.id]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == (
        f'attachment; filename="intake-{short_reference(submitted)}.pdf"')
    assert "no-store" in response["Cache-Control"]
    events = AuditEvent.objects.filter(action=Action.INTAKE_EXPORTED)
    assert [(e.actor_id, e.subject_id, e.object_id, e.detail) for e in events] == [
        (client_user.pk, client_user.pk, str(submitted.id), {"format": "pdf"})]
    assert events[0].ip_address == ""  # a client's own actions keep no IP address
    assert verify_chain().intact


def test_a_client_gets_no_copy_of_a_draft_or_of_someone_elses_intake(
    client_user: User, other_client_user: User, submitted: Intake
) -> None:
    draft = intake_start(client=client_user)
    mine, theirs = _reauthenticated(client_user), _reauthenticated(other_client_user)
    assert mine.get(reverse("intake_pdf", args=[draft.id])).status_code == 404
    assert theirs.get(reverse("intake_pdf", args=[submitted.id])).status_code == 404
    assert mine.post(reverse("intake_pdf", args=[submitted.id])).status_code == 405
    assert not AuditEvent.objects.filter(action=Action.INTAKE_EXPORTED).exists()


def test_the_care_team_downloads_each_format_once_each_recorded(
    client_user: User, clinician_user: User, submitted: Intake
) -> None:
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    http = _reauthenticated(clinician_user)
    pdf = http.get(reverse("staff_intake_pdf", args=[submitted.id]))
    assert pdf.status_code == HTTPStatus.OK and pdf.content.startswith(b"%PDF-")
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="intake-{short_reference(submitted)}.pdf"')
    assert "no-store" in pdf["Cache-Control"]
    assert _exports() == [
        (clinician_user.pk, client_user.pk, str(submitted.id), '{"format":"pdf"}'),
    ]
    fhir = http.get(reverse("staff_intake_fhir", args=[submitted.id]))
    assert fhir.status_code == HTTPStatus.OK
    assert fhir["Content-Type"].startswith("application/fhir+json")
    assert fhir["Content-Disposition"] == (
        f'attachment; filename="intake-{short_reference(submitted)}'
        '-questionnaire-response.json"')
    assert "no-store" in fhir["Cache-Control"]
    resource = json.loads(fhir.content)
    FhirQuestionnaireResponse.model_validate(resource)
    assert CANARY in json.dumps(resource, ensure_ascii=False)
    assert [(row[0], row[1], row[3]) for row in _exports()] == [
        (clinician_user.pk, client_user.pk, '{"format":"pdf"}'),
        (clinician_user.pk, client_user.pk, '{"format":"fhir"}'),
    ]
    assert verify_chain().intact


def test_strangers_and_drafts_get_nothing_and_leave_no_export(
    client_user: User, clinician_user: User, admin_user: User, submitted: Intake
) -> None:
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    draft = intake_start(client=client_user)
    stranger = _reauthenticated(UserFactory(role=Role.CLINICIAN, totp=True))
    clinician = _reauthenticated(clinician_user)
    for name in ("staff_intake_pdf", "staff_intake_fhir"):
        assert stranger.get(reverse(name, args=[submitted.id])).status_code == 404
        assert clinician.get(reverse(name, args=[draft.id])).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.INTAKE_EXPORTED).exists()
    admin = _reauthenticated(admin_user)
    assert admin.get(reverse("staff_intake_fhir", args=[submitted.id])).status_code == 200
    assert admin.post(reverse("staff_intake_fhir", args=[submitted.id])).status_code == 405
    assert [(row[0], row[3]) for row in _exports()] == [(admin_user.pk, '{"format":"fhir"}')]
    assert verify_chain().intact


def test_a_client_downloads_their_own_answers_as_fhir(
    as_client: Client, client_user: User, submitted: Intake
) -> None:
    """Linked from "What you sent", the care team's exporter, recorded like the PDF copy
    and with no password prompt (the client is reading their own answers)."""
    page = as_client.get(reverse("intake_submitted", args=[submitted.id])).content.decode()
    url = reverse("intake_fhir", args=[submitted.id])
    assert url == f"/intake/{submitted.id}/questionnaire-response.json"
    assert f'href="{url}"' in page
    response = as_client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="intake-{short_reference(submitted)}'
        '-questionnaire-response.json"')
    assert "no-store" in response["Cache-Control"]
    resource = json.loads(response.content)
    FhirQuestionnaireResponse.model_validate(resource)
    assert resource == json.loads(json.dumps(questionnaire_response(submitted)))
    assert CANARY in json.dumps(resource, ensure_ascii=False)
    events = AuditEvent.objects.filter(action=Action.INTAKE_EXPORTED)
    assert [(e.actor_id, e.subject_id, e.object_id, e.detail) for e in events] == [
        (client_user.pk, client_user.pk, str(submitted.id), {"format": "fhir"})]
    assert events[0].ip_address == ""  # a client's own actions keep no IP address
    assert verify_chain().intact


def test_only_the_client_gets_their_own_fhir_answers_and_never_a_draft(
    client_user: User, other_client_user: User, clinician_user: User, admin_user: User,
    submitted: Intake,
) -> None:
    """Another client, the client's own clinician and a practice admin get a 404 at the
    client's URL (as for a made-up id); a draft has no copy; staff keep their own URL."""
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    draft = intake_start(client=client_user)
    url = reverse("intake_fhir", args=[submitted.id])
    made_up = reverse("intake_fhir", args=["00000000-0000-0000-0000-000000000000"])
    for user in (other_client_user, clinician_user, admin_user):
        http = _reauthenticated(user)
        assert http.get(url).status_code == HTTPStatus.NOT_FOUND, user.email
        assert http.get(made_up).status_code == HTTPStatus.NOT_FOUND, user.email
    owner = _reauthenticated(client_user)
    assert owner.get(reverse("intake_fhir", args=[draft.id])).status_code == 404
    assert owner.post(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not AuditEvent.objects.filter(action=Action.INTAKE_EXPORTED).exists()
    assert reverse("staff_intake_fhir", args=[submitted.id]) == \
        f"/staff/intakes/{submitted.id}/questionnaire-response.json"
