"""A clinician's countersignature (issue 17): a practice admin marks a document as
countersigned; a client's signature of it counts only once a clinician of their care team
has countersigned; nobody else can; the client withdrawing withdraws it and tells the
clinician who countersigned."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from consents.countersign import consent_countersign
from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ConsentSignature, SignerSet
from consents.register import build_register
from consents.selectors import blocking_before_intake
from consents.services import SigningError, consent_sign, consent_statuses, consent_withdraw
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import User
from tests.factories import fill_practice_settings
from tests.helpers import delivered_mail, published_version, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(admin_user: User) -> Client:
    return signed_in(admin_user)


@pytest.fixture
def treatment(admin: Client) -> ConsentDocument:
    """The treatment consent, countersigned, set so by the admin on its page."""
    fill_practice_settings()
    install_default_documents(publish=True)
    document = ConsentDocument.objects.get(kind="treatment")
    response = admin.post(reverse("consent_document_requirement", args=[document.pk]),
                          {"requirement": "before_intake", "countersign_required": "on"})
    assert response.status_code == HTTPStatus.FOUND
    document.refresh_from_db()
    assert document.countersign_required
    assert AuditEvent.objects.get(action=Action.DOCUMENT_COUNTERSIGN_CHANGED).detail == {
        "required": True}
    return document


def _sign(client: User, document: ConsentDocument) -> ConsentSignature:
    version = published_version(document)
    return consent_sign(client=client, version_id=version.pk, expected_sha256=version.sha256,
                        typed_name="Robin Example", agreed=True)


def _state(client: User, kind: str = "treatment") -> str:
    [status] = [s for s in consent_statuses(client) if s.document.kind == kind]
    return status.state


def test_a_signature_counts_only_once_a_clinician_of_the_care_team_countersigns(
    treatment: ConsentDocument, caseload: User, clinician_user: User
) -> None:
    signature = _sign(caseload, treatment)
    assert _state(caseload) == "countersign"
    assert "treatment" in {s.document.kind for s in blocking_before_intake(caseload)}
    [entry] = [e for e in build_register(client_ids=[caseload.pk]).for_client(caseload.pk)
               if e.document.kind == "treatment"]
    assert entry.state_label == "Waiting for the clinician's countersignature"
    # Signing again does not open a second one.
    assert _sign(caseload, treatment).pk == signature.pk

    clinician = signed_in(clinician_user)
    listing = clinician.get(reverse("consent_countersign_list")).content.decode()
    assert signature.reference in listing
    response = clinician.post(reverse("consent_countersign", args=[signature.pk]))
    assert response.status_code == HTTPStatus.FOUND
    assert _state(caseload) == "signed"
    assert "treatment" not in {s.document.kind for s in blocking_before_intake(caseload)}
    event = AuditEvent.objects.get(action=Action.CONSENT_COUNTERSIGNED)
    assert (event.actor_id, event.subject_id) == (clinician_user.pk, caseload.pk)
    assert signature.reference not in clinician.get(
        reverse("consent_countersign_list")).content.decode()


def test_only_the_care_team_countersigns(
    treatment: ConsentDocument, caseload: User, stranger: User, admin: Client,
    other_client_user: User,
) -> None:
    signature = _sign(caseload, treatment)
    url = reverse("consent_countersign", args=[signature.pk])
    # A clinician outside the care team, a client: the same 404 as a made-up id.
    outsider = signed_in(stranger)
    assert outsider.post(url).status_code == HTTPStatus.NOT_FOUND
    assert signature.reference not in outsider.get(
        reverse("consent_countersign_list")).content.decode()
    assert signed_in(other_client_user).post(url).status_code == HTTPStatus.NOT_FOUND
    anonymous = Client().post(url)
    assert anonymous.status_code == HTTPStatus.FOUND
    assert anonymous["Location"].startswith(reverse("account_login"))
    # A practice admin sees every client but is on no care team: told so, nothing signed.
    page = admin.post(url, follow=True).content.decode()
    assert "Only a clinician on the client" in page
    with pytest.raises(SigningError):
        consent_countersign(clinician=stranger, signature_id=signature.pk)
    assert _state(caseload) == "countersign"


def test_the_client_withdrawing_tells_the_clinician_who_countersigned(
    treatment: ConsentDocument, caseload: User, clinician_user: User
) -> None:
    signature = _sign(caseload, treatment)
    consent_countersign(clinician=clinician_user, signature_id=signature.pk)
    delivered_mail()
    mail.outbox.clear()
    consent_withdraw(client=caseload, signature_id=signature.pk)
    assert _state(caseload) == "withdrawn"
    assert [m.to for m in delivered_mail()] == [[clinician_user.email]]
    with pytest.raises(SigningError, match="withdrew"):
        consent_countersign(clinician=clinician_user, signature_id=signature.pk)
    # Signing again starts a new consent to countersign.
    again = _sign(caseload, treatment)
    assert again.pk != signature.pk and _state(caseload) == "countersign"
    assert SignerSet.objects.filter(on_behalf_of=caseload).count() == 2


def test_a_document_not_countersigned_is_signed_as_before(
    treatment: ConsentDocument, caseload: User
) -> None:
    privacy = ConsentDocument.objects.get(kind="privacy_notice")
    signature = _sign(caseload, privacy)
    assert signature.signer_set_id is None
    assert _state(caseload, "privacy_notice") == "signed"
