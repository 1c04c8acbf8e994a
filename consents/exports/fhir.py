"""The FHIR R4 ``Consent`` resource for one consent signature.

A plain ``dict`` ready for ``json.dumps``; the tests validate it with the ``fhir.resources``
R4B model (R4B keeps R4's Consent unchanged). Mapping:

* ``status``: ``active``, or ``inactive`` once withdrawn or past its last day;
  ``provision.period`` runs from the signature to the withdrawal or, for an authorization
  with an end date, to that date (``end`` only when there is one). An authorization's
  details (what, to whom, why) are personal data and stay in the PDF copy;
* ``scope`` (http://terminology.hl7.org/CodeSystem/consentscope): ``treatment`` for the
  documents about care itself (treatment, telehealth, fees), ``patient-privacy`` for those
  about information (privacy notice, release authorization, communication, electronic
  records and signatures);
* ``category``: LOINC 59284-0 "Consent Document";
* ``patient``: ``Patient/<client id>``, never a name. The typed name, a representative's name,
  IP address and user agent stay out of the resource (so does ``performer``, which would
  have to name a representative): they are personal data a receiving system does not need
  to check the consent, and the PDF copy carries the name. A withdrawal reason stays out
  too: R4 ``Consent`` has no element for why a consent ended (no ``statusReason``; the end
  shows as ``status`` and ``provision.period.end``), and the reason is the client's own
  words, not evidence (it is in neither export; see ``consents.exports.pdf``);
* ``sourceAttachment.language``: the language of the text signed (the version's, a BCP 47
  code such as ``es``), and ``sourceAttachment.title`` its title as read, in that language;
* ``policy[0].uri`` and ``sourceAttachment.url``: the version's canonical URL
  ``https://portal.invalid/ConsentDocument/<kind>|<number>`` (".invalid" never resolves,
  RFC 2606: it is an identifier, not an address). Version numbers run across languages
  (``consents.models.ConsentVersion``), so the URL names one text in one language.

A consent several people signed (``SignerSet``: a child's guardians) is exported from any
one of its signatures as the one consent it is: ``patient`` is the person it is for (the
child), ``performer`` lists every required signer by id only (a guardian as
``RelatedPerson/<account id>``, a partner as ``Patient/<account id>``, a clinician as
``Practitioner/<account id>``; their typed names stay in the PDF), ``status`` is
``proposed`` while some have not signed, ``active`` once all have, ``inactive`` once
withdrawn; the period starts when the last required signer signed.

Why the hash is an extension. ``Attachment.hash`` is defined as the base64 SHA-1 of the
attachment's data. The evidence we hold is the SHA-256 (hex) of the version's canonical
text taken when the client signed; putting it in ``hash`` would break the element's
definition, and recomputing a SHA-1 would add a weaker fingerprint nobody signed against.
So ``sourceAttachment.extension`` carries the SHA-256 hex under :data:`SHA256_EXTENSION`,
and ``identifier`` carries the verification reference printed on the PDF copy.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from consents.models import (
    ConsentSignature,
    ConsentVersion,
    DocumentKind,
    SignerRole,
    SignerSet,
)

CANONICAL_BASE = "https://portal.invalid/ConsentDocument/"
SHA256_EXTENSION = "https://portal.invalid/fhir/StructureDefinition/consent-text-sha256"
REFERENCE_SYSTEM = "https://portal.invalid/fhir/consent-verification-reference"
SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
FHIR_JSON = "application/fhir+json"

_TREATMENT_KINDS = frozenset({DocumentKind.TREATMENT, DocumentKind.TELEHEALTH,
                              DocumentKind.FEES})
_SCOPES = {
    "treatment": "Treatment",
    "patient-privacy": "Privacy Consent",
}


def canonical_reference(version: ConsentVersion) -> str:
    """The version's versioned canonical URL: ``<base><kind>|<number>``."""
    return f"{CANONICAL_BASE}{version.document.kind}|{version.number}"


def consent_scope(kind: str) -> str:
    """The consentscope code for a document kind: ``treatment`` or ``patient-privacy``."""
    return "treatment" if kind in _TREATMENT_KINDS else "patient-privacy"


def consent_resource(signature: ConsentSignature) -> dict[str, Any]:
    """The FHIR R4 ``Consent`` for one signature. Reads only plaintext evidence (ids,
    times, hash, reference): nothing is decrypted, though callers still audit the export."""
    version = signature.version
    document = version.document
    scope = consent_scope(document.kind)
    patient = {"reference": f"Patient/{signature.client_id}"}
    period: dict[str, str] = {"start": signature.signed_at.astimezone(UTC).isoformat()}
    if signature.withdrawn_at is not None:
        period["end"] = signature.withdrawn_at.astimezone(UTC).isoformat()
    elif signature.expires_on is not None:
        period["end"] = signature.expires_on.isoformat()
    in_force = signature.withdrawn_at is None and not signature.is_expired()
    status = "active" if in_force else "inactive"
    canonical = canonical_reference(version)
    with translation.override(version.language):
        title = gettext("%(title)s (version %(number)s)") % {
            "title": version.display_title, "number": version.number}
    extra: dict[str, Any] = {}
    if signature.signer_set_id is not None:
        patient, status, period, extra = _several_signers(signature)
    return {
        "resourceType": "Consent",
        "id": str(signature.id),
        "identifier": [
            {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{signature.id}"},
            {"system": REFERENCE_SYSTEM, "value": signature.reference},
        ],
        "status": status,
        "scope": {"coding": [{"system": SCOPE_SYSTEM, "code": scope,
                              "display": _SCOPES[scope]}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0",
                                  "display": "Consent Document"}]}],
        "patient": patient,
        "dateTime": signature.signed_at.astimezone(UTC).isoformat(),
        "policy": [{"uri": canonical}],
        "sourceAttachment": {
            "extension": [{"url": SHA256_EXTENSION, "valueString": signature.sha256}],
            "contentType": "text/markdown; charset=utf-8",
            "language": version.language,
            "url": canonical,
            "title": title,
            "creation": (version.published_at or signature.signed_at).astimezone(
                UTC).isoformat(),
        },
        "provision": {"type": "permit", "period": period},
        **extra,
    }


_PERFORMER_TYPE: dict[str, str] = {
    SignerRole.GUARDIAN: "RelatedPerson",
    SignerRole.PARTNER: "Patient",
    SignerRole.CLINICIAN: "Practitioner",
}


def _several_signers(
    signature: ConsentSignature,
) -> tuple[dict[str, str], str, dict[str, str], dict[str, Any]]:
    """The patient, status, period and performers of a consent several people sign, from
    its set (one query for the set, one for its signers; ids and times only)."""
    signer_set = SignerSet.objects.get(signatures=signature)
    patient_id = signer_set.on_behalf_of_id or signature.client_id
    if signer_set.withdrawn_at is not None:
        status = "inactive"
    elif signer_set.completed_at is not None:
        status = "active"
    else:
        status = "proposed"
    start = signer_set.completed_at or signature.signed_at
    period = {"start": start.astimezone(UTC).isoformat()}
    if signer_set.withdrawn_at is not None:
        period["end"] = signer_set.withdrawn_at.astimezone(UTC).isoformat()
    performers = [
        {"reference": f"{_PERFORMER_TYPE.get(role, 'RelatedPerson')}/{signer_id}"}
        for signer_id, role in signer_set.required_signers.order_by("role", "id")
        .values_list("signer_id", "role")
    ]
    return {"reference": f"Patient/{patient_id}"}, status, period, {"performer": performers}
