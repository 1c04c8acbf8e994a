"""A release of a couple's joint record, signed by both partners (issue 17): the admin
asks, the first partner fills it in, the other reads exactly that and signs; it counts
only when both have; either withdrawing withdraws it and tells the other; each partner's
copy is under their own key, and a partner sees nothing of the other's but what they both
signed."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from consents.defaults import install_default_documents
from consents.exports.pdf import signature_pdf
from consents.models import ConsentDocument, ConsentVersion, ReleaseAuthorization, SignerSet
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.crypto.envelope import parse
from portal.crypto.keystore import DataKey
from portal.models import Case, User
from portal.roles import Role
from tests.factories import UserFactory, couple_case, family_with_child, fill_practice_settings
from tests.helpers import delivered_mail, mail_body, pdf_text, published_version, signed_in

pytestmark = pytest.mark.django_db

DETAILS = {
    "information": "Dates of our joint sessions", "discloser": "Our practice",
    "recipient": "Dr Canary Recipient", "purpose": "At our request",
    "expires_on": "2031-06-30", "expiry_event": "",
}


@pytest.fixture
def documents() -> None:
    fill_practice_settings()
    install_default_documents(publish=True)


@pytest.fixture
def partners(db: None) -> tuple[User, User]:
    return (UserFactory(role=Role.CLIENT, email="alex@example.com"),
            UserFactory(role=Role.CLIENT, email="jordan@example.com"))


@pytest.fixture
def couple(documents: None, admin_user: User, partners: tuple[User, User]) -> Case:
    return couple_case(admin_user, *partners)


def _release() -> ConsentVersion:
    return published_version(ConsentDocument.objects.get(kind="release_authorization"))


def _ask(admin: Client, case: Case) -> SignerSet:
    response = admin.post(reverse("consent_joint_release", args=[case.pk]))
    assert response.status_code == HTTPStatus.FOUND
    return SignerSet.objects.get(case=case)


def _sign(http: Client, signer_set: SignerSet, name: str, **details: str) -> None:
    page = http.get(reverse("consent_joint_sign", args=[signer_set.pk]))
    assert page.status_code == HTTPStatus.OK
    submission = page.context["form"]["submission"].value()
    response = http.post(reverse("consent_joint_sign", args=[signer_set.pk]), {
        "typed_name": name, "agreed": "on", "sha256": _release().sha256,
        "submission": str(submission), **details})
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]


def test_both_partners_sign_the_same_release_and_it_counts_only_then(
    couple: Case, admin_user: User, partners: tuple[User, User]
) -> None:
    alex, jordan = partners
    admin = signed_in(admin_user)
    delivered_mail()
    mail.outbox.clear()
    signer_set = _ask(admin, couple)
    # A second click finds the same request and emails nobody again.
    _ask(admin, couple)
    emails = delivered_mail()
    assert sorted(m.to[0] for m in emails) == [alex.email, jordan.email]
    for email in emails:
        assert "release" not in mail_body(email).lower()

    first, second = signed_in(alex), signed_in(jordan)
    _sign(first, signer_set, "Alex Example", **DETAILS)
    assert "Waiting for your partner" in first.get(reverse("consent_list")).content.decode()
    assert "Waiting for your signature" in second.get(reverse("consent_list")).content.decode()
    assert "1 of 2" in admin.get(reverse("consent_joint_release",
                                         args=[couple.pk])).content.decode()
    signer_set.refresh_from_db()
    assert signer_set.completed_at is None

    # The second partner reads exactly what the first stated (an audited read) and signs.
    page = second.get(reverse("consent_joint_sign", args=[signer_set.pk])).content.decode()
    assert "Dr Canary Recipient" in page and "Your partner has filled in" in page
    read = AuditEvent.objects.get(action=Action.CONSENT_JOINT_DETAILS_READ)
    assert (read.actor_id, read.subject_id) == (jordan.pk, alex.pk)
    _sign(second, signer_set, "Jordan Example", recipient="Someone else entirely")
    signer_set.refresh_from_db()
    assert signer_set.is_complete
    theirs = ReleaseAuthorization.objects.get(client=jordan)
    assert theirs.recipient == "Dr Canary Recipient"  # the same details, not what was posted
    assert "Signed by both of you" in first.get(reverse("consent_list")).content.decode()


def test_each_partners_copy_is_under_their_own_key(
    couple: Case, admin_user: User, partners: tuple[User, User]
) -> None:
    alex, jordan = partners
    signer_set = _ask(signed_in(admin_user), couple)
    _sign(signed_in(alex), signer_set, "Alex Example", **DETAILS)
    _sign(signed_in(jordan), signer_set, "Jordan Example")
    for partner in (alex, jordan):
        row = ReleaseAuthorization.objects.get(client=partner)
        with connection.cursor() as cursor:
            cursor.execute("SELECT recipient FROM consents_releaseauthorization WHERE id = %s",
                           [row.pk.hex if connection.vendor == "sqlite" else row.pk])
            [raw] = cursor.fetchone()
        assert b"Canary" not in bytes(raw)
        assert DataKey.objects.get(pk=parse(raw).key_id).owner_id == partner.pk


def test_a_partners_pdf_shows_the_others_typed_name_and_time_and_nothing_else(
    couple: Case, admin_user: User, partners: tuple[User, User]
) -> None:
    alex, jordan = partners
    signer_set = _ask(signed_in(admin_user), couple)
    first = Client(HTTP_USER_AGENT="Alex-Canary-Browser/1.0", REMOTE_ADDR="203.0.113.77")
    from tests.helpers import sign_in

    sign_in(first, alex)
    _sign(first, signer_set, "Alex Example", **DETAILS)
    _sign(signed_in(jordan), signer_set, "Jordan Example")
    mine = signer_set.signatures.get(client=jordan)
    text = " ".join(pdf_text(signature_pdf(mine, fonts=None, compress=False),
                             unicode_font=False).split())
    assert "signed by Alex Example" in text and "signed by Jordan Example" in text
    assert "Alex-Canary-Browser" not in text and "203.0.113.77" not in text


def test_either_partner_withdrawing_withdraws_it_for_both_and_tells_the_other(
    couple: Case, admin_user: User, partners: tuple[User, User]
) -> None:
    alex, jordan = partners
    signer_set = _ask(signed_in(admin_user), couple)
    first, second = signed_in(alex), signed_in(jordan)
    _sign(first, signer_set, "Alex Example", **DETAILS)
    _sign(second, signer_set, "Jordan Example")
    delivered_mail()
    mail.outbox.clear()
    mine = signer_set.signatures.get(client=jordan)
    second.post(reverse("consent_withdraw", args=[mine.pk]), {"reason": "Changed our plans"})
    signer_set.refresh_from_db()
    assert signer_set.withdrawn_by == jordan and not signer_set.is_complete
    [email] = delivered_mail()
    assert email.to == [alex.email]
    assert "Changed our plans" not in mail_body(email)
    assert "Withdrawn" in first.get(reverse("consent_list")).content.decode()


def test_only_the_partners_asked_open_the_joint_release(
    couple: Case, admin_user: User, partners: tuple[User, User], other_client_user: User,
    clinician_user: User,
) -> None:
    alex, jordan = partners
    admin, clinician = signed_in(admin_user), signed_in(clinician_user)
    signer_set = _ask(admin, couple)
    _sign(signed_in(alex), signer_set, "Alex Example", **DETAILS)
    url = reverse("consent_joint_sign", args=[signer_set.pk])
    for http in (signed_in(other_client_user), clinician, admin):
        assert http.get(url).status_code == HTTPStatus.NOT_FOUND
        assert http.post(url, {"typed_name": "X Y", "agreed": "on"}).status_code == \
            HTTPStatus.NOT_FOUND
    # The other partner never reaches the first one's signature itself.
    alex_signature = signer_set.signatures.get(client=alex)
    other = signed_in(jordan)
    for name in ("consent_signed", "consent_withdraw", "consent_signature_pdf"):
        assert other.get(reverse(name, args=[alex_signature.pk])).status_code == \
            HTTPStatus.NOT_FOUND, name
    # Nor does a clinician reach the admin's page.
    assert clinician.get(reverse("consent_joint_release", args=[couple.pk])).status_code == \
        HTTPStatus.NOT_FOUND


def test_a_family_case_has_no_joint_release_to_ask_for(
    documents: None, admin_user: User, partners: tuple[User, User]
) -> None:
    case, _child = family_with_child(admin_user, *partners)
    response = signed_in(admin_user).post(reverse("consent_joint_release", args=[case.pk]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Only a couple case" in response.content.decode()
    assert not SignerSet.objects.exists()
