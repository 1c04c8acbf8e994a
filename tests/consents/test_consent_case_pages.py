"""Couples and families on the consent pages, through the real views (issue 17): a
guardian signs for a child under joint custody and the consent reads "Waiting for another
guardian" on their page and on the staff register until the other guardian signs; who
may open a child's signing page; what a young person sees of what their guardians sign;
withdrawal of a shared consent from the page."""

from __future__ import annotations

import json
import re
import uuid
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ConsentVersion, SignerSet
from portal.models import User
from portal.roles import Role
from tests.factories import (
    UserFactory,
    adolescent_in_family,
    family_with_child,
    fill_practice_settings,
)
from tests.helpers import body_bytes, delivered_mail, published_version, signed_in

pytestmark = pytest.mark.django_db

WAITING = "Waiting for another guardian"


@pytest.fixture
def documents() -> None:
    fill_practice_settings()
    install_default_documents(publish=True)


@pytest.fixture
def parents(db: None) -> tuple[User, User]:
    return (UserFactory(role=Role.CLIENT, email="parent.one@example.com"),
            UserFactory(role=Role.CLIENT, email="parent.two@example.com"))


def _version(kind: str) -> ConsentVersion:
    return published_version(ConsentDocument.objects.get(kind=kind))


def _sign_url(child: User, version: ConsentVersion) -> str:
    return reverse("consent_sign_for_child", args=[child.pk, version.pk])


def _sign_for_child(http: Client, child: User, kind: str = "treatment",
                    name: str = "Pat Guardian") -> str:
    version = _version(kind)
    page = http.get(_sign_url(child, version))
    assert page.status_code == HTTPStatus.OK
    assert "Sign for your child" in page.content.decode()
    response = http.post(_sign_url(child, version), {
        "typed_name": name, "agreed": "on", "sha256": version.sha256}, follow=True)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def _ward_state(page: str, kind: str) -> str:
    """The state words of one document on a guardian's "Signing for your children"."""
    block = re.search(rf'id="ward-1-{kind}">(.*?)</li>', page, re.S)
    assert block is not None, kind
    badge = re.search(r'<span class="badge[^"]*">([^<]+)</span>', block.group(1))
    assert badge is not None
    return badge.group(1)


def test_a_guardian_signs_for_a_child_under_joint_custody_and_it_waits_for_the_other(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    first, second = signed_in(one), signed_in(two)
    page = first.get(reverse("consent_list")).content.decode()
    assert "Signing for your children" in page
    assert _ward_state(page, "treatment") == "Not signed"

    page = _sign_for_child(first, child)
    assert "Your signature for your child is saved" in page
    assert _ward_state(page, "treatment") == WAITING
    # The other guardian sees it waiting for them; the staff register waits too.
    other_page = second.get(reverse("consent_list")).content.decode()
    assert _ward_state(other_page, "treatment") == "Waiting for your signature"
    admin = signed_in(admin_user)
    timeline = admin.get(reverse("consent_client_timeline", args=[child.pk])).content.decode()
    assert WAITING in timeline
    outstanding = admin.get(reverse("consent_outstanding"), {"state": "waiting"})
    assert outstanding.status_code == HTTPStatus.OK

    page = _sign_for_child(second, child, name="Sam Guardian")
    assert _ward_state(page, "treatment") == "Signed"
    assert _ward_state(first.get(reverse("consent_list")).content.decode(),
                       "treatment") == "Signed"
    timeline = admin.get(reverse("consent_client_timeline", args=[child.pk])).content.decode()
    assert WAITING not in timeline


def test_nobody_but_the_childs_guardian_opens_the_signing_page(
    documents: None, admin_user: User, parents: tuple[User, User], other_client_user: User,
    clinician_user: User,
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    version = _version("treatment")
    data = {"typed_name": "Someone Else", "agreed": "on", "sha256": version.sha256}
    for person in (other_client_user, clinician_user, admin_user):
        http = signed_in(person)
        assert http.get(_sign_url(child, version)).status_code == HTTPStatus.NOT_FOUND
        assert http.post(_sign_url(child, version), data).status_code == HTTPStatus.NOT_FOUND
    # A guardian cannot use the page for someone who is not their child (themself, the
    # other guardian, a made-up id), nor for a document guardians do not sign for a child.
    guardian = signed_in(one)
    for target in (one.pk, two.pk, uuid.uuid4()):
        response = guardian.get(reverse("consent_sign_for_child", args=[target, version.pk]))
        assert response.status_code == HTTPStatus.NOT_FOUND
    assert guardian.get(_sign_url(child, _version("electronic_signatures"))).status_code == \
        HTTPStatus.NOT_FOUND
    anonymous = Client().get(_sign_url(child, version))
    assert anonymous.status_code == HTTPStatus.FOUND
    assert anonymous["Location"].startswith(reverse("account_login"))
    assert not SignerSet.objects.exists()


def test_a_guardian_who_has_not_attested_is_told_to_confirm_first(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two, attested=False)
    http = signed_in(one)
    page = http.get(_sign_url(child, _version("treatment"))).content.decode()
    assert "please confirm that you are their guardian" in page
    assert 'name="typed_name"' not in page
    version = _version("treatment")
    refused = http.post(_sign_url(child, version), {
        "typed_name": "Pat Guardian", "agreed": "on", "sha256": version.sha256})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert not SignerSet.objects.exists()
    listing = http.get(reverse("consent_list")).content.decode()
    assert "Read and sign for your child" not in listing


def test_a_young_person_sees_what_their_guardians_sign_without_a_sign_button(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    case, _child = family_with_child(admin_user, one, two)
    teen = adolescent_in_family(admin_user, case, one, two)
    _sign_for_child(signed_in(one), teen)
    page = signed_in(teen).get(reverse("consent_list")).content.decode()
    treatment = re.search(r'id="consent-treatment"(.*?)</section>', page, re.S)
    assert treatment is not None
    assert "Waiting for another guardian to sign it for you" in treatment.group(1)
    assert "Read and sign" not in treatment.group(1)
    assert 'id="consent-adolescent_assent"' in page
    assert 'id="consent-secrets_no_secrets"' not in page


def test_withdrawing_from_the_page_withdraws_the_shared_consent_and_emails_the_other(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    first = signed_in(one)
    _sign_for_child(first, child)
    _sign_for_child(signed_in(two), child, name="Sam Guardian")
    delivered_mail()
    signature = SignerSet.objects.get(on_behalf_of=child).signatures.get(client=one)
    confirm = first.get(reverse("consent_withdraw", args=[signature.pk])).content.decode()
    assert "withdraws the whole consent" in confirm
    record = first.get(reverse("consent_signed", args=[signature.pk])).content.decode()
    assert "You signed this for your child" in record
    from django.core import mail

    mail.outbox.clear()
    response = first.post(reverse("consent_withdraw", args=[signature.pk]), {"reason": ""})
    assert response.status_code == HTTPStatus.FOUND
    assert [m.to for m in delivered_mail()] == [[two.email]]
    page = signed_in(two).get(reverse("consent_list")).content.decode()
    assert _ward_state(page, "treatment") == "Withdrawn"


# --- (5) The FHIR copy of a consent several people signed --------------------------------


def test_the_fhir_consent_of_a_childs_consent_names_every_guardian_and_the_child(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    from fhir.resources.R4B.consent import Consent as FhirConsent

    one, two = parents
    _case, child = family_with_child(admin_user, one, two)
    first = signed_in(one, reauthenticated=True)
    _sign_for_child(first, child)
    signature = SignerSet.objects.get(on_behalf_of=child).signatures.get(client=one)
    url = reverse("consent_signature_fhir", args=[signature.pk])
    waiting = FhirConsent.model_validate_json(body_bytes(first.get(url)))
    assert waiting.status == "proposed"
    _sign_for_child(signed_in(two), child, name="Sam Guardian")
    body = body_bytes(first.get(url))
    resource = json.loads(body)
    assert FhirConsent.model_validate(resource).status == "active"
    assert resource["patient"] == {"reference": f"Patient/{child.pk}"}
    assert sorted(p["reference"] for p in resource["performer"]) == sorted(
        f"RelatedPerson/{guardian.pk}" for guardian in (one, two))
    for name in (b"Pat Guardian", b"Sam Guardian", b"Sam Child"):
        assert name not in body


def test_the_dashboard_counts_case_documents_only_for_the_people_they_are_for(
    documents: None, admin_user: User, parents: tuple[User, User]
) -> None:
    one, two = parents
    family_with_child(admin_user, one, two)
    response = signed_in(admin_user).get(reverse("consent_dashboard"))
    assert [row[0].document.kind for row in response.context["case_rows"]] == [
        "secrets_no_secrets", "secrets_limited_secrets", "adolescent_assent"]
    assert "secrets_no_secrets" not in {row[0].document.kind
                                        for row in response.context["rows"]}
    by_kind = {row[0].document.kind: row[0] for row in response.context["case_rows"]}
    # The two adults of the family case sign the practice's policy; nobody the other one.
    assert by_kind["secrets_no_secrets"].clients == 2
    assert by_kind["secrets_limited_secrets"].clients == 0
    page = response.content.decode()
    assert "Where the practice&#x27;s 3 active client accounts stand" in page
    assert "Couples and families" in page
