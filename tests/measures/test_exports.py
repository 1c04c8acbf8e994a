"""Exports of a client's measures: each response as FHIR (a QuestionnaireResponse and an
Observation of its total, valid R4, with the exact LOINC codes, answers and totals; no
LOINC code made up for the CSI-4), and the client's progress as a PDF (kind words, the
points in order, two years of weekly scores, nothing about the client in its metadata).

The instruments are small dataclasses with the published facts (the exports read an
instrument through a structural type, ``InstrumentInfo``); one test holds them to the
questionnaires the practice ships."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle as FhirBundle
from fhir.resources.R4B.observation import Observation as FhirObservation
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse as FhirQuestionnaireResponse,
)

from intake.definitions import COUPLE_FILE, DEFAULT_FILE, read_definition
from intake.schema import parse_definition
from measures.exports.fhir import (
    LOINC_SYSTEM,
    ORDINAL_VALUE,
    TOTAL_SYSTEM,
    ExportError,
    answer_system,
    canonical_reference,
    patient_reference,
    response_bundle,
    response_resources,
    series_bundle,
)
from measures.exports.instrument_info import InstrumentInfo
from measures.exports.pdf import NOT_A_DIAGNOSIS, SUBJECT, TITLE, trend_pdf
from measures.models import MeasureResponse, ResponseSource
from measures.responses import response_store
from measures.series import SeriesPoint, series
from portal.formatting import format_day
from portal.models import User
from portal.pdf import find_unicode_font
from tests.helpers import pdf_page_texts, pdf_text

pytestmark = pytest.mark.django_db

PRACTICE = "Harbour Light Counselling"


# --- The instruments, as published ------------------------------------------------------

@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Band:
    minimum: int
    maximum: int
    label: str


@dataclass(frozen=True)
class Loinc:
    total: str
    panel: str


@dataclass(frozen=True)
class Instrument:
    slug: str
    version: str
    title: str
    attribution: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    min_total: int
    max_total: int
    direction: str
    loinc: Loinc | None


def _options(*labels: str) -> tuple[Option, ...]:
    return tuple(Option(value, label) for value, label in enumerate(labels))


FREQUENCY = _options("Not at all", "Several days", "More than half the days",
                     "Nearly every day")
PFIZER = ("Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and "
          "colleagues, with an educational grant from Pfizer Inc. No permission required to "
          "reproduce, translate, display or distribute.")
PHQ9 = Instrument(
    slug="phq9", version="1", title="PHQ-9", attribution=PFIZER,
    items=tuple(Item(f"phq9_{number}", label, FREQUENCY) for number, label in enumerate([
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself \u2014 or that you are a failure or have let yourself or "
        "your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching "
        "television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite "
        "\u2014 being so fidgety or restless that you have been moving around a lot more "
        "than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ], start=1)),
    bands=(Band(0, 4, "Minimal"), Band(5, 9, "Mild"), Band(10, 14, "Moderate"),
           Band(15, 19, "Moderately severe"), Band(20, 27, "Severe")),
    min_total=0, max_total=27, direction="higher_is_worse",
    loinc=Loinc(total="44261-6", panel="44249-1"),
)
GAD7 = Instrument(
    slug="gad7", version="1", title="GAD-7", attribution=PFIZER,
    items=tuple(Item(f"gad7_{number}", label, FREQUENCY) for number, label in enumerate([
        "Feeling nervous, anxious or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ], start=1)),
    bands=(Band(0, 4, "Minimal"), Band(5, 9, "Mild"), Band(10, 14, "Moderate"),
           Band(15, 21, "Severe")),
    min_total=0, max_total=21, direction="higher_is_worse",
    loinc=Loinc(total="70274-6", panel="69737-5"),
)
CSI_BELOW = "Below the cut-off: suggests notable relationship distress"
CSI_ABOVE = "Above the distress cut-off"
CSI4 = Instrument(
    slug="csi4", version="1", title="CSI-4",
    attribution=("Couples Satisfaction Index, 4-item version (CSI-4). Funk, J. L., & Rogge, "
                 "R. D. (2007). Testing the ruler with item response theory: Increasing "
                 "precision of measurement for relationship satisfaction with the Couples "
                 "Satisfaction Index. Journal of Family Psychology, 21(4), 572-583. Free for "
                 "clinical use."),
    items=(
        Item("csi4_1", "Please indicate the degree of happiness, all things considered, of "
                       "your relationship.",
             _options("Extremely Unhappy", "Fairly Unhappy", "A Little Unhappy", "Happy",
                      "Very Happy", "Extremely Happy", "Perfect")),
        Item("csi4_2", "I have a warm and comfortable relationship with my partner.",
             _options("Not at all True", "A little True", "Somewhat True", "Mostly True",
                      "Almost Completely True", "Completely True")),
        Item("csi4_3", "How rewarding is your relationship with your partner?",
             _options("Not at all", "A little", "Somewhat", "Mostly", "Almost Completely",
                      "Completely")),
        Item("csi4_4", "In general, how satisfied are you with your relationship?",
             _options("Not at all", "A little", "Somewhat", "Mostly", "Almost Completely",
                      "Completely")),
    ),
    bands=(Band(0, 13, CSI_BELOW), Band(14, 21, CSI_ABOVE)),
    min_total=0, max_total=21, direction="higher_is_better", loinc=None,
)
INSTRUMENTS: dict[str, InstrumentInfo] = {"phq9": PHQ9, "gad7": GAD7, "csi4": CSI4}


def test_these_instruments_are_the_ones_the_practice_ships() -> None:
    shipped = {"phq9": DEFAULT_FILE, "gad7": DEFAULT_FILE, "csi4": COUPLE_FILE}
    for slug, instrument in INSTRUMENTS.items():
        questionnaire = parse_definition(read_definition(shipped[slug]))
        scale = next(scale for scale in questionnaire.instruments if scale.id == slug)
        assert (instrument.title, instrument.attribution) == (scale.title, scale.attribution)
        assert [item.id for item in instrument.items] == list(scale.items)
        assert [(b.minimum, b.maximum, b.label) for b in instrument.bands] == [
            (b.minimum, b.maximum, b.label) for b in scale.bands]
        assert (instrument.min_total, instrument.max_total) == (scale.min_total,
                                                                scale.max_total)
        for item in instrument.items:
            question = questionnaire.question(item.id)
            assert item.label == question.label
            assert [(o.value, o.label) for o in item.options] == [
                (o.value, o.label) for o in question.options]


# --- Stored responses -------------------------------------------------------------------

START = datetime(2025, 1, 6, 14, 30, tzinfo=UTC)
PHQ9_ANSWERS = (2, 1, 3, 2, 0, 1, 2, 1, 1)  # 13: Moderate
GAD7_ANSWERS = (3, 3, 2, 3, 2, 3, 3)  # 19: Severe
CSI4_ANSWERS = (3, 4, 3, 3)  # 13: just under the 13.5 cut-off


def _band(instrument: InstrumentInfo, total: int) -> str:
    return next(b.label for b in instrument.bands if b.minimum <= total <= b.maximum)


def _store(client: User, instrument: InstrumentInfo, answers: Sequence[int],
           taken_at: datetime = START) -> MeasureResponse:
    """A response stored encrypted through the one writer, read back decrypted."""
    items = {item.id: value for item, value in zip(instrument.items, answers, strict=True)}
    total = sum(answers)
    stored = response_store(
        client_id=client.pk, case_id=None, instrument=instrument.slug,
        version=instrument.version, taken_at=taken_at, items=items, total=total,
        band=_band(instrument, total), source=ResponseSource.INTAKE, intake_id=uuid.uuid4())
    return MeasureResponse.objects.get(pk=stored.pk)


def _validated(bundle: dict[str, Any]) -> dict[str, Any]:
    """The bundle, after each resource and the bundle itself pass the R4B models."""
    FhirBundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Observation":
            FhirObservation.model_validate(resource)
        else:
            FhirQuestionnaireResponse.model_validate(resource)
    json.dumps(bundle)  # plain JSON types only
    return bundle


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _codings(value: Any) -> list[dict[str, Any]]:
    """Every coding anywhere in a resource."""
    if isinstance(value, list):
        return [coding for item in value for coding in _codings(item)]
    if not isinstance(value, dict):
        return []
    found = [value] if "system" in value and "code" in value else []
    return found + [coding for item in value.values() for coding in _codings(item)]


# --- FHIR -------------------------------------------------------------------------------

@pytest.mark.parametrize(("instrument", "answers", "loinc"), [
    (PHQ9, PHQ9_ANSWERS, "44261-6"),
    (GAD7, GAD7_ANSWERS, "70274-6"),
])
def test_a_response_is_a_valid_questionnaire_response_and_a_loinc_coded_total(
    client_user: User, instrument: Instrument, answers: tuple[int, ...], loinc: str,
) -> None:
    response = _store(client_user, instrument, answers)
    bundle = _validated(response_bundle(response, instrument,
                                        patient_reference=patient_reference(client_user.pk)))

    assert bundle["type"] == "collection"
    (answered,) = _resources(bundle, "QuestionnaireResponse")
    (total,) = _resources(bundle, "Observation")
    assert answered["status"] == "completed"
    assert answered["questionnaire"] == canonical_reference(instrument)
    assert answered["authored"] == "2025-01-06T14:30:00+00:00"
    assert answered["subject"] == {"reference": f"Patient/{client_user.pk}"}
    assert total["code"]["coding"] == [{"system": LOINC_SYSTEM, "code": loinc}]
    assert total["category"][0]["coding"][0]["code"] == "survey"
    assert (total["status"], total["valueInteger"]) == ("final", sum(answers))
    assert total["interpretation"] == [{"text": _band(instrument, sum(answers))}]
    assert total["effectiveDateTime"] == answered["authored"]
    assert total["subject"] == answered["subject"]


def test_each_item_is_answered_with_its_words_code_and_weight(client_user: User) -> None:
    response = _store(client_user, PHQ9, PHQ9_ANSWERS)
    answered, _ = response_resources(response, PHQ9,
                                     patient_reference=patient_reference(client_user.pk))

    assert [item["linkId"] for item in answered["item"]] == [i.id for i in PHQ9.items]
    for item, question, value in zip(answered["item"], PHQ9.items, PHQ9_ANSWERS,
                                     strict=True):
        assert item["text"] == question.label
        (answer,) = item["answer"]
        assert answer["valueCoding"] == {
            "extension": [{"url": ORDINAL_VALUE, "valueDecimal": value}],
            "system": answer_system("phq9", question.id),
            "code": str(value),
            "display": FREQUENCY[value].label,
        }


def test_the_csi4_total_has_the_portals_own_code_and_no_loinc_code(client_user: User) -> None:
    response = _store(client_user, CSI4, CSI4_ANSWERS)
    bundle = _validated(response_bundle(response, CSI4,
                                        patient_reference=patient_reference(client_user.pk)))

    (total,) = _resources(bundle, "Observation")
    assert total["code"] == {"coding": [{"system": TOTAL_SYSTEM, "code": "csi4",
                                         "display": "CSI-4 total score"}],
                             "text": "CSI-4 total score"}
    assert (total["valueInteger"], total["interpretation"]) == (13, [{"text": CSI_BELOW}])
    assert all(coding["system"] != LOINC_SYSTEM for coding in _codings(bundle))
    (answered,) = _resources(bundle, "QuestionnaireResponse")
    happiness = answered["item"][0]["answer"][0]["valueCoding"]
    assert (happiness["code"], happiness["display"]) == ("3", "Happy")


def test_the_total_is_derived_from_its_response_inside_the_bundle(client_user: User) -> None:
    response = _store(client_user, GAD7, GAD7_ANSWERS)
    bundle = response_bundle(response, GAD7,
                             patient_reference=patient_reference(client_user.pk))

    urls = {entry["resource"]["resourceType"]: entry["fullUrl"] for entry in bundle["entry"]}
    (total,) = _resources(bundle, "Observation")
    assert total["derivedFrom"] == [{"reference": urls["QuestionnaireResponse"]}]
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", url) for url in urls.values())
    assert urls["QuestionnaireResponse"] == f"urn:uuid:{response.pk}"
    # Exported again, the same ids: a receiving system sees the same resources, not new ones.
    assert response_bundle(response, GAD7,
                           patient_reference=patient_reference(client_user.pk)) == bundle


def test_a_series_is_one_bundle_each_response_with_its_own_instrument(
    client_user: User,
) -> None:
    responses = [
        _store(client_user, PHQ9, PHQ9_ANSWERS, START),
        _store(client_user, GAD7, GAD7_ANSWERS, START),
        _store(client_user, PHQ9, (0, 0, 1, 0, 0, 0, 1, 0, 0), START + timedelta(days=14)),
        _store(client_user, CSI4, CSI4_ANSWERS, START + timedelta(days=14)),
    ]
    asked: list[tuple[str, str]] = []

    def instrument_for(slug: str, version: str) -> InstrumentInfo:
        asked.append((slug, version))
        return INSTRUMENTS[slug]

    bundle = _validated(series_bundle(responses, instrument_for,
                                      patient_reference=patient_reference(client_user.pk)))

    assert asked == [("phq9", "1"), ("gad7", "1"), ("phq9", "1"), ("csi4", "1")]
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "QuestionnaireResponse", "Observation"] * 4
    assert [o["valueInteger"] for o in _resources(bundle, "Observation")] == [13, 19, 2, 13]
    assert [o["code"]["coding"][0]["code"] for o in _resources(bundle, "Observation")] == [
        "44261-6", "70274-6", "44261-6", "csi4"]
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(urls)) == len(urls)
    for total in _resources(bundle, "Observation"):
        assert total["derivedFrom"][0]["reference"] in urls


def test_nothing_but_the_patient_reference_says_who_it_is(client_user: User) -> None:
    client_user.display_name = "Robin Example"
    client_user.save()
    response = _store(client_user, PHQ9, PHQ9_ANSWERS)

    text = json.dumps(response_bundle(response, PHQ9,
                                      patient_reference=patient_reference(client_user.pk)))

    assert "Robin" not in text and client_user.email not in text
    assert text.count(str(client_user.pk)) == 4  # subject, author, source; the total's subject


def test_a_response_is_not_exported_against_another_instrument(client_user: User) -> None:
    response = _store(client_user, GAD7, GAD7_ANSWERS)

    with pytest.raises(ExportError, match="gad7 v1 response cannot be exported as phq9 v1"):
        response_bundle(response, PHQ9, patient_reference=patient_reference(client_user.pk))


def test_an_answer_no_option_has_is_refused_without_saying_the_answer(
    client_user: User,
) -> None:
    response = _store(client_user, GAD7, GAD7_ANSWERS)
    response.items = {**response.items, "gad7_4": 9}

    with pytest.raises(ExportError, match="gad7 v1 item gad7_4") as refused:
        response_bundle(response, GAD7, patient_reference=patient_reference(client_user.pk))
    assert "9" not in str(refused.value)


# --- PDF --------------------------------------------------------------------------------

def _points(client: User, instrument: InstrumentInfo, totals: Sequence[int],
            every: timedelta = timedelta(weeks=1)) -> list[SeriesPoint]:
    """A stored series with these totals (first answers adding up to each), read back
    through ``series`` as the progress page reads it."""
    for week, total in enumerate(totals):
        answers, left = [], total
        for item in instrument.items:
            top = int(max(option.value for option in item.options))
            answers.append(min(left, top))
            left -= answers[-1]
        _store(client, instrument, answers, START + week * every)
    return series(client.pk, instrument.slug)


def _texts(pdf: bytes) -> list[str]:
    """The PDF's text, once read with each font (regular, bold)."""
    texts = pdf_page_texts(pdf)
    assert texts
    return texts


def _says(pdf: bytes, words: str) -> bool:
    return any(words in text for text in _texts(pdf))


def _rows_in_order(text: str, rows: Sequence[str]) -> bool:
    position = 0
    for row in rows:
        found = text.find(row, position)
        if found < 0:
            return False
        position = found + len(row)
    return True


def _row(point: SeriesPoint, instrument: InstrumentInfo) -> str:
    return f"{format_day(point.taken_at)} {point.total} out of {instrument.max_total} {point.band}"


@pytest.fixture
def fonts_present() -> None:
    if find_unicode_font() is None:
        pytest.skip("DejaVu Sans is not installed: the Helvetica test covers the content")


def test_the_progress_copy_says_in_kind_words_what_the_scores_mean(
    client_user: User, fonts_present: None,
) -> None:
    trends = [(PHQ9, _points(client_user, PHQ9, [17, 12, 8])),
              (GAD7, _points(client_user, GAD7, [11, 9, 6])),
              (CSI4, _points(client_user, CSI4, [11, 14, 16]))]

    pdf = trend_pdf(trends, practice_name=PRACTICE, client_label="Sam Rivera")

    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    for words in (PRACTICE, "Prepared for Sam Rivera", "Your progress: PHQ-9",
                  "Your progress: GAD-7", "Your progress: CSI-4",
                  "Lower scores mean fewer symptoms. Scores run from 0 to 27.",
                  "Lower scores mean fewer symptoms. Scores run from 0 to 21.",
                  "Higher scores mean more satisfaction in your relationship.",
                  NOT_A_DIAGNOSIS, "About these questionnaires", PFIZER):
        assert _says(pdf, words), words


def test_the_table_shows_each_date_score_and_band_in_order(
    client_user: User, fonts_present: None,
) -> None:
    phq9 = _points(client_user, PHQ9, [21, 16, 12, 9, 4])
    csi4 = _points(client_user, CSI4, [10, 13, 14])

    pdf = trend_pdf([(PHQ9, phq9), (CSI4, csi4)], practice_name=PRACTICE,
                    client_label="Sam Rivera")

    rows = [_row(p, PHQ9) for p in phq9] + [_row(p, CSI4) for p in csi4]
    assert rows[0] == f"{format_day(START)} 21 out of 27 Severe"
    assert rows[-1] == f"{format_day(START + timedelta(weeks=2))} 14 out of 21 {CSI_ABOVE}"
    assert any(_rows_in_order(text, rows) for text in _texts(pdf))
    assert _says(pdf, "Date Score Band")


def test_two_years_of_weekly_scores_fit_on_pages_that_repeat_the_table_header(
    client_user: User, fonts_present: None,
) -> None:
    totals = [(week * 7) % 28 for week in range(104)]
    points = _points(client_user, PHQ9, totals)
    assert len(points) == 104

    pdf = trend_pdf([(PHQ9, points)], practice_name=PRACTICE, client_label="Sam Rivera")

    pages = len(re.findall(rb"/Type /Page\b", pdf))
    assert pages >= 3
    assert any(_rows_in_order(text, [_row(p, PHQ9) for p in points]) for text in _texts(pdf))
    # The header row again at the top of each page the table continues on.
    headers = max(text.count("Date Score Band") for text in _texts(pdf))
    assert 3 <= headers <= pages


def test_an_instrument_without_scores_says_so(client_user: User, fonts_present: None) -> None:
    pdf = trend_pdf([(GAD7, [])], practice_name=PRACTICE, client_label="Sam Rivera")

    assert _says(pdf, "There are no scores here yet.")


def test_the_document_information_names_no_client_and_no_score(
    client_user: User, fonts_present: None,
) -> None:
    points = _points(client_user, PHQ9, [19, 23])

    pdf = trend_pdf([(PHQ9, points)], practice_name=PRACTICE, client_label="Robin Example")

    info = dict(re.findall(rb"/(Title|Subject|Author) \((.*?)\)", pdf))
    assert info == {b"Title": TITLE.encode(), b"Subject": SUBJECT.encode(),
                    b"Author": PRACTICE.encode()}
    assert b"Robin" not in pdf and client_user.email.encode() not in pdf
    assert b"Moderately severe" not in pdf and b"Severe" not in pdf  # the body is compressed
    assert _says(pdf, "Prepared for Robin Example")


def test_any_name_prints_and_helvetica_still_makes_the_copy(
    client_user: User, fonts_present: None,
) -> None:
    points = _points(client_user, GAD7, [12])
    name = "Zoë Ångström-Łukasz שלום"

    pdf = trend_pdf([(GAD7, points)], practice_name=PRACTICE, client_label=name)
    fallback = pdf_text(trend_pdf([(GAD7, points)], practice_name=PRACTICE,
                                  client_label="Zoë Łukasz", fonts=None, compress=False),
                        unicode_font=False)

    assert _says(pdf, "Zoë Ångström-Łukasz")
    flat = " ".join(fallback.split())
    assert "Prepared for Zoë Lukasz" in flat
    assert _row(points[0], GAD7) in flat and "Lower scores mean fewer symptoms." in flat
