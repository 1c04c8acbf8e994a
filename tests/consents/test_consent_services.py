"""Consents: frozen, hashed versions; signatures that prove what was agreed; withdrawal as
easy as signing; re-consent only after material changes."""

from __future__ import annotations

import hashlib

import pytest
from django.db import DatabaseError, connection, transaction

from consents.models import (
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    PublishedVersionError,
    Requirement,
)
from consents.services import (
    SigningError,
    VersionChanged,
    canonical_text,
    consent_sign,
    consent_statuses,
    consent_withdraw,
    version_publish,
)
from portal.audit.actions import Action
from portal.audit.context import RequestOrigin, request_origin
from portal.audit.models import AuditEvent
from portal.audit.verify import verify_chain
from portal.models import ClientProfile, User
from tests.factories import fill_practice_settings

pytestmark = pytest.mark.django_db
on_postgresql = pytest.mark.skipif("connection.vendor != 'postgresql'",
                                   reason="PostgreSQL only (trigger)")


@pytest.fixture
def treatment() -> ConsentDocument:
    return ConsentDocument.objects.create(kind="treatment", title="Consent to therapy",
                                          requirement=Requirement.BEFORE_INTAKE)


def _publish(document: ConsentDocument, body: str = "We agree to work together.\n",
             material: bool = False, admin: User | None = None) -> ConsentVersion:
    draft = ConsentVersion.objects.create(document=document, summary="In short: therapy.",
                                          body=body, material_change=material)
    return version_publish(version=draft, actor=admin)


def _sign(client: User, version: ConsentVersion, name: str = "Robin Example",
          **extra: str) -> ConsentSignature:
    return consent_sign(client=client, version_id=version.pk, expected_sha256=version.sha256,
                        typed_name=name, agreed=True, **extra)


def test_publishing_numbers_hashes_and_audits_each_version(
    treatment: ConsentDocument, admin_user: User
) -> None:
    first = _publish(treatment, admin=admin_user)
    second = _publish(treatment, "Updated wording.\n", admin=admin_user)
    assert (first.number, second.number) == (1, 2)
    assert first.sha256 == hashlib.sha256(canonical_text(first).encode()).hexdigest()
    assert "We agree to work together." in canonical_text(first)
    events = AuditEvent.objects.filter(action=Action.DOCUMENT_PUBLISHED)
    assert [e.detail for e in events] == [{"version": "1"}, {"version": "2"}]


def test_the_hash_ignores_line_endings_but_not_words(treatment: ConsentDocument) -> None:
    crlf = _publish(treatment, "Line one\r\nLine two  \r\n")
    other = ConsentDocument.objects.create(kind="fees", title="Consent to therapy")
    lf = _publish(other, "Line one\nLine two\n")
    assert canonical_text(crlf).replace('"kind":"treatment"', "") == canonical_text(
        lf
    ).replace('"kind":"fees"', "")
    changed = ConsentVersion(document=other, number=1, summary=lf.summary,
                             body="Line one\nLine 2\n", effective_date=lf.effective_date)
    assert canonical_text(changed) != canonical_text(lf)


def test_a_published_version_cannot_be_edited_or_deleted(treatment: ConsentDocument) -> None:
    version = _publish(treatment)
    version.body = "Quietly different."
    with pytest.raises(PublishedVersionError):
        version.save()
    with pytest.raises(PublishedVersionError):
        version.delete()
    assert ConsentVersion.objects.get(pk=version.pk).body == "We agree to work together.\n"


def test_a_draft_can_be_edited_until_published(treatment: ConsentDocument) -> None:
    draft = ConsentVersion.objects.create(document=treatment, summary="s", body="first")
    draft.body = "second"
    draft.save()
    assert version_publish(version=draft, actor=None).body == "second"


@on_postgresql
def test_postgresql_refuses_changes_to_a_published_version(treatment: ConsentDocument) -> None:
    version = _publish(treatment)
    for statement in ("UPDATE consents_consentversion SET body = 'x' WHERE id = %s",
                      "DELETE FROM consents_consentversion WHERE id = %s"):
        with (pytest.raises(DatabaseError, match="never change"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute(statement, [version.pk])
    assert ConsentVersion.objects.get(pk=version.pk).body == "We agree to work together.\n"


def test_a_signature_records_the_version_hash_and_encrypts_what_identifies_the_signer(
    treatment: ConsentDocument, client_user: User
) -> None:
    version = _publish(treatment)
    origin = RequestOrigin("r" * 32, "203.0.113.9", "Canary-Browser/1.0")
    with request_origin(origin):
        signature = _sign(client_user, version, "Robin  Canary-Signer")
    stored = ConsentSignature.objects.get(pk=signature.pk)
    assert stored.sha256 == version.sha256
    assert stored.typed_name == "Robin Canary-Signer"
    assert (stored.ip_address, stored.user_agent) == ("203.0.113.9", "Canary-Browser/1.0")
    assert "I agree" in stored.statement
    with connection.cursor() as cursor:
        cursor.execute("SELECT typed_name, ip_address, user_agent FROM consents_consentsignature")
        raw = b"".join(bytes(column) for column in cursor.fetchone())
    for secret in (b"Canary-Signer", b"203.0.113.9", b"Canary-Browser"):
        assert secret not in raw
    assert AuditEvent.objects.get(action=Action.CONSENT_SIGNED).subject_id == client_user.pk


def test_a_version_replaced_while_reading_is_refused(
    treatment: ConsentDocument, client_user: User
) -> None:
    first = _publish(treatment)
    _publish(treatment, "A newer text.\n")
    with pytest.raises(VersionChanged, match="updated while you were reading"):
        _sign(client_user, first)
    with pytest.raises(VersionChanged):
        consent_sign(client=client_user, version_id=first.pk, expected_sha256="0" * 64,
                     typed_name="Robin Example", agreed=True)
    assert not ConsentSignature.objects.exists()


def test_signing_needs_the_tick(treatment: ConsentDocument, client_user: User) -> None:
    version = _publish(treatment)
    with pytest.raises(SigningError, match="tick the box"):
        consent_sign(client=client_user, version_id=version.pk,
                     expected_sha256=version.sha256, typed_name="Robin", agreed=False)


def test_the_typed_name_must_match_the_record_forgiving_case_and_spacing(
    treatment: ConsentDocument, client_user: User
) -> None:
    ClientProfile.objects.create(user=client_user, legal_name="Robin Example")
    version = _publish(treatment)
    with pytest.raises(SigningError, match="does not match the legal name"):
        _sign(client_user, version, "Robyn Example")
    signature = _sign(client_user, version, "  robin   EXAMPLE ")
    assert signature.typed_name == "robin EXAMPLE"


def test_a_representative_must_say_what_authority_they_have(
    treatment: ConsentDocument, client_user: User
) -> None:
    version = _publish(treatment)
    with pytest.raises(SigningError, match="authority"):
        _sign(client_user, version, representative_name="Alex Parent")
    signature = _sign(client_user, version, representative_name="Alex Parent",
                      representative_authority="Parent")
    assert ConsentSignature.objects.get(pk=signature.pk).representative_authority == "Parent"


def test_withdraw_then_sign_again(treatment: ConsentDocument, client_user: User) -> None:
    version = _publish(treatment)
    signature = _sign(client_user, version)
    consent_withdraw(client=client_user, signature_id=signature.pk, reason="Changed my mind")
    (status,) = consent_statuses(client_user)
    assert (status.state, status.blocks) == ("withdrawn", True)
    stored = ConsentSignature.objects.get(pk=signature.pk)
    assert stored.withdrawal_reason == "Changed my mind" and stored.withdrawn_at
    again = _sign(client_user, version)
    assert again.pk != signature.pk
    (status,) = consent_statuses(client_user)
    assert (status.state, status.blocks) == ("signed", False)
    assert list(AuditEvent.objects.filter(action__startswith="consent.")
                .values_list("action", flat=True)) == [
        "consent.signed", "consent.withdrawn", "consent.signed"]
    assert verify_chain().intact


def test_a_client_cannot_withdraw_another_clients_consent(
    treatment: ConsentDocument, client_user: User, other_client_user: User
) -> None:
    signature = _sign(client_user, _publish(treatment))
    with pytest.raises(ConsentSignature.DoesNotExist):
        consent_withdraw(client=other_client_user, signature_id=signature.pk)
    assert ConsentSignature.objects.get(pk=signature.pk).is_active


def test_only_a_material_change_asks_for_a_new_signature(
    treatment: ConsentDocument, client_user: User
) -> None:
    _sign(client_user, _publish(treatment))
    _publish(treatment, "Clearer wording, same meaning.\n", material=False)
    (status,) = consent_statuses(client_user)
    assert (status.state, status.blocks) == ("updated", False)
    _publish(treatment, "A new fee rule.\n", material=True)
    (status,) = consent_statuses(client_user)
    assert (status.state, status.blocks) == ("resign", True)


def test_an_optional_document_never_blocks(client_user: User) -> None:
    optional = ConsentDocument.objects.create(kind="communication", title="Contact",
                                              requirement=Requirement.OPTIONAL)
    _publish(optional)
    (status,) = consent_statuses(client_user)
    assert (status.state, status.blocks) == ("outstanding", False)


def test_the_shipped_documents_install_once_and_publish_for_the_demo(client_user: User) -> None:
    from consents.defaults import install_default_documents

    fill_practice_settings()
    assert install_default_documents(publish=True) == 10
    assert install_default_documents(publish=True) == 0
    statuses = consent_statuses(client_user)
    assert statuses[0].document.kind == "electronic_signatures"
    assert all(status.current is not None and status.current.number == 1
               for status in statuses)
    assert {s.document.kind for s in statuses if s.blocks} >= {
        "electronic_signatures", "treatment", "privacy_notice"}
