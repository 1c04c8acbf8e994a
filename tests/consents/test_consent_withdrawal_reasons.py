"""The reason a client gives when withdrawing a consent (or revoking an authorization) is
shown back to them, and to the practice admins on the client's consent timeline, where
opening it is recorded; it is stored encrypted under the client's key, shown as text, never
given to anyone else, and unreadable once the client is erased."""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from clients.services import client_erase
from consents.authorizations import AuthorizationDetails, authorization_sign
from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ConsentSignature, ConsentVersion
from consents.services import consent_sign, consent_withdraw
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.verify import verify_chain
from portal.crypto.owners import OWNER_CLIENT
from portal.models import CareAssignment, DataKey, User
from portal.roles import Role
from tests.factories import UserFactory, fill_practice_settings
from tests.helpers import published_version, sign_in, signed_in

pytestmark = pytest.mark.django_db

REASON = "I would rather talk about this in person first"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)> & \"quoted\""
ESCAPED_HOSTILE = ("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; "
                   "&amp; &quot;quoted&quot;")


@pytest.fixture(autouse=True)
def documents() -> None:
    fill_practice_settings()
    install_default_documents(publish=True)


def _version(kind: str) -> ConsentVersion:
    return published_version(ConsentDocument.objects.get(kind=kind))


def _signed(client: User, kind: str = "telehealth") -> ConsentSignature:
    version = _version(kind)
    return consent_sign(client=client, version_id=version.pk, expected_sha256=version.sha256,
                        typed_name="Robin Example", agreed=True)


def _withdrawn(client: User, reason: str = REASON, kind: str = "telehealth") -> ConsentSignature:
    signature = _signed(client, kind)
    consent_withdraw(client=client, signature_id=signature.pk, reason=reason)
    return ConsentSignature.objects.get(pk=signature.pk)



def _timeline_url(client: User) -> str:
    return reverse("consent_client_timeline", args=[client.pk])


def _raw_reason(signature: ConsentSignature) -> bytes | None:
    """The reason's column as someone with database access reads it, around the model."""
    pk = ConsentSignature._meta.pk.get_db_prep_value(signature.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT withdrawal_reason FROM consents_consentsignature WHERE id = %s",
                       [pk])
        (value,) = cursor.fetchone()
    return None if value is None else bytes(value)


def _viewed() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.CONSENT_VIEWED).order_by("seq"))


# The client -------------------------------------------------------------------------------


def test_the_client_sees_their_own_reason_where_the_withdrawal_is_listed(
    as_client: Client, client_user: User
) -> None:
    signature = _signed(client_user)
    response = as_client.post(reverse("consent_withdraw", args=[signature.id]),
                              {"reason": REASON})
    assert response.status_code == HTTPStatus.FOUND

    for url in (reverse("consent_list"), reverse("consent_signed", args=[signature.id]),
                reverse("consent_withdraw", args=[signature.id])):
        html = as_client.get(url).content.decode()
        assert f"Your reason: {REASON}" in html, url
    # Reading their own record is not an opening by someone else.
    assert not _viewed()


def test_no_reason_given_shows_no_reason_line(as_client: Client, client_user: User) -> None:
    signature = _withdrawn(client_user, reason="")
    assert signature.withdrawal_reason is None
    for url in (reverse("consent_list"), reverse("consent_signed", args=[signature.id])):
        html = as_client.get(url).content.decode()
        assert "You withdrew this" in html
        assert "Your reason" not in html


def test_a_revoked_authorization_shows_the_clients_reason(
    as_client: Client, client_user: User
) -> None:
    version = _version("release_authorization")
    signature = authorization_sign(
        client=client_user, version_id=version.pk, expected_sha256=version.sha256,
        typed_name="Robin Example", agreed=True, submission=uuid.uuid4(),
        details=AuthorizationDetails(
            information="Dates of my sessions", discloser="Riverside Counselling",
            recipient="Dr Canary Recipient", purpose="At my request",
            expiry_event="when my treatment ends", expires_on=None),
    )
    consent_withdraw(client=client_user, signature_id=signature.pk, reason="Changed doctors")

    html = as_client.get(reverse("consent_list")).content.decode()
    assert "You revoked this on" in html
    assert "Your reason: Changed doctors" in html


def test_a_reason_with_markup_is_shown_as_text_to_the_client(
    as_client: Client, client_user: User
) -> None:
    signature = _withdrawn(client_user, reason=HOSTILE)
    for url in (reverse("consent_list"), reverse("consent_signed", args=[signature.id])):
        html = as_client.get(url).content.decode()
        assert ESCAPED_HOSTILE in html
        assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_another_client_never_sees_the_reason(
    client: Client, client_user: User, other_client_user: User
) -> None:
    signature = _withdrawn(client_user)
    sign_in(client, other_client_user)
    assert client.get(reverse("consent_signed", args=[signature.id])).status_code == (
        HTTPStatus.NOT_FOUND)
    assert REASON not in client.get(reverse("consent_list")).content.decode()


# Staff --------------------------------------------------------------------------------------


def test_a_practice_admin_sees_the_reason_beside_the_withdrawal_and_it_is_recorded(
    client_user: User, admin_user: User
) -> None:
    signature = _withdrawn(client_user)

    response = signed_in(admin_user).get(_timeline_url(client_user))

    assert response.status_code == HTTPStatus.OK
    withdrew = next(e for e in response.context["entries"] if e.what == "Withdrew")
    assert (withdrew.reference, withdrew.reason) == (signature.reference, REASON)
    html = response.content.decode()
    row = html[html.index(">Withdrew<"):]
    assert REASON in row[:row.index("</tr>")]
    # Showing it decrypted it: one opening, ids only, the client as subject.
    (event,) = _viewed()
    assert (event.actor_id, event.subject_id, event.detail) == (
        admin_user.pk, client_user.pk, {})
    for stored in AuditEvent.objects.values_list():
        assert REASON not in str(stored)
    assert verify_chain().intact


def test_a_timeline_without_any_reason_decrypts_and_records_nothing(
    client_user: User, admin_user: User
) -> None:
    _withdrawn(client_user, reason="")
    html = signed_in(admin_user).get(_timeline_url(client_user)).content.decode()
    assert "None given" in html
    assert not _viewed()


def test_a_reason_with_markup_is_inert_on_the_timeline(
    client_user: User, admin_user: User
) -> None:
    _withdrawn(client_user, reason=HOSTILE)
    html = signed_in(admin_user).get(_timeline_url(client_user)).content.decode()
    assert ESCAPED_HOSTILE in html
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_clinicians_get_404_on_the_timeline_and_nothing_is_recorded(
    client_user: User, clinician_user: User
) -> None:
    """The timeline is a practice admin's page: a stranger clinician gets the same 404 as
    a clinician on the client's care team (who sees the consent standing on the client's
    record instead)."""
    _withdrawn(client_user)
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    stranger = UserFactory(role=Role.CLINICIAN, email="stranger@example.com", totp=True)
    for user in (stranger, clinician_user):
        response = signed_in(user).get(_timeline_url(client_user))
        assert response.status_code == HTTPStatus.NOT_FOUND, user.email
        assert REASON not in response.content.decode()
    assert not _viewed()


def test_the_reason_is_ciphertext_under_the_clients_key(client_user: User) -> None:
    signature = _withdrawn(client_user)
    raw = _raw_reason(signature)
    assert raw is not None and raw[0] == 0x01  # the envelope's version byte
    assert REASON.encode() not in raw and b"in person" not in raw
    key_id = raw[2:2 + raw[1]].decode()
    assert DataKey.objects.filter(owner_kind=OWNER_CLIENT, owner_id=client_user.pk,
                                  id=uuid.UUID(hex=key_id)).exists()


def test_an_erased_clients_reasons_cannot_be_read_and_the_timeline_says_so(
    client_user: User, admin_user: User
) -> None:
    _withdrawn(client_user)
    client_erase(user=client_user, actor=admin_user)

    response = signed_in(admin_user).get(_timeline_url(client_user))

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Can no longer be read" in html
    assert "the reasons they gave can no longer be read" in html
    assert REASON not in html
    assert not _viewed()  # nothing was decrypted
