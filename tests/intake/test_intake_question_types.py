"""The registry of question types: it knows every type the shipped questionnaires use,
refuses names it does not know, and is the only place a type is defined: a new type,
registered here in the test and nowhere else, works on the page, in the answer checks, on
the review, in the copy and in the FHIR export."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse as FhirQuestionnaireResponse,
)

import intake
from intake.definitions import SHIPPED_DIR, canonical_sha256, read_definition
from intake.exports.fhir import questionnaire_resource
from intake.exports.pdf import intake_blocks
from intake.models import Intake, QuestionnaireVersion
from intake.question_types import (
    AnswerError,
    QuestionType,
    UnknownQuestionType,
    question_type,
    register,
    registered_types,
    registry,
)
from intake.question_types.base import (
    FHIR_EXTENSION,
    WIDGETS,
    Coder,
    control_attrs,
    single_value,
)
from intake.schema import DefinitionError, Question, parse_definition
from portal.models import User
from tests.helpers import body_bytes, sign_in

INTAKE_DIR = Path(intake.__file__).parent
# A branch on a question's type name: what the registry replaces.
REVISION = re.compile(r'name="revision" value="(\d+)"')
TYPE_BRANCH = re.compile(r"\.type\s*(==|!=|in\b|not\s+in\b)|\[\s*question\.type\s*\]")


def _types_used(definition: dict[str, Any]) -> set[str]:
    used = set()
    for section in definition["sections"]:
        for question in section["questions"]:
            used.add(question["type"])
            used |= {child["type"] for child in question.get("questions", [])}
    return used


def test_the_registry_covers_every_type_the_shipped_questionnaires_use() -> None:
    files = sorted(SHIPPED_DIR.glob("*.json"))
    assert files
    for path in files:
        used = _types_used(read_definition(path))
        assert used and used <= set(registered_types()), (path.name, used)
        for name in used:
            assert question_type(name).name == name


def test_every_registered_type_is_one_the_page_can_draw() -> None:
    for name, kind in registered_types().items():
        assert kind.name == name
        assert kind.widget in WIDGETS, name


@pytest.mark.parametrize("name", ["slider", "", "Short_Text", None, 3, ["short_text"]])
def test_an_unknown_type_is_a_clear_error(name: Any) -> None:
    with pytest.raises(UnknownQuestionType, match="unknown question type") as refused:
        question_type(name)
    assert repr(name) in str(refused.value)
    assert "short_text" in str(refused.value)  # the names it knows, to correct a typo


def test_a_definition_with_an_unregistered_type_is_refused() -> None:
    with pytest.raises(DefinitionError, match=r"\(sure\): unknown type 'percentage'"):
        parse_definition(_tiny_definition())


def test_a_type_name_is_registered_once() -> None:
    class AnotherShortText(QuestionType):
        name = "short_text"
        widget = "text"

    with pytest.raises(ValueError, match="'short_text' is registered twice"):
        register(AnotherShortText)
    assert type(question_type("short_text")).__name__ == "ShortText"


def test_no_module_outside_the_registry_branches_on_a_type_name() -> None:
    """Adding a type touches one file only while nothing else asks "which type is this?"."""
    offenders = []
    for path in sorted(INTAKE_DIR.rglob("*.py")):
        relative = path.relative_to(INTAKE_DIR).as_posix()
        if relative.startswith(("question_types/", "migrations/")):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if TYPE_BRANCH.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


# --- A new type, defined in this test module only ------------------------------------------


class Percentage(QuestionType):
    """A whole percentage from 0 to 100: a type no shipped questionnaire has."""

    name = "percentage"
    widget = "number"
    fhir_type = "integer"

    def clean_answer(self, question: Question, raw: Any) -> int:
        value = single_value(raw)
        text = value.strip() if isinstance(value, str) else ""
        if not re.fullmatch(r"\d{1,3}", text) or int(text) > 100:
            raise AnswerError("Please enter a percentage from 0 to 100.")
        return int(text)

    def form_field(self, question: Question, *, describedby: str, invalid: bool) -> forms.Field:
        attrs = control_attrs(question, describedby=describedby, invalid=invalid)
        attrs.update(min=0, max=100, step=1, inputmode="numeric")
        return forms.CharField(required=False, widget=forms.NumberInput(attrs=attrs))

    def words(self, question: Question, value: Any) -> str:
        return f"{value}%"

    def fhir_item_details(self, question: Question) -> dict[str, Any]:
        return {"extension": [{"url": f"{FHIR_EXTENSION}maxValue", "valueInteger": 100}]}

    def fhir_answers(self, question: Question, value: Any, coding: Coder) -> list[tuple[str, Any]]:
        return [("Integer", int(value))]


def _tiny_definition() -> dict[str, Any]:
    return {
        "slug": "how-sure", "version": "1", "title": "How sure",
        "sections": [{"id": "sureness", "title": "Sureness", "questions": [
            {"id": "sure", "type": "percentage", "label": "How sure are you?",
             "required": True},
            {"id": "why_so_sure", "type": "short_text", "label": "Why?",
             "condition": {"question": "sure", "answered": True}},
        ]}],
    }


@pytest.fixture
def percentage(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The toy type registered for one test; the registry is as it was afterwards."""
    monkeypatch.setattr(registry, "_TYPES", registered_types())
    register(Percentage)
    yield


def test_the_definition_of_a_new_type_is_checked_by_what_the_type_takes(
    percentage: None,
) -> None:
    data = _tiny_definition()
    assert parse_definition(data).question("sure").type == "percentage"
    data["sections"][0]["questions"][0]["options"] = [{"value": "a", "label": "A"}]
    with pytest.raises(DefinitionError, match="percentage questions take no options"):
        parse_definition(data)
    del data["sections"][0]["questions"][0]["options"]
    data["sections"][0]["questions"][0]["max_length"] = 3
    with pytest.raises(DefinitionError, match="only text questions have 'max_length'"):
        parse_definition(data)


@pytest.mark.django_db
def test_a_new_type_registered_in_one_file_flows_through_every_page_and_export(
    percentage: None, client: Client, client_user: User
) -> None:
    data = _tiny_definition()
    version = QuestionnaireVersion.objects.create(
        slug=data["slug"], version=data["version"], title=data["title"], definition=data,
        sha256=canonical_sha256(data))
    draft = Intake.objects.create(client=client_user, questionnaire=version)
    sign_in(client, client_user)
    page_url = reverse("intake_section", args=[draft.id, "sureness"])

    def post(answer: str, action: str) -> Any:
        page = client.get(page_url).content.decode()
        revision = REVISION.search(page).group(1)  # type: ignore[union-attr]
        return client.post(page_url, {"sure": answer, "revision": revision, "action": action})

    # The page draws the type's own field.
    page = client.get(page_url).content.decode()
    assert re.search(r'<input type="number" name="sure"[^>]* max="100"', page)

    # Its check refuses what does not fit, with its message beside the field ...
    refused = post("140", "next")
    assert refused.status_code == HTTPStatus.OK
    assert "Please enter a percentage from 0 to 100." in refused.content.decode()
    draft.refresh_from_db()
    assert draft.answers == {}

    # ... and stores what does, filled in again when the page is opened.
    saved = post(" 40 ", "later")
    assert saved.status_code == HTTPStatus.FOUND
    draft.refresh_from_db()
    assert draft.answers == {"sure": 40}
    assert re.search(r'<input type="number" name="sure" value="40"',
                     client.get(page_url).content.decode())

    # The review says it in the type's words; the client sends it.
    review = client.get(reverse("intake_review", args=[draft.id])).content.decode()
    assert ">40%<" in review
    sent = client.post(reverse("intake_submit", args=[draft.id]),
                       {"revision": draft.revision})
    assert sent["Location"] == reverse("intake_submitted", args=[draft.id])
    assert ">40%<" in client.get(sent["Location"]).content.decode()
    draft.refresh_from_db()
    assert any(block.text == "40%" for block in intake_blocks(draft, "A practice"))

    # FHIR: the type's item type and details in the Questionnaire, its answer in the
    # response, both valid R4.
    resource = questionnaire_resource(version)
    FhirQuestionnaire.model_validate(resource)
    item = resource["item"][0]["item"][0]
    assert item["type"] == "integer"
    assert item["extension"] == [{"url": f"{FHIR_EXTENSION}maxValue", "valueInteger": 100}]
    download = client.get(reverse("intake_fhir", args=[draft.id]))
    response = json.loads(body_bytes(download))
    FhirQuestionnaireResponse.model_validate(response)
    answered = response["item"][0]["item"][0]
    assert answered["linkId"] == "sure" and answered["answer"] == [{"valueInteger": 40}]
