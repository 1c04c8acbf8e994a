"""Consents for couples and families (issue 17): the secrets policy each adult of a case
signs before their intake in it, an adolescent's assent, guardians signing for a child
(every guardian the practice requires, attested first), a consent that waits for the
second guardian, and withdrawal by any signer telling the others.

Services and selectors here; the pages in ``test_consent_case_pages.py``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consents.defaults import install_default_documents
from consents.exports.pdf import signature_pdf
from consents.models import ConsentDocument, ConsentSignature, ConsentVersion, SignerSet
from consents.register import build_register
from consents.selectors import blocking_before_intake, intake_prerequisites
from consents.services import SigningError, consent_sign, consent_statuses, consent_withdraw
from consents.signer_sets import NotAGuardian, consent_sign_for_child
from portal.audit.actions import Action
from portal.audit.context import RequestOrigin, request_origin
from portal.audit.models import AuditEvent
from portal.crypto.envelope import parse
from portal.crypto.keystore import DataKey
from portal.models import PracticeSettings, User
from portal.roles import Role
from portal.seams import before_intake
from tests.factories import (
    UserFactory,
    adolescent_in_family,
    couple_case,
    family_with_child,
    fill_practice_settings,
)
from tests.helpers import delivered_mail, mail_body, pdf_text, published_version

pytestmark = pytest.mark.django_db

GENERAL_BEFORE_INTAKE = ("electronic_signatures", "treatment", "privacy_notice")
NO_SECRETS = "No-secrets policy for couples and families"
LIMITED_SECRETS = "Limited-secrets policy for couples and families"
ASSENT = "Assent to counselling for young people"


@pytest.fixture
def documents() -> None:
    fill_practice_settings()
    install_default_documents(publish=True)


def _version(kind: str) -> ConsentVersion:
    return published_version(ConsentDocument.objects.get(kind=kind))


def _sign(person: User, kind: str, name: str = "Robin Example") -> ConsentSignature:
    version = _version(kind)
    return consent_sign(client=person, version_id=version.pk, expected_sha256=version.sha256,
                        typed_name=name, agreed=True)


def _sign_for(guardian: User, child: User, kind: str = "treatment",
              name: str = "Pat Guardian") -> ConsentSignature:
    version = _version(kind)
    return consent_sign_for_child(guardian=guardian, child_id=child.pk, version_id=version.pk,
                                  expected_sha256=version.sha256, typed_name=name,
                                  agreed=True)


def _sign_general(person: User) -> None:
    for kind in GENERAL_BEFORE_INTAKE:
        _sign(person, kind)


def _titles(person: User, case: object = None) -> list[str]:
    return [p.title for p in intake_prerequisites(person, case)]  # type: ignore[arg-type]


def _state(person: User, kind: str) -> str:
    [status] = [s for s in consent_statuses(person) if s.document.kind == kind]
    return status.state


@pytest.fixture
def partners(db: None) -> tuple[User, User]:
    return (UserFactory(role=Role.CLIENT, email="alex@example.com"),
            UserFactory(role=Role.CLIENT, email="jordan@example.com"))


@pytest.fixture
def parents(db: None) -> tuple[User, User]:
    return (UserFactory(role=Role.CLIENT, email="parent.one@example.com"),
            UserFactory(role=Role.CLIENT, email="parent.two@example.com"))


# --- (1) The secrets policy and the assent, through the intake's hook -------------------


def test_an_individual_client_is_never_asked_for_a_case_document(
    documents: None, client_user: User
) -> None:
    kinds = {status.document.kind for status in consent_statuses(client_user)}
    assert not kinds & {"secrets_no_secrets", "secrets_limited_secrets", "adolescent_assent"}
    _sign_general(client_user)
    assert before_intake.ask(client_user) == []


def test_each_partner_signs_the_practice_policy_before_their_intake_in_the_case(
    documents: None, admin_user: User, partners: tuple[User, User]
) -> None:
    alex, jordan = partners
    case = couple_case(admin_user, alex, jordan)
    _sign_general(alex)
    # The practice's policy (no secrets by default), not the other one.
    assert [p.title for p in before_intake.ask(alex, case)] == [NO_SECRETS]
    # Their individual intake, if they have one, is not held up by the case's policy.
    assert before_intake.ask(alex) == []
    _sign(alex, "secrets_no_secrets")
    assert before_intake.ask(alex, case) == []
    # Each adult signs for themself: one partner's signature is not the other's.
    _sign_general(jordan)
    assert _titles(jordan, case) == [NO_SECRETS]
    assert "secrets_limited_secrets" not in {s.document.kind for s in consent_statuses(alex)}


def test_a_case_override_asks_for_the_limited_secrets_policy(
    documents: None, admin_user: User, partners: tuple[User, User]
) -> None:
    alex, jordan = partners
    case = couple_case(admin_user, alex, jordan, secrets_policy="limited_secrets")
    _sign_general(alex)
    assert _titles(alex, case) == [LIMITED_SECRETS]
    # The other policy is not for them at all.
    assert "secrets_no_secrets" not in {s.document.kind for s in consent_statuses(alex)}
    _sign(alex, "secrets_limited_secrets")
    assert _titles(alex, case) == []


def test_the_practice_policy_is_followed_when_the_case_has_none(
    documents: None, admin_user: User, partners: tuple[User, User]
) -> None:
    practice = PracticeSettings.load()
    practice.secrets_policy = "limited_secrets"
    practice.save()
    alex, jordan = partners
    case = couple_case(admin_user, alex, jordan)
    _sign_general(alex)
    assert _titles(alex, case) == [LIMITED_SECRETS]


def test_a_withdrawn_secrets_policy_holds_up_the_case_intake_again(
    documents: None, admin_user: User, partners: tuple[User, User]
) -> None:
    alex, jordan = partners
    case = couple_case(admin_user, alex, jordan)
    _sign_general(alex)
    signature = _sign(alex, "secrets_no_secrets")
    consent_withdraw(client=alex, signature_id=signature.pk)
    assert _titles(alex, case) == [NO_SECRETS]


def test_an_adolescent_signs_an_assent_and_their_guardians_sign_the_rest(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    case, _child = family_with_child(admin_user, one, two)
    teen = adolescent_in_family(admin_user, case, one, two)
    titles = _titles(teen, case)
    assert ASSENT in titles
    assert NO_SECRETS not in titles  # the secrets policy is for the adults
    assert "Informed consent to psychotherapy (signed by your parent or guardian)" in titles
    # The adolescent's own signature is not their guardians' consent.
    with pytest.raises(SigningError, match="parent or guardian signs this document"):
        _sign(teen, "treatment")
    _sign(teen, "adolescent_assent")
    _sign(teen, "electronic_signatures")
    for guardian in (one, two):
        for kind in ("treatment", "privacy_notice"):
            _sign_for(guardian, teen, kind)
    assert _titles(teen, case) == []


def test_the_adults_of_a_family_case_sign_its_policy(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    case, _child = family_with_child(admin_user, one, two, secrets_policy="limited_secrets")
    _sign_general(one)
    assert _titles(one, case) == [LIMITED_SECRETS]


# --- (2) Guardians sign for a child: every required guardian, attested first ------------


def test_a_childs_consent_waits_for_the_second_guardian(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    assert _state(child, "treatment") == "outstanding"
    first = _sign_for(one, child)
    assert _state(child, "treatment") == "waiting"
    register = build_register(client_ids=[child.pk])
    [entry] = [e for e in register.for_client(child.pk) if e.document.kind == "treatment"]
    assert entry.state_label == "Waiting for another guardian"
    assert entry.required and not entry.needs_reminder
    # The first guardian signing twice changes nothing; it still waits.
    assert _sign_for(one, child).pk == first.pk
    assert _state(child, "treatment") == "waiting"
    _sign_for(two, child, name="Sam Guardian")
    assert _state(child, "treatment") == "signed"
    signer_set = SignerSet.objects.get(on_behalf_of=child)
    assert signer_set.is_complete
    assert signer_set.signatures.count() == 2
    assert AuditEvent.objects.filter(action=Action.CONSENT_SET_COMPLETED,
                                     subject_id=child.pk).count() == 1


def test_a_guardians_signature_for_a_child_is_not_their_own_consent(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    _sign_for(one, child)
    _sign_for(two, child)
    assert _state(one, "treatment") == "outstanding"
    assert [s.document.kind for s in blocking_before_intake(one)] == list(GENERAL_BEFORE_INTAKE)


def test_a_guardian_who_has_not_attested_cannot_sign_for_the_child(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two, attested=False)
    with pytest.raises(SigningError, match="confirm that you are their guardian"):
        _sign_for(one, child)
    assert not ConsentSignature.objects.filter(on_behalf_of=child).exists()
    assert not SignerSet.objects.exists()


def test_only_the_guardians_the_practice_requires_sign(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two, signs_for_child=(True, False))
    with pytest.raises(SigningError, match="not asked you to sign"):
        _sign_for(two, child)
    _sign_for(one, child)
    # One guardian required: their signature is the whole consent.
    assert _state(child, "treatment") == "signed"


def test_someone_who_is_not_the_childs_guardian_cannot_sign_for_them(
    documents: None, admin_user: User, parents: tuple[User, User], other_client_user: User
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    for stranger, child_id in ((other_client_user, child.pk), (one, one.pk),
                               (one, "not-an-id")):
        with pytest.raises(NotAGuardian):
            consent_sign_for_child(guardian=stranger, child_id=child_id,
                                   version_id=_version("treatment").pk,
                                   expected_sha256=_version("treatment").sha256,
                                   typed_name="Someone Else", agreed=True)


def test_guardians_do_not_sign_the_childs_electronic_records_consent(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    with pytest.raises(SigningError, match="not one you sign for your child"):
        _sign_for(one, child, "electronic_signatures")
    kinds = {status.document.kind for status in consent_statuses(child)}
    assert "electronic_signatures" not in kinds and "treatment" in kinds


def test_a_guardians_evidence_is_sealed_under_the_guardians_key_not_the_childs(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    signature = _sign_for(one, child, name="Pat Canary-Guardian")
    with connection.cursor() as cursor:
        cursor.execute("SELECT typed_name FROM consents_consentsignature WHERE id = %s",
                       [signature.pk.hex if connection.vendor == "sqlite" else signature.pk])
        [raw] = cursor.fetchone()
    assert b"Canary-Guardian" not in bytes(raw)
    key = DataKey.objects.get(pk=parse(raw).key_id)
    assert key.owner_id == one.pk  # the signer's key, not the child's
    assert key.owner_id != child.pk
    assert ConsentSignature.objects.get(pk=signature.pk).typed_name == "Pat Canary-Guardian"


# --- (3) Withdrawal by any signer, and the others told -----------------------------------


def test_any_guardian_withdrawing_withdraws_the_childs_consent_and_tells_the_other(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    _sign_for(one, child)
    second = _sign_for(two, child, name="Sam Guardian")
    delivered_mail()  # the case's own emails
    from django.core import mail

    mail.outbox.clear()
    consent_withdraw(client=two, signature_id=second.pk, reason="We disagree")
    assert _state(child, "treatment") == "withdrawn"
    signer_set = SignerSet.objects.get(on_behalf_of=child)
    assert signer_set.withdrawn_by == two and not signer_set.is_complete
    [email] = delivered_mail()
    assert email.to == [one.email]
    body = mail_body(email) + str(email.subject)
    for leak in ("Sam", "psychotherapy", "treatment", "We disagree", "child", two.email):
        assert leak not in body
    event = AuditEvent.objects.get(action=Action.CONSENT_SET_WITHDRAWN)
    assert (event.subject_id, event.detail) == (child.pk, {"told": 1})
    # Signing again starts a new consent, which every guardian signs again.
    _sign_for(two, child, name="Sam Guardian")
    assert _state(child, "treatment") == "waiting"
    _sign_for(one, child)
    assert _state(child, "treatment") == "signed"


def test_withdrawing_before_the_second_guardian_signed_stops_the_wait(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    first = _sign_for(one, child)
    consent_withdraw(client=one, signature_id=first.pk)
    assert _state(child, "treatment") == "outstanding"
    [email] = [m for m in delivered_mail() if "update about a document" in str(m.subject)]
    assert email.to == [two.email]


def test_a_partner_cannot_withdraw_the_other_partners_signature(
    documents: None, admin_user: User, partners: tuple[User, User]
) -> None:
    alex, jordan = partners
    couple_case(admin_user, alex, jordan)
    signature = _sign(alex, "secrets_no_secrets")
    with pytest.raises(ConsentSignature.DoesNotExist):
        consent_withdraw(client=jordan, signature_id=signature.pk)


# --- (5) The PDF copy of a consent several people signed ---------------------------------


def test_a_guardians_pdf_lists_every_signature_but_not_the_others_devices(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    with request_origin(RequestOrigin("a" * 32, "203.0.113.1", "First-Browser/1.0")):
        mine = _sign_for(one, child, name="Pat Guardian")
    waiting = " ".join(pdf_text(signature_pdf(mine, fonts=None, compress=False),
                                unicode_font=False).split())
    assert "Waiting for another signature" in waiting
    assert "Guardian: not signed yet" in waiting
    with request_origin(RequestOrigin("b" * 32, "198.51.100.7", "Second-Browser/2.0")):
        theirs = _sign_for(two, child, name="Sam Guardian")
    text = " ".join(pdf_text(signature_pdf(ConsentSignature.objects.get(pk=mine.pk),
                                           fonts=None, compress=False),
                             unicode_font=False).split())
    assert "Signed by everyone needed" in text
    assert "signed by Pat Guardian" in text and "signed by Sam Guardian" in text
    assert theirs.reference in text
    for device in ("198.51.100.7", "Second-Browser", "203.0.113.1", "First-Browser"):
        assert device not in text
    assert "Sam Child" not in text  # the child is never named on the copy


def test_the_staff_badge_says_a_childs_consent_waits_rather_than_all_signed(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    from consents.api import consent_badges_for

    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    for kind in ("treatment", "privacy_notice", "telehealth", "fees"):
        _sign_for(one, child, kind)
    texts = [badge.text for badge in consent_badges_for([child.pk])[child.pk]]
    assert texts == ["4 waiting for another signature"]
    for kind in ("treatment", "privacy_notice", "telehealth", "fees"):
        _sign_for(two, child, kind)
    assert [b.text for b in consent_badges_for([child.pk])[child.pk]] == ["All required signed"]


def test_the_intake_gate_with_everything_signed_reads_no_version_or_signature_in_full(
    documents: None, client_user: User
) -> None:
    """Every page of the intake asks the gate: with nothing left to sign it answers from
    the documents' facts alone (cases, documents, versions' and signatures' facts, guardians'
    signer sets), never loading a version's text or a signature row; with something left,
    that document comes back whole."""
    assert [s.document.kind for s in blocking_before_intake(client_user)] == list(
        GENERAL_BEFORE_INTAKE)
    _sign_general(client_user)
    with CaptureQueriesContext(connection) as seen:
        assert blocking_before_intake(client_user) == []
    assert len(seen.captured_queries) == 5
    assert not any('"body"' in query["sql"] for query in seen.captured_queries)
    consent_withdraw(client=client_user, signature_id=ConsentSignature.objects.filter(
        client=client_user, version__document__kind="treatment").get().pk)
    [left] = blocking_before_intake(client_user)
    assert left.document.kind == "treatment" and left.state == "withdrawn"
    assert left.current is not None and left.current.body
