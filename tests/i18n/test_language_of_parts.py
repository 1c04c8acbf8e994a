"""Language of parts (WCAG 3.1.2): a questionnaire text shown in another language than the
page's (a practice's own question written only in English, on a Spanish page) sits inside
an element whose ``lang`` says so, so a screen reader pronounces it as English; a text in
the page's language carries no mark of its own, and an English page has none at all."""

from __future__ import annotations

import copy
from collections import defaultdict
from html.parser import HTMLParser
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from intake.definitions import DEFAULT_FILE, canonical_sha256, read_definition
from intake.models import Intake, QuestionnaireVersion
from portal.models import User
from tests.helpers import signed_in
from tests.intake_data import answers_by_section, save_page

# A practice's own questions, added to the shipped (translated) questionnaire: one written
# only in English, one translated but for one of its options.
PARKING = "Will you need a parking space?"
PARKING_HELP = "There are two spaces by the side door."
ARRIVAL = {"en": "How will you get here?", "es": "¿Cómo llegará hasta aquí?"}
BY_CAR = {"en": "By car", "es": "En automóvil"}
BY_TRAM = "By tram"
# A question of the shipped questionnaire, in its Spanish.
LEAVE_MESSAGES = "¿Podemos dejarle un mensaje si no contesta?"
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "source", "track", "wbr"}


class _Languages(HTMLParser):
    """Each run of text in ``<main>`` with the language it is read in (the nearest
    ``lang`` around it), and every element inside ``<main>`` that says a language."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []  # (tag, its lang)
        self.texts: dict[str, set[str]] = defaultdict(set)
        self.marks: list[tuple[str, str]] = []  # (tag, lang) inside <main>

    def _in_main(self) -> bool:
        return any(tag == "main" for tag, _ in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        lang = dict(attrs).get("lang")
        if lang is not None and self._in_main():
            self.marks.append((tag, lang))
        if tag not in _VOID:
            self.stack.append((tag, lang))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and self._in_main():
            lang = next(lang for _, lang in reversed(self.stack) if lang is not None)
            self.texts[text].add(lang)


def _read(http: Client, url: str) -> _Languages:
    response = http.get(url)
    assert response.status_code == HTTPStatus.OK
    reader = _Languages()
    reader.feed(response.content.decode())
    return reader


def _with_own_questions() -> dict[str, Any]:
    data = copy.deepcopy(read_definition(DEFAULT_FILE))
    data["version"] = "own-questions"
    section = next(s for s in data["sections"] if s["id"] == "practicalities")
    section["questions"] += [
        {"id": "parking", "type": "yes_no", "label": PARKING, "help": PARKING_HELP},
        {"id": "arrival", "type": "single_choice", "label": ARRIVAL,
         "options": [{"value": "car", "label": BY_CAR}, {"value": "tram", "label": BY_TRAM}]},
    ]
    return data


@pytest.fixture
def intake(client_user: User) -> Intake:
    """``client_user``'s intake on the questionnaire with the practice's own questions,
    every page answered (the parking question "yes", coming by tram)."""
    data = _with_own_questions()
    version = QuestionnaireVersion.objects.create(
        slug=data["slug"], version=data["version"], title="Own questions", definition=data,
        sha256=canonical_sha256(data))
    draft = Intake.objects.create(client=client_user, questionnaire=version)
    pages = answers_by_section()
    pages["practicalities"].update({"parking": "yes", "arrival": "tram"})
    for section, posted in pages.items():
        draft = save_page(draft, section, posted, client_user)
    return draft


def _reader_of(user: User, language: str) -> Client:
    user.language = language
    user.save(update_fields=["language"])
    return signed_in(user)


@pytest.mark.django_db
def test_a_spanish_reader_hears_an_english_only_question_as_english(
    client_user: User, intake: Intake
) -> None:
    http = _reader_of(client_user, "es")
    page = _read(http, reverse("intake_section", args=[intake.id, "practicalities"]))
    assert page.texts[PARKING] == {"en"}
    assert page.texts[PARKING_HELP] == {"en"}
    assert page.texts[BY_TRAM] == {"en"}
    # Translated texts, and the interface's own words, are read in the page's language.
    assert page.texts[LEAVE_MESSAGES] == {"es"}
    assert page.texts[ARRIVAL["es"]] == {"es"}
    assert page.texts[BY_CAR["es"]] == {"es"}
    assert page.texts["Sí"] == {"es"} and page.texts["No"] == {"es"}
    assert page.texts["(obligatorio)"] == {"es"}
    assert "Estas preguntas solo están disponibles en inglés." in page.texts
    # Only the English texts are marked: one mark each.
    assert sorted(lang for _, lang in page.marks) == ["en", "en", "en"]


@pytest.mark.django_db
def test_the_review_page_marks_the_english_question_and_answer(
    client_user: User, intake: Intake
) -> None:
    page = _read(_reader_of(client_user, "es"), reverse("intake_review", args=[intake.id]))
    assert page.texts[PARKING] == {"en"}
    assert page.texts[BY_TRAM] == {"en"}  # the answer chosen, in the words of its option
    assert page.texts["Sí"] == {"es"}
    assert page.texts[LEAVE_MESSAGES] == {"es"}
    assert page.texts[ARRIVAL["es"]] == {"es"}


@pytest.mark.django_db
def test_a_spanish_reading_clinician_hears_the_english_question_as_english(
    caseload: User, clinician_user: User, intake: Intake
) -> None:
    page = _read(_reader_of(clinician_user, "es"),
                 reverse("staff_intake_detail", args=[intake.pk]))
    assert page.texts[PARKING] == {"en"}
    assert page.texts[BY_TRAM] == {"en"}
    assert page.texts[LEAVE_MESSAGES] == {"es"}
    assert page.texts["Sí"] == {"es"}


@pytest.mark.django_db
def test_an_english_reader_sees_no_language_marks(client_user: User, intake: Intake) -> None:
    http = _reader_of(client_user, "en")
    for url in (reverse("intake_section", args=[intake.id, "practicalities"]),
                reverse("intake_section", args=[intake.id, "feelings"]),
                reverse("intake_review", args=[intake.id])):
        page = _read(http, url)
        assert PARKING in page.texts or "feelings" in url
        assert page.marks == [], url
        assert all(languages == {"en"} for languages in page.texts.values()), url
