"""A couple or family case as FHIR R4: a ``Bundle`` holding the case as a ``Group`` of its
people and each guardian as a ``RelatedPerson`` of their child.

What is in it: ids, the case's kind and reference, each member's part in the case, and for
each guardian their relationship and legal authority as they stated them (sealed under the
child's key: building this decrypts them, so the download is recorded per child). What is
not: anyone's answers (each person's intake is its own ``QuestionnaireResponse``, exported
from their intake page), names, contact details. People are referenced by their account id
as ``Patient/<id>``, the id the intake and consent exports use for the same person.

Plain ``dict``s for ``json.dumps``; tests validate them with the ``fhir.resources`` R4B models.
The ``display`` texts are for the person reading the export, in the language of whoever
downloads it.
"""

from __future__ import annotations

from typing import Any

from clients.cases import case_title
from portal.models import Case, CaseParticipant, Guardianship

FHIR_JSON = "application/fhir+json"
CASE_SYSTEM = "urn:portal:case"
ROLE_SYSTEM = "urn:portal:case-role"
ACCOUNT_SYSTEM = "urn:portal:account"
LEGAL_AUTHORITY_EXTENSION = "urn:portal:fhir:legal-authority"
SIGNS_FOR_CHILD_EXTENSION = "urn:portal:fhir:signs-for-child"


def _patient(person_id: object) -> dict[str, str]:
    return {"reference": f"Patient/{person_id}"}


def _member(participant: CaseParticipant) -> dict[str, Any]:
    return {
        "entity": _patient(participant.person_id),
        "extension": [{
            "url": ROLE_SYSTEM,
            "valueCoding": {"system": ROLE_SYSTEM, "code": participant.role,
                            "display": participant.get_role_display()},
        }],
    }


def case_group(case: Case, participants: list[CaseParticipant]) -> dict[str, Any]:
    """The case as a ``Group`` of the people in it who have a record (an invitation still
    waiting has no one to point at yet)."""
    members = [p for p in participants if p.person_id is not None]
    return {
        "resourceType": "Group",
        "id": str(case.pk),
        "identifier": [{"system": CASE_SYSTEM, "value": case.reference}],
        "type": "person",
        "actual": True,
        "code": {"coding": [{"system": CASE_SYSTEM, "code": case.kind,
                             "display": case_title(case.kind)}]},
        "quantity": len(members),
        "member": [_member(p) for p in members],
    }


def related_person(link: Guardianship, guardian_id: object) -> dict[str, Any]:
    """One guardian of a child, with what they stated (decrypted here, under the child's
    key: the caller records the reading)."""
    return {
        "resourceType": "RelatedPerson",
        "id": str(link.pk),
        "active": True,
        "identifier": [{"system": ACCOUNT_SYSTEM, "value": str(guardian_id)}],
        "patient": _patient(link.child_id),
        "relationship": [{"text": link.relationship}],
        "extension": [
            {"url": LEGAL_AUTHORITY_EXTENSION, "valueString": link.legal_authority},
            {"url": SIGNS_FOR_CHILD_EXTENSION, "valueBoolean": link.signs_for_child},
        ],
    }


def case_bundle(case: Case) -> dict[str, Any]:
    """The case and its guardians as one ``collection`` Bundle. Decrypts each
    guardianship's stated relationship and authority."""
    participants = list(case.participants.all())
    guardian_ids = {p.pk: p.person_id for p in participants}
    entries: list[dict[str, Any]] = [{"fullUrl": f"urn:uuid:{case.pk}",
                                      "resource": case_group(case, participants)}]
    for link in Guardianship.objects.filter(case=case).order_by("created_at", "id"):
        entries.append({"fullUrl": f"urn:uuid:{link.pk}",
                        "resource": related_person(link, guardian_ids.get(link.guardian_id))})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def children_of(case: Case) -> list[Any]:
    """The child records whose guardianship details the bundle decrypts."""
    return list(Guardianship.objects.filter(case=case).values_list("child_id", flat=True)
                .distinct())
