"""Questionnaires in several languages: definitions carry their texts per language, a
Spanish reader reads the Spanish texts (the PHQ-9 and GAD-7 in the publisher's official
Spanish, the CSI-4 in English with a note), scores do not depend on the language, and a
clinician reads a Spanish intake in their own language beside the answers as typed."""

from __future__ import annotations

import copy
import html
import re
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse as FhirQuestionnaireResponse,
)

from intake.definitions import SHIPPED_DIR, canonical_sha256, install_definition, read_definition
from intake.exports.fhir import (
    TRANSLATION_EXTENSION,
    questionnaire_resource,
    questionnaire_response,
)
from intake.models import Intake
from intake.schema import DefinitionError, parse_definition
from intake.services import intake_submit
from portal.models import User
from tests.helpers import signed_in
from tests.i18n.readers import reads_spanish
from tests.intake_data import couple_draft, filled_draft, save_page

HISTORY = SHIPPED_DIR / "history"
# Version 1 of each shipped questionnaire, as stored before any translation (the same
# digests tests/intake/test_instruments.py pins): adding Spanish must not touch them.
VERSION_1_DIGESTS = {
    "default-v1.json": "7abd25a0a9285d6b36df0cca67d14d7825e5a87fabac54c133e7fe893e220c5e",
    "couple-v1.json": "94b3e1f92c2d85c098830081ea97eac7cc9508ccfca8c5817303a012173ed3a8",
    "family-v1.json": "d799cb45e52c0fbc22307231d078f957acd1f82aed38e662e02b9f9d75cee66a",
    "adolescent-v1.json": "9e301b9de784894f87c8eafe89e10094364c81322cb098e103e560d960c90e91",
}
# The publisher's official Spanish (USA) PHQ-9: item 1 and the answer options.
PHQ9_ITEM_1 = "Poco interés o placer en hacer cosas"
PHQ9_OPTIONS = ("Ningún día", "Varios días", "Más de la mitad de los días",
                "Casi todos los días")
TYPED = "Discuto mucho con mi hermana y no duermo bien."



def _page(http: Client, intake: Intake, section: str) -> str:
    response = http.get(reverse("intake_section", args=[intake.id, section]))
    assert response.status_code == HTTPStatus.OK
    return html.unescape(response.content.decode())


def _submitted_in(language: str, client: User) -> Intake:
    with translation.override(language):
        intake = filled_draft(client, phq9=2, gad7=1)
        if language == "es":  # the free text as a Spanish reader would type it
            intake = save_page(intake, "what_brings_you", {"in_your_own_words": TYPED},
                               client)
        return intake_submit(intake_id=intake.pk, client=client, revision=intake.revision)


# --- Definitions --------------------------------------------------------------------------


@pytest.mark.django_db
def test_version_1_is_stored_and_hashed_exactly_as_before() -> None:
    for name, digest in VERSION_1_DIGESTS.items():
        data = read_definition(HISTORY / name)
        assert canonical_sha256(data) == digest
        stored = install_definition(HISTORY / name)
        assert (stored.version, stored.sha256) == ("1", digest)


def test_a_text_without_its_default_language_is_refused() -> None:
    data: dict[str, Any] = copy.deepcopy(read_definition(SHIPPED_DIR / "default.json"))
    data["sections"][0]["questions"][0]["label"] = {"es": "Su nombre legal completo"}
    with pytest.raises(DefinitionError, match=r"'label' has no 'en' text"):
        parse_definition(data)


# --- A Spanish reader ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_spanish_reader_reads_the_official_spanish_phq9(client_user: User) -> None:
    http = signed_in(reads_spanish(client_user))
    with translation.override("es"):
        intake = filled_draft(client_user)
    page = _page(http, intake, "feelings")
    assert 'lang="es"' in page
    assert PHQ9_ITEM_1 in page and all(option in page for option in PHQ9_OPTIONS)
    assert "Por qué lo preguntamos" in page
    assert "Little interest or pleasure in doing things" not in page
    assert "Nearly every day" not in page and "Why we ask this" not in page


@pytest.mark.django_db
def test_the_same_answers_give_the_same_scores_in_either_language(
    client_user: User, other_client_user: User
) -> None:
    english = _submitted_in("en", client_user)
    spanish = _submitted_in("es", other_client_user)
    assert (english.language, spanish.language) == ("en", "es")
    assert english.scores == spanish.scores
    assert [score["band"] for score in spanish.scores] == ["Moderately severe", "Mild"]


@pytest.mark.django_db
def test_a_version_1_intake_reads_in_english_with_a_note_in_spanish(
    client_user: User
) -> None:
    intake = Intake.objects.create(client=client_user,
                                   questionnaire=install_definition(HISTORY / "default-v1.json"))
    page = _page(signed_in(reads_spanish(client_user)), intake, "feelings")
    assert "Estas preguntas solo están disponibles en inglés." in page
    assert "Little interest or pleasure in doing things" in page
    assert PHQ9_ITEM_1 not in page


@pytest.mark.django_db
def test_the_csi4_has_no_official_spanish_and_says_so_in_spanish(client_user: User) -> None:
    intake = couple_draft(client_user)
    page = _page(signed_in(reads_spanish(client_user)), intake, "csi4")
    assert "Este cuestionario solo está disponible en inglés" in page
    assert "Please indicate the degree of happiness" in page
    assert re.search(r'<span lang="en">Please indicate the degree of happiness', page)
    assert "Cuatro preguntas breves." in page  # our own words around it are in Spanish


# --- A clinician reading a Spanish intake -----------------------------------------------


@pytest.mark.django_db
def test_a_clinician_reads_a_spanish_intake_in_english(
    caseload: User, clinician_user: User
) -> None:
    intake = _submitted_in("es", caseload)
    response = signed_in(clinician_user).get(reverse("staff_intake_detail", args=[intake.pk]))
    assert response.status_code == HTTPStatus.OK
    page = html.unescape(response.content.decode())
    assert "Answered in Spanish" in page
    assert "Little interest or pleasure in doing things" in page
    assert "In your own words, what brings you to therapy right now?" in page
    assert TYPED in page  # exactly as typed
    assert "More than half the days" in page and "Moderately severe" in page
    assert PHQ9_ITEM_1 not in page and "Más de la mitad de los días" not in page


# --- FHIR ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_fhir_says_the_language_and_carries_the_spanish_texts(client_user: User) -> None:
    intake = _submitted_in("es", client_user)
    response = questionnaire_response(intake)
    FhirQuestionnaireResponse.model_validate(response)
    assert response["language"] == "es"
    resource = questionnaire_resource(intake.questionnaire)
    FhirQuestionnaire.model_validate(resource)
    feelings = next(item for item in resource["item"] if item["linkId"] == "feelings")
    item = next(item for item in feelings["item"] if item["linkId"] == "phq9_1")
    assert item["text"] == "Little interest or pleasure in doing things"
    [translation_extension] = item["_text"]["extension"]
    assert translation_extension["url"] == TRANSLATION_EXTENSION
    assert translation_extension["extension"] == [
        {"url": "lang", "valueCode": "es"}, {"url": "content", "valueString": PHQ9_ITEM_1}]
