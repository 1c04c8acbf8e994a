"""Exports of a consent signature: the PDF copy (the exact text signed, who signed, when,
the hash and the reference; withdrawal; any script in a name), the FHIR R4 ``Consent``
(valid, carrying the hash and the withdrawal), and the downloads (own signature only for
clients, care team and admins for staff, each download audited once)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from http import HTTPStatus
from typing import Any

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B.consent import Consent as FhirConsent

from consents.access import get_own_signature, get_signature_for_staff
from consents.exports.fhir import (
    CANONICAL_BASE,
    SCOPE_SYSTEM,
    SHA256_EXTENSION,
    consent_resource,
    consent_scope,
)
from consents.exports.pdf import (
    BULLET,
    Line,
    inline_text,
    markdown_lines,
    signature_lines,
    signature_pdf,
)
from consents.models import ConsentDocument, ConsentSignature, ConsentVersion
from consents.services import (
    AGREEMENT_STATEMENT,
    consent_sign,
    consent_withdraw,
    version_publish,
)
from consents.views.exports import SignedTextMismatch
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.verify import verify_chain
from portal.formatting import format_day, format_when, format_zone
from portal.models import CareAssignment, PracticeSettings, User
from portal.pdf import FontFiles, find_unicode_font
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import pdf_text, signed_in

pytestmark = pytest.mark.django_db

PRACTICE = "Harbour Light Counselling"
BODY = """## What therapy is

Therapy is a *conversation* with a trained professional. See [our notice](https://example.org/notice).

- **Danger to yourself.** We may need to act
  to keep you safe.
- Court orders.

> **Template.** Adapt this with counsel.

1. First step
2. Second step

Raw <b>html</b> stays as typed.
"""
SUMMARY = "In short: we work together, and you can stop at any time."
UNICODE_NAME = "Zoë Ångström-Łukasz 😊"
HEBREW = "שלום עולם"


@pytest.fixture
def practice() -> PracticeSettings:
    settings = PracticeSettings.load()
    settings.name = PRACTICE
    settings.save()
    return settings


def _publish(kind: str = "treatment", title: str = "Informed consent to psychotherapy",
             body: str = BODY) -> ConsentVersion:
    document = ConsentDocument.objects.create(kind=kind, title=title)
    draft = ConsentVersion.objects.create(document=document, summary=SUMMARY, body=body)
    return version_publish(version=draft, actor=None)


def _sign(client: User, version: ConsentVersion, name: str = "Robin Example",
          **extra: str) -> ConsentSignature:
    signature = consent_sign(client=client, version_id=version.pk,
                             expected_sha256=version.sha256, typed_name=name, agreed=True,
                             **extra)
    return ConsentSignature.objects.select_related("version__document").get(pk=signature.pk)


@pytest.fixture
def version(practice: PracticeSettings) -> ConsentVersion:
    return _publish()


@pytest.fixture
def signature(client_user: User, version: ConsentVersion) -> ConsentSignature:
    return _sign(client_user, version)


def _regular_only() -> FontFiles | None:
    fonts = find_unicode_font()
    return FontFiles(fonts.regular, None) if fonts else None


def _flat_text(signature: ConsentSignature, fonts: FontFiles | None) -> str:
    pdf = signature_pdf(signature, fonts=fonts, compress=False)
    return " ".join(pdf_text(pdf, unicode_font=fonts is not None).split())


def _fonts_or_skip() -> FontFiles:
    fonts = _regular_only()
    if fonts is None:
        pytest.skip("DejaVu Sans is not installed: the Helvetica test covers the content")
    return fonts


# --- Markdown as plain text ---------------------------------------------------------------


def test_markdown_becomes_structured_plain_text_without_html() -> None:
    lines = markdown_lines(BODY)
    assert lines[0] == Line("heading", "What therapy is")
    assert Line("paragraph", "Therapy is a conversation with a trained professional. See "
                             "our notice (https://example.org/notice).") in lines
    assert Line("bullet", f"{BULLET} Danger to yourself. We may need to act to keep you "
                          "safe.") in lines
    assert Line("bullet", f"{BULLET} Court orders.") in lines
    assert Line("quote", "Template. Adapt this with counsel.") in lines
    assert [line.text for line in lines if line.text[:2] in ("1.", "2.")] == [
        "1. First step", "2. Second step"]
    assert Line("paragraph", "Raw <b>html</b> stays as typed.") in lines
    assert inline_text(r"a \*literal\* star and snake_case_name") == \
        "a *literal* star and snake_case_name"


# --- PDF ----------------------------------------------------------------------------------


def test_the_pdf_is_a_pdf_titled_without_the_signers_name(
    signature: ConsentSignature, client_user: User
) -> None:
    pdf = signature_pdf(signature)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    title = re.search(rb"/Title \((.*?)\)", pdf)
    assert title is not None and signature.reference.encode() in title.group(1)
    assert b"Robin" not in pdf and client_user.email.encode() not in pdf
    assert str(signature.client_id).encode() not in pdf


def test_the_pdf_holds_the_signed_text_the_name_the_hash_and_the_reference(
    signature: ConsentSignature, version: ConsentVersion
) -> None:
    flat = _flat_text(signature, _fonts_or_skip())
    assert PRACTICE in flat
    assert "Informed consent to psychotherapy" in flat
    assert f"Version 1, effective {format_day(version.effective_date)}" in flat
    assert SUMMARY in flat
    for line in markdown_lines(BODY):
        assert " ".join(line.text.split()) in flat, line
    assert f"{BULLET} Court orders." in flat
    assert "Signed by Robin Example" in flat
    assert AGREEMENT_STATEMENT in flat
    assert signature.sha256 in flat and signature.sha256 == version.sha256
    assert signature.reference in flat
    assert f"{format_when(signature.signed_at)} {format_zone(signature.signed_at)} (" in flat
    assert "UTC)" in flat
    assert "Withdrawn" not in flat
    assert "##" not in flat and "**" not in flat and "](" not in flat
    assert "cannot be shown" not in flat


def test_a_representative_and_their_authority_are_on_the_copy(
    client_user: User, version: ConsentVersion
) -> None:
    signature = _sign(client_user, version, "Robin Example",
                      representative_name="Sam Parent",
                      representative_authority="parent")
    flat = _flat_text(signature, _fonts_or_skip())
    assert "Signed by Robin Example" in flat
    assert "on the client's behalf by Sam Parent (parent)" in flat


def test_a_withdrawn_signature_says_so(
    client_user: User, signature: ConsentSignature
) -> None:
    consent_withdraw(client=client_user, signature_id=signature.pk, reason="Private reason")
    signature.refresh_from_db()
    flat = _flat_text(signature, _fonts_or_skip())
    assert f"Withdrawn on {format_when(signature.withdrawn_at)}" in flat
    assert "Private reason" not in flat  # the reason is the client's, not evidence


@pytest.mark.parametrize("font", ["dejavu", "helvetica"])
def test_any_script_or_emoji_in_the_typed_name_still_makes_a_readable_copy(
    client_user: User, version: ConsentVersion, font: str
) -> None:
    fonts = _regular_only() if font == "dejavu" else None
    if font == "dejavu" and fonts is None:
        pytest.skip("DejaVu Sans is not installed")
    signature = _sign(client_user, version, f"{UNICODE_NAME} {HEBREW}",
                      representative_name="مرحبا بالعالم", representative_authority="漢字")
    assert signature_pdf(signature).startswith(b"%PDF-")  # both faces, compressed
    text = pdf_text(signature_pdf(signature, fonts=fonts, compress=False),
                    unicode_font=fonts is not None)
    flat = " ".join(text.split())
    assert signature.reference in flat and signature.sha256 in flat
    assert "cannot be shown in this PDF" in flat  # the CJK authority (or emoji)
    if fonts is not None:
        assert "Signed by Zoë Ångström-Łukasz 😊" in flat
        assert HEBREW[::-1] in text and HEBREW not in text  # drawn in visual order
        assert "漢" not in text
    else:
        assert "Signed by Zoë Ångström-Lukasz ?" in flat


# --- FHIR ---------------------------------------------------------------------------------


def _extension(resource: dict[str, Any]) -> list[str]:
    return [ext["valueString"] for ext in resource["sourceAttachment"]["extension"]
            if ext["url"] == SHA256_EXTENSION]


def test_the_consent_resource_is_valid_fhir_and_carries_the_hash(
    signature: ConsentSignature, client_user: User
) -> None:
    resource = consent_resource(signature)
    FhirConsent.model_validate(resource)
    dumped = json.dumps(resource)
    assert resource["status"] == "active"
    assert resource["scope"]["coding"][0] | {"system": SCOPE_SYSTEM, "code": "treatment"} \
        == resource["scope"]["coding"][0]
    assert resource["category"][0]["coding"][0] == {
        "system": "http://loinc.org", "code": "59284-0", "display": "Consent Document"}
    assert resource["patient"] == {"reference": f"Patient/{client_user.pk}"}
    assert datetime.fromisoformat(resource["dateTime"]) == signature.signed_at
    assert _extension(resource) == [signature.sha256]
    assert "hash" not in resource["sourceAttachment"]
    canonical = f"{CANONICAL_BASE}treatment|1"
    assert resource["policy"] == [{"uri": canonical}]
    assert resource["sourceAttachment"]["url"] == canonical
    assert {"system": resource["identifier"][1]["system"],
            "value": signature.reference} in resource["identifier"]
    assert resource["provision"]["period"] == {"start": resource["dateTime"]}
    assert "Robin" not in dumped and client_user.email not in dumped


def test_a_withdrawn_consent_is_inactive_with_its_period_ended(
    client_user: User, signature: ConsentSignature
) -> None:
    consent_withdraw(client=client_user, signature_id=signature.pk)
    signature.refresh_from_db()
    resource = consent_resource(signature)
    FhirConsent.model_validate(resource)
    assert resource["status"] == "inactive"
    assert datetime.fromisoformat(resource["provision"]["period"]["end"]) == \
        signature.withdrawn_at


def test_privacy_documents_have_the_privacy_scope(
    client_user: User, practice: PracticeSettings
) -> None:
    privacy = _sign(client_user, _publish("privacy_notice", "Notice of privacy practices"))
    resource = consent_resource(privacy)
    FhirConsent.model_validate(resource)
    assert resource["scope"]["coding"][0]["code"] == "patient-privacy"
    assert consent_scope("release_authorization") == "patient-privacy"
    assert consent_scope("telehealth") == "treatment"


# --- Downloads ----------------------------------------------------------------------------



def _exports() -> list[tuple[Any, Any, str, dict[str, Any]]]:
    return [(e.actor_id, e.subject_id, e.object_id, e.detail) for e in
            AuditEvent.objects.filter(action=Action.CONSENT_EXPORTED).order_by("seq")]


def test_a_client_downloads_their_own_copy(
    as_client: Client, client_user: User, signature: ConsentSignature
) -> None:
    response = as_client.get(reverse("consent_signature_pdf", args=[signature.id]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == (
        f'attachment; filename="consent-{signature.reference}.pdf"')
    assert "no-store" in response["Cache-Control"]
    assert _exports() == [(client_user.pk, client_user.pk, str(signature.id),
                           {"format": "pdf"})]
    assert verify_chain().intact


def test_a_client_gets_no_copy_of_someone_elses_signature(
    client_user: User, other_client_user: User, signature: ConsentSignature
) -> None:
    theirs, mine = signed_in(other_client_user), signed_in(client_user)
    url = reverse("consent_signature_pdf", args=[signature.id])
    assert theirs.get(url).status_code == HTTPStatus.NOT_FOUND
    assert mine.post(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert mine.get(reverse("staff_consent_signature_pdf", args=[signature.id])
                    ).status_code == HTTPStatus.NOT_FOUND
    assert _exports() == []


@pytest.mark.parametrize("staff", ["clinician", "admin"])
def test_staff_downloads_are_each_audited_once_with_their_format(
    client_user: User, clinician_user: User, admin_user: User,
    signature: ConsentSignature, staff: str,
) -> None:
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    user = clinician_user if staff == "clinician" else admin_user
    http = signed_in(user)
    pdf = http.get(reverse("staff_consent_signature_pdf", args=[signature.id]))
    assert pdf.status_code == HTTPStatus.OK and pdf.content.startswith(b"%PDF-")
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="consent-{signature.reference}.pdf"')
    fhir = http.get(reverse("staff_consent_signature_fhir", args=[signature.id]))
    assert fhir.status_code == HTTPStatus.OK
    assert fhir["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert fhir["Content-Disposition"] == (
        f'attachment; filename="consent-{signature.reference}.json"')
    assert "no-store" in fhir["Cache-Control"]
    resource = json.loads(fhir.content)
    FhirConsent.model_validate(resource)
    assert _extension(resource) == [signature.sha256]
    target = str(signature.id)
    assert _exports() == [(user.pk, client_user.pk, target, {"format": "pdf"}),
                          (user.pk, client_user.pk, target, {"format": "fhir"})]
    assert verify_chain().intact


def test_an_unassigned_clinician_gets_a_404_and_nothing_is_recorded(
    clinician_user: User, signature: ConsentSignature
) -> None:
    other = UserFactory(role=Role.CLINICIAN, email="other.clinician@example.com", totp=True)
    assigned_elsewhere = UserFactory(role=Role.CLIENT, email="someone@example.com")
    CareAssignment.objects.create(client=assigned_elsewhere, clinician=clinician_user)
    for user in (clinician_user, other):
        http = signed_in(user)
        for name in ("staff_consent_signature_pdf", "staff_consent_signature_fhir"):
            assert http.get(reverse(name, args=[signature.id])).status_code == \
                HTTPStatus.NOT_FOUND
    assert _exports() == []


def test_malformed_or_unknown_ids_are_404(client_user: User, admin_user: User) -> None:
    for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000", None):
        with pytest.raises(Http404):
            get_own_signature(client_user, bad)  # type: ignore[arg-type]
        with pytest.raises(Http404):
            get_signature_for_staff(admin_user, bad)  # type: ignore[arg-type]


def test_the_withdrawn_copy_downloads_too(
    as_client: Client, client_user: User, signature: ConsentSignature
) -> None:
    consent_withdraw(client=client_user, signature_id=signature.pk)
    response = as_client.get(reverse("consent_signature_pdf", args=[signature.id]))
    assert response.status_code == HTTPStatus.OK
    lines = signature_lines(ConsentSignature.objects.get(pk=signature.pk), PRACTICE)
    assert any(line.kind == "withdrawn" for line in lines)


# --- The signer's own check of the fingerprint, and their FHIR copy -------------------------

UNICODE_BODY = "Café, naïve, Zoë: ñandú 😊.\r\nA line with trailing spaces   \r\n\r\n## Fin\r\n"
SHOWN_HASH = re.compile(r'<span class="secret-value text-break">([0-9a-f]{64})</span>')
TEXT_LINK = re.compile(r'<a href="([^"]+)">download the signed text</a>')


def test_the_signed_text_gives_the_fingerprint_shown_to_the_signer(
    as_client: Client, client_user: User, practice: PracticeSettings
) -> None:
    """The recipe, proved end to end: the file linked from "What you signed", hashed here
    with nothing but hashlib, is the fingerprint on the page, on the signature and on the
    version (accents, an emoji and Windows line endings included)."""
    version = _publish(body=UNICODE_BODY)
    signature = _sign(client_user, version)
    page = as_client.get(reverse("consent_signed", args=[signature.id])).content.decode()
    (shown,) = SHOWN_HASH.findall(page)
    assert "Anyone can check this fingerprint" in page and "<code>sha256sum</code>" in page
    link = TEXT_LINK.search(page)
    assert link is not None
    assert link.group(1) == f"/consents/signatures/{signature.id}/signed-text.txt"

    response = as_client.get(link.group(1))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="consent-{signature.reference}.txt"')
    assert "no-store" in response["Cache-Control"]
    assert hashlib.sha256(response.content).hexdigest() == shown == signature.sha256 \
        == ConsentVersion.objects.get(pk=version.pk).sha256
    text = json.loads(response.content.decode("utf-8"))
    assert text["body"].startswith("Café, naïve, Zoë: ñandú 😊.\nA line with trailing spaces\n")
    assert text["summary"] == f"{SUMMARY}\n" and text["version"] == 1
    assert "Robin" not in response.content.decode()  # the document, not the signer
    # The practice's text, the same for every signer: nothing decrypted, nothing recorded.
    assert not AuditEvent.objects.filter(action=Action.CONSENT_EXPORTED).exists()


def test_a_withdrawn_signature_can_still_be_checked(
    as_client: Client, client_user: User, signature: ConsentSignature
) -> None:
    consent_withdraw(client=client_user, signature_id=signature.pk)
    response = as_client.get(reverse("consent_signature_text", args=[signature.id]))
    assert response.status_code == HTTPStatus.OK
    assert hashlib.sha256(response.content).hexdigest() == signature.sha256


def test_no_text_is_served_that_would_fail_the_signers_check(
    as_client: Client, signature: ConsentSignature, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the canonical recipe ever changed under a published version, the download fails
    loudly instead of handing the signer a file whose hash does not match."""
    monkeypatch.setattr("consents.services.canonical_text", lambda version: "changed")
    with pytest.raises(SignedTextMismatch):
        as_client.get(reverse("consent_signature_text", args=[signature.id]))


def test_a_client_downloads_their_own_fhir_consent(
    as_client: Client, client_user: User, signature: ConsentSignature
) -> None:
    page = as_client.get(reverse("consent_signed", args=[signature.id])).content.decode()
    url = reverse("consent_signature_fhir", args=[signature.id])
    assert f'href="{url}"' in page
    response = as_client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="consent-{signature.reference}.json"')
    assert "no-store" in response["Cache-Control"]
    resource = json.loads(response.content)
    FhirConsent.model_validate(resource)
    assert resource == json.loads(json.dumps(consent_resource(signature)))  # staff's exporter
    assert _extension(resource) == [signature.sha256]
    events = AuditEvent.objects.filter(action=Action.CONSENT_EXPORTED)
    assert [(e.actor_id, e.subject_id, e.object_id, e.detail) for e in events] == [
        (client_user.pk, client_user.pk, str(signature.id), {"format": "fhir"})]
    assert events[0].ip_address == ""  # a client's own actions keep no IP address
    assert verify_chain().intact


def test_only_the_signer_gets_the_signed_text_and_their_fhir_copy(
    client_user: User, other_client_user: User, clinician_user: User, admin_user: User,
    signature: ConsentSignature,
) -> None:
    """Another client, the client's own clinician and a practice admin all get a 404 at the
    client's URLs (a made-up id looks the same); staff keep their own FHIR URL, unchanged."""
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    # Signed in once each: a second-factor code is accepted once.
    strangers = {user.email: signed_in(user)
                 for user in (other_client_user, clinician_user, admin_user)}
    owner = signed_in(client_user)
    for name in ("consent_signature_text", "consent_signature_fhir"):
        real = reverse(name, args=[signature.id])
        made_up = reverse(name, args=["00000000-0000-0000-0000-000000000000"])
        for who, http in strangers.items():
            assert http.get(real).status_code == HTTPStatus.NOT_FOUND, (name, who)
            assert http.get(made_up).status_code == HTTPStatus.NOT_FOUND, (name, who)
        assert owner.post(real).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert _exports() == []
    assert reverse("staff_consent_signature_fhir", args=[signature.id]) == \
        f"/staff/consents/signatures/{signature.id}/consent.json"
    assert reverse("staff_consent_signature_pdf", args=[signature.id]) == \
        f"/staff/consents/signatures/{signature.id}/copy.pdf"


def test_the_pdf_says_where_to_get_the_text_and_how_to_check_it(
    signature: ConsentSignature,
) -> None:
    flat = _flat_text(signature, None)
    assert 'download the signed text from this consent\'s "What you signed" page' in flat
    assert "run sha256sum on the file; the result must match" in flat
