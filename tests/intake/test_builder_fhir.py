"""FHIR R4 Questionnaire import and export (issue 20, item 7): a practice brings a form from
another tool, or takes its own elsewhere.

"Equal" after the round trip means: the questionnaire the practice publishes from an
imported export asks exactly what the exported version asked. Its stored ``definition``
(and ``source``) equal the original's in every key but ``slug`` and ``version``: an import
is a new questionnaire of the practice's own (a slug of its own, version 1), never a new
version of the one exported. The title, every text in every language, the instruments and
the safety rules come back as they were.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire

from intake.builder.assignments import version_for
from intake.builder.drafts import draft_problem, draft_publish
from intake.builder.fhir_questionnaire import (
    EXTENSION_BASE,
    TRANSLATION,
    FhirImportError,
    from_fhir,
    to_fhir,
)
from intake.definitions import HISTORY_DIR, SHIPPED_DIR
from intake.models import IntakeKind, QuestionnaireDraft, QuestionnaireVersion
from intake.publishing import checked_definition
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import User

pytestmark = pytest.mark.django_db

SHIPPED = sorted([*SHIPPED_DIR.glob("*.json"), *HISTORY_DIR.glob("*.json")])
IMPORT_URL = "/staff/questionnaires/import/"


def _download_url(version: QuestionnaireVersion) -> str:
    return f"/staff/questionnaires/versions/{version.pk}/fhir/"


def _round_trip(source: dict[str, Any]) -> dict[str, Any]:
    resource = to_fhir(source, slug=source["slug"], version=source["version"])
    return from_fhir(json.loads(json.dumps(resource)))


# A hand-written questionnaire with what the shipped ones do not show: texts per language
# (one with the default language only, blanks), numbers, whole-number options, an inline
# scale, every kind of condition, a section whose id is also a question's, explicit
# defaults, a couple's visibility.
EDGE: dict[str, Any] = {
    "slug": "edge-cases", "version": "3",
    "title": {"en": "Edge cases"},
    "audience": "couple",
    "intro": {"en": "", "es": ""},
    "sections": [
        {"id": "first", "title": {"en": "First", "es": "Primero"}, "intro": "",
         "visibility": "shared", "content_note": {"en": "Heavy topics", "es": "Temas"},
         "questions": [
             {"id": "mood", "type": "single_choice", "label": "Mood today",
              "required": True, "sensitive": False, "condition": None,
              "options": [{"value": 0, "label": {"en": "Low", "es": "Bajo"}},
                          {"value": 1, "label": "Middling"},
                          {"value": 2, "label": {"en": "High"}}]},
             {"id": "seen_before", "type": "yes_no", "label": {"en": "Seen before?",
                                                               "es": "¿Antes?"},
              "help": {"en": "", "es": ""}, "why": "  ", "required": False},
             {"id": "first", "type": "number", "label": "How many?", "min_value": -5,
              "max_value": 5, "visibility": "private"},
             {"id": "when", "type": "date", "label": "When?", "not_future": True,
              "condition": {"question": "seen_before", "equals": "yes"}},
             {"id": "how_often", "type": "frequency", "label": "How often", "required": True,
              "options": [{"value": 0, "label": "Never"}, {"value": 1, "label": "Some"},
                          {"value": 2, "label": "Often"}, {"value": 3, "label": "Always"}]},
         ]},
        {"id": "second", "title": "Second", "visibility": "private",
         "condition": {"question": "mood", "in": [0]},
         "questions": [
             {"id": "worries", "type": "multiple_choice", "label": "Worries",
              "options": [{"value": "sleep", "label": "Sleep"},
                          {"value": "work", "label": {"en": "Work", "es": "Trabajo"}}],
              "condition": {"question": "first", "answered": True}},
             {"id": "hard", "type": "yes_no", "label": "Hard?", "sensitive": True,
              "condition": {"question": "seen_before", "in": ["no"]}},
             {"id": "more", "type": "long_text", "label": "More", "max_length": 5000,
              "help": "Say more", "why": {"en": "We ask", "es": "Preguntamos"},
              "condition": {"question": "hard", "in": ["yes", "in_person"]}},
             {"id": "people", "type": "group", "label": "People", "max_items": 3,
              "questions": [
                  {"id": "person_name", "type": "short_text", "label": "Name",
                   "max_length": 80},
                  {"id": "person_age", "type": "number", "label": "Age", "min_value": 0,
                   "max_value": 120},
                  {"id": "person_kind", "type": "single_choice", "label": "Who",
                   "options": [{"value": "child", "label": "Child"},
                               {"value": "adult", "label": "Adult"}]}]},
         ]},
    ],
    "instruments": [
        {"id": "mood_scale", "title": "Mood scale", "attribution": "Practice",
         "items": ["mood", "how_often"],
         "bands": [{"min": 0, "max": 2, "label": "Low"},
                   {"min": 3, "max": 5, "label": {"en": "High", "es": "Alto"}}]},
    ],
    "safety": [{"question": "hard", "in": ["yes", "in_person"]},
               {"question": "more", "answered": True}],
}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_every_shipped_questionnaire_round_trips_exactly(path: Path) -> None:
    source = json.loads(path.read_text(encoding="utf-8"))
    assert _round_trip(source) == source


def test_the_edge_cases_are_a_valid_questionnaire_and_round_trip_exactly() -> None:
    checked_definition(EDGE)  # the parser accepts it: a source a version could have
    resource = to_fhir(EDGE, slug="edge-cases", version="3")
    FhirQuestionnaire.model_validate(resource)
    assert from_fhir(resource) == EDGE
    # Key order too: the JSON written back is the JSON written.
    assert json.dumps(from_fhir(resource)) == json.dumps(EDGE)


def test_the_export_uses_fhir_elements_where_fhir_has_them() -> None:
    resource = to_fhir(EDGE, slug="edge-cases", version="3")
    section, second = resource["item"]
    mood, seen, first, when, _often = section["item"]
    assert (resource["name"], resource["version"], resource["title"]) == (
        "edge-cases", "3", "Edge cases")
    assert section["type"] == "group"
    # The section "first" shares its id with a question: linkIds are unique in FHIR.
    assert (section["linkId"], first["linkId"]) == ("section:first", "first")
    assert {ext["url"] for ext in section["_text"]["extension"]} >= {TRANSLATION}
    assert mood["type"] == "choice" and mood["required"] is True
    assert mood["answerOption"][0]["valueInteger"] == 0
    assert seen["type"] == "boolean"
    assert when["enableWhen"] == [{"question": "seen_before", "operator": "=",
                                   "answerBoolean": True}]
    worries, hard, more, people = second["item"]
    assert second["enableBehavior"] == "any"
    assert worries["repeats"] is True and worries["answerOption"][0]["valueCoding"]["code"] \
        == "sleep"
    assert worries["enableWhen"][0]["operator"] == "exists"
    assert more["maxLength"] == 5000 and more["enableBehavior"] == "any"
    assert len(more["enableWhen"]) == 2
    assert people["type"] == "group" and people["repeats"] is True
    assert any(ext["url"].startswith(EXTENSION_BASE) for ext in hard["extension"])


def test_a_published_version_exported_imported_and_published_is_the_same_questionnaire(
    as_admin: Client, admin_user: User,
) -> None:
    original = version_for(IntakeKind.INDIVIDUAL)
    response = as_admin.get(_download_url(original))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="{original.slug}-v{original.version}.fhir.json"')
    exported = json.loads(response.content)
    FhirQuestionnaire.model_validate(exported)

    upload = SimpleUploadedFile("default.fhir.json", response.content, "application/json")
    imported = as_admin.post(IMPORT_URL, {"file": upload})
    draft = QuestionnaireDraft.objects.get()
    assert imported.status_code == 302
    assert imported["Location"] == f"/staff/questionnaires/drafts/{draft.pk}/"
    assert draft.based_on is None and draft.slug == "default-intake-2"
    assert draft_problem(draft) is None
    (started,) = AuditEvent.objects.filter(action=Action.QUESTIONNAIRE_DRAFT_STARTED.value)
    assert started.detail == {"slug": "default-intake-2", "based_on": "fhir-import"}

    published = draft_publish(draft=draft, actor=admin_user)
    assert (published.slug, published.version) == ("default-intake-2", "1")
    assert published.title == original.title
    same = {"slug": original.slug, "version": original.version}
    assert {**published.definition, **same} == original.definition
    assert isinstance(published.source, dict)
    assert {**published.source, **same} == original.source


def test_a_questionnaire_from_another_tool_imports_as_plain_questions(
    as_admin: Client, admin_user: User,
) -> None:
    foreign = {
        "resourceType": "Questionnaire", "status": "active", "name": "OtherToolIntake",
        "title": "Other tool intake",
        "item": [
            {"linkId": "1", "text": "About you", "type": "group", "item": [
                {"linkId": "1.1", "text": "Your nickname", "type": "string",
                 "required": True, "_text": {"extension": [
                     {"url": TRANSLATION, "extension": [
                         {"url": "lang", "valueCode": "es"},
                         {"url": "content", "valueString": "Su apodo"}]}]}},
                {"linkId": "1.2", "text": "Sleep", "type": "choice", "answerOption": [
                    {"valueCoding": {"code": "LA-good", "display": "Good"}},
                    {"valueCoding": {"code": "LA-bad", "display": "Bad"}}]},
                {"linkId": "1.3", "text": "Tell us", "type": "text", "enableWhen": [
                    {"question": "1.2", "operator": "=",
                     "answerCoding": {"code": "LA-bad"}}]},
            ]},
            {"linkId": "2", "text": "Smoker?", "type": "boolean"},
            {"linkId": "3", "text": "Cups of coffee a day", "type": "integer"},
        ],
    }
    source = from_fhir(foreign)
    about, loose = source["sections"]
    nickname, sleep, tell = about["questions"]
    assert nickname == {"id": "q_1_1", "type": "short_text",
                        "label": {"en": "Your nickname", "es": "Su apodo"}, "required": True}
    assert sleep["type"] == "single_choice"
    assert sleep["options"] == [{"value": "la_good", "label": "Good"},
                                {"value": "la_bad", "label": "Bad"}]
    assert tell["condition"] == {"question": "q_1_2", "equals": "la_bad"}
    assert [q["type"] for q in loose["questions"]] == ["yes_no", "number"]

    upload = SimpleUploadedFile("other.json", json.dumps(foreign).encode(), "application/json")
    assert as_admin.post(IMPORT_URL, {"file": upload}).status_code == 302
    draft = QuestionnaireDraft.objects.get()
    assert draft.slug == "other-tool-intake"
    assert draft_problem(draft) is None
    version = draft_publish(draft=draft, actor=admin_user)
    assert version.questionnaire.question("q_1_3").condition is not None


def _refused(as_admin: Client, content: bytes, *words: str) -> None:
    upload = SimpleUploadedFile("upload.json", content, "application/json")
    response = as_admin.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 400, content[:60]
    page = response.content.decode()
    for word in words:
        assert word in page, (word, page[-3000:])
    assert not QuestionnaireDraft.objects.exists()
    assert not AuditEvent.objects.filter(
        action=Action.QUESTIONNAIRE_DRAFT_STARTED.value).exists()


def _valid() -> dict[str, Any]:
    return to_fhir(EDGE, slug="edge-cases", version="3")


def test_hostile_uploads_are_refused_with_a_reason_and_store_nothing(as_admin: Client) -> None:
    _refused(as_admin, b"not json {", "not JSON")
    _refused(as_admin, b"\xff\xfe\x00garbage", "not JSON")
    _refused(as_admin, b"[" * 100_000 + b"]" * 100_000, "not JSON")
    _refused(as_admin, b" " * (1024 * 1024 + 1), "larger than 1 MB")
    _refused(as_admin, b'{"resourceType": "Patient"}', "not a Questionnaire")
    _refused(as_admin, b"[1, 2]", "no FHIR resource")
    _refused(as_admin, b'{"resourceType": "Questionnaire", "status": "nonsense"}',
             "not a valid FHIR R4 Questionnaire", "status")
    _refused(as_admin, b'{"resourceType": "Questionnaire", "status": "active", "colour": 1}',
             "not a valid FHIR R4 Questionnaire", "colour")
    untyped = {"resourceType": "Questionnaire", "status": "active",
               "item": [{"linkId": "a", "text": "A"}]}
    _refused(as_admin, json.dumps(untyped).encode(), "not a valid FHIR R4 Questionnaire")
    duplicate = _valid()
    duplicate["item"][1]["item"][0]["linkId"] = "mood"
    _refused(as_admin, json.dumps(duplicate).encode(), "used twice", "mood")
    deep: dict[str, Any] = {"linkId": "leaf", "type": "string", "text": "Leaf"}
    for depth in range(6):
        deep = {"linkId": f"g{depth}", "type": "group", "text": "G", "item": [deep]}
    _refused(as_admin, json.dumps({"resourceType": "Questionnaire", "status": "active",
                                   "item": [deep]}).encode(), "nested too deeply")
    attachment = {"resourceType": "Questionnaire", "status": "active", "item": [
        {"linkId": "g", "type": "group", "text": "G", "item": [
            {"linkId": "scan", "type": "attachment", "text": "Upload a scan"}]}]}
    _refused(as_admin, json.dumps(attachment).encode(), "scan", "attachment",
             "not supported")
    _refused(as_admin, b"", "The file is empty")
    response = as_admin.post(IMPORT_URL, {"file": "not a file"})
    assert response.status_code == 400 and "Please choose a file" in response.content.decode()


def test_from_fhir_names_the_item_it_refuses() -> None:
    resource = _valid()
    resource["item"][0]["item"][1]["enableWhen"] = [
        {"question": "mood", "operator": ">", "answerInteger": 1}]
    with pytest.raises(FhirImportError, match=r"seen_before.*operator"):
        from_fhir(resource)


def test_only_practice_admins_reach_the_fhir_pages(
    client: Client, as_clinician: Client, admin_user: User,
) -> None:
    version = version_for(IntakeKind.INDIVIDUAL)
    for url in (_download_url(version), IMPORT_URL):
        assert as_clinician.get(url).status_code == 404
    body = {"file": SimpleUploadedFile("x.json", json.dumps(_valid()).encode())}
    assert as_clinician.post(IMPORT_URL, body).status_code == 404
    assert not QuestionnaireDraft.objects.exists()
    client.logout()
    for url in (_download_url(version), IMPORT_URL):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_client_finds_nothing(as_client: Client) -> None:
    version = version_for(IntakeKind.INDIVIDUAL)
    assert as_client.get(_download_url(version)).status_code == 404
    assert as_client.get(IMPORT_URL).status_code == 404


def test_an_export_holds_no_personal_data_and_is_never_cached(as_admin: Client) -> None:
    version = version_for(IntakeKind.INDIVIDUAL)
    response = as_admin.get(_download_url(version))
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response[
        "Cache-Control"]
    resource = json.loads(response.content)
    assert "subject" not in resource and "contained" not in resource
    assert copy.deepcopy(resource) == resource


def test_deeply_nested_extensions_are_refused_or_read_never_a_failure(
    as_admin: Client,
) -> None:
    depth = 900
    extension = ('{"url": "http://example.org/x", "extension": [' * depth
                 + '{"url": "http://example.org/x", "valueString": "a"}' + "]}" * depth)
    resource = ('{"resourceType": "Questionnaire", "status": "active", "name": "Deep", '
                f'"title": "Deep", "extension": [{extension}]}}')
    upload = SimpleUploadedFile("deep.json", resource.encode())
    response = as_admin.post(IMPORT_URL, {"file": upload})
    assert response.status_code in (302, 400)
    scale = {"resourceType": "Questionnaire", "status": "active", "extension": [
        {"url": f"{EXTENSION_BASE}scale", "valueString": "[" * 50_000}]}
    with pytest.raises(FhirImportError, match="not valid JSON"):
        from_fhir(scale)
