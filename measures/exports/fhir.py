"""FHIR R4 resources for measure responses: each response as a ``QuestionnaireResponse``
and an ``Observation`` of its total, one response or a whole series in a ``Bundle``.

Plain ``dict``s ready for ``json.dumps``; the tests validate them with the
``fhir.resources`` R4B models (R4B keeps R4's QuestionnaireResponse and Observation).
Building them reads decrypted answers and totals: the caller has checked access and audits
the export; nothing here records, sends or stores anything.

Mapping, in short (the conventions of ``intake.exports.fhir``):

* ``QuestionnaireResponse``: ``status`` completed, ``authored`` when it was taken (UTC);
  ``questionnaire`` the instrument's versioned canonical
  ``https://portal.invalid/Questionnaire/instrument/<slug>|<version>`` (".invalid" never
  resolves, RFC 2606; the ``instrument/`` segment keeps it apart from a questionnaire's
  canonical, whose slug cannot hold a slash); subject, author and source the patient by
  reference only, never a name. One item per instrument item, in order: ``linkId`` the item
  id, ``text`` its words, one ``valueCoding`` answer in the system
  ``urn:portal:instrument:<slug>:<item id>`` (code = stored value, display = the option's
  words).
* The weight an answer adds to the total rides on that coding as the R4 ``ordinalValue``
  extension (``valueDecimal``), whose context in R4 is ``Coding``: the same extension the
  intake's ``Questionnaire`` puts on each option, so a receiver reads the answer's words and
  its weight from one element. (R5 renamed it ``itemWeight``; R4 has no ``valueInteger``
  alternative that keeps the words, so we did not answer with bare integers.)
* ``Observation`` of the total: ``status`` final, ``category`` survey, ``code`` the
  instrument's LOINC total code when it has one (PHQ-9 44261-6, GAD-7 70274-6), else a code
  in the portal's own system :data:`TOTAL_SYSTEM` (CSI-4 has no LOINC code: no LOINC coding
  is invented for it); ``valueInteger`` the total, ``interpretation`` the band as text,
  ``effectiveDateTime`` when it was taken, ``derivedFrom`` the QuestionnaireResponse.
* In a ``Bundle`` (type ``collection``) every entry's ``fullUrl`` is ``urn:uuid:<id>``:
  the response's own id, and for its Observation a UUID derived from it (``uuid5``), so
  exporting the same response twice gives the same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC
from typing import Any

from measures.exports.instrument_info import InstrumentInfo, ItemInfo
from measures.models import MeasureResponse

CANONICAL_BASE = "https://portal.invalid/Questionnaire/instrument/"
TOTAL_SYSTEM = "https://portal.invalid/fhir/CodeSystem/instrument-total"
LOINC_SYSTEM = "http://loinc.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
FHIR_JSON = "application/fhir+json"

# Given a response's instrument slug and version, its definition (``intake.api``'s
# ``instrument_version`` is one).
InstrumentLookup = Callable[[str, str], InstrumentInfo]


class ExportError(ValueError):
    """A response that does not fit the instrument given for it (another instrument or
    version, or an answer none of the item's options has). The message names the
    instrument and item, never an answer."""


def canonical_url(slug: str) -> str:
    """The instrument's canonical URL (without version)."""
    return f"{CANONICAL_BASE}{slug}"


def canonical_reference(instrument: InstrumentInfo) -> str:
    """A versioned canonical reference: ``<url>|<version>``."""
    return f"{canonical_url(instrument.slug)}|{instrument.version}"


def answer_system(slug: str, item_id: str) -> str:
    """The code system of one item's answers."""
    return f"urn:portal:instrument:{slug}:{item_id}"


def patient_reference(client_id: uuid.UUID) -> str:
    """The reference the exports use for a client: ``Patient/<id>``, never a name."""
    return f"Patient/{client_id}"


def observation_id(response: MeasureResponse) -> uuid.UUID:
    """The id of a response's total Observation: derived from the response's id, so the
    same response always exports with the same Observation."""
    return uuid.uuid5(response.id, "total")


def _answer(instrument: InstrumentInfo, item: ItemInfo, value: Any) -> dict[str, Any]:
    """One item's answer as a coding carrying the weight it adds to the total. Raises
    ``ExportError`` for a value none of the item's options has (the message names the
    item, not the value: the answer is clinical content)."""
    for option in item.options:
        if str(option.value) == str(value):
            coding: dict[str, Any] = {
                "extension": [{"url": ORDINAL_VALUE, "valueDecimal": option.value}],
                "system": answer_system(instrument.slug, item.id),
                "code": str(option.value),
                "display": option.label,
            }
            return {"valueCoding": coding}
    raise ExportError(f"An answer to {instrument.slug} v{instrument.version} item "
                      f"{item.id} is not one of its options.")


def _check_fits(response: MeasureResponse, instrument: InstrumentInfo) -> None:
    if (response.instrument, response.instrument_version) != (instrument.slug,
                                                              instrument.version):
        raise ExportError(f"A {response.instrument} v{response.instrument_version} response "
                          f"cannot be exported as {instrument.slug} v{instrument.version}.")


def questionnaire_response_resource(response: MeasureResponse, instrument: InstrumentInfo,
                                    *, patient_reference: str) -> dict[str, Any]:
    """The ``QuestionnaireResponse`` of one measure response (reads its decrypted items:
    the caller audits the export). Items without an answer are left out."""
    _check_fits(response, instrument)
    patient = {"reference": patient_reference}
    answers = response.items
    items = [{"linkId": item.id, "text": item.label,
              "answer": [_answer(instrument, item, answers[item.id])]}
             for item in instrument.items if answers.get(item.id) is not None]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": str(response.id),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{response.id}"},
        "questionnaire": canonical_reference(instrument),
        "status": "completed",
        "subject": patient,
        "authored": response.taken_at.astimezone(UTC).isoformat(),
        "author": dict(patient),
        "source": dict(patient),
        "item": items,
    }


def total_code(instrument: InstrumentInfo) -> dict[str, Any]:
    """What the total Observation measures: the LOINC total code when the instrument has
    one, else the portal's own code for the instrument's total."""
    text = f"{instrument.title} total score"
    if instrument.loinc is not None:
        coding = {"system": LOINC_SYSTEM, "code": instrument.loinc.total}
    else:
        coding = {"system": TOTAL_SYSTEM, "code": instrument.slug, "display": text}
    return {"coding": [coding], "text": text}


def total_observation(response: MeasureResponse, instrument: InstrumentInfo, *,
                      patient_reference: str) -> dict[str, Any]:
    """The ``Observation`` of one response's total and band (decrypted: the caller audits
    the export), derived from the response's ``QuestionnaireResponse`` by its
    ``urn:uuid`` (resolvable inside a Bundle of both)."""
    _check_fits(response, instrument)
    return {
        "resourceType": "Observation",
        "id": str(observation_id(response)),
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": "survey",
                                  "display": "Survey"}]}],
        "code": total_code(instrument),
        "subject": {"reference": patient_reference},
        "effectiveDateTime": response.taken_at.astimezone(UTC).isoformat(),
        "valueInteger": response.total,
        "interpretation": [{"text": response.band}],
        "derivedFrom": [{"reference": f"urn:uuid:{response.id}"}],
    }


def response_resources(response: MeasureResponse, instrument: InstrumentInfo, *,
                       patient_reference: str) -> list[dict[str, Any]]:
    """One response as its two resources, the ``QuestionnaireResponse`` then the total's
    ``Observation`` (which refers to the first by ``urn:uuid``: put both in one Bundle,
    as :func:`response_bundle` and :func:`series_bundle` do)."""
    return [
        questionnaire_response_resource(response, instrument,
                                        patient_reference=patient_reference),
        total_observation(response, instrument, patient_reference=patient_reference),
    ]


def _bundle(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
                  for resource in resources],
    }


def response_bundle(response: MeasureResponse, instrument: InstrumentInfo, *,
                    patient_reference: str) -> dict[str, Any]:
    """One response as a ``collection`` Bundle of its two resources."""
    return _bundle(response_resources(response, instrument,
                                      patient_reference=patient_reference))


def series_bundle(responses: Iterable[MeasureResponse], instrument_for: InstrumentLookup,
                  *, patient_reference: str) -> dict[str, Any]:
    """A series (or several) as one ``collection`` Bundle: each response's two resources,
    in the order given (oldest first, as a series is read). ``instrument_for(slug,
    version)`` gives the definition each response was answered on (pass
    ``intake.api.instrument_version``): an old response is exported with the items and
    options of its own version."""
    resources: list[dict[str, Any]] = []
    for response in responses:
        instrument = instrument_for(response.instrument, response.instrument_version)
        resources += response_resources(response, instrument,
                                        patient_reference=patient_reference)
    return _bundle(resources)
