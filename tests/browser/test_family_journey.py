"""A family under joint custody: each parent confirms their authority and signs for their
young child; the consent says "waiting for another guardian" until the second parent has
signed; a teenager's private answers reach neither parent."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clients.cases import case_create, case_participant_invite, child_add, guardian_link
from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ConsentSignature, DocumentKind
from consents.services import AGREEMENT_STATEMENT, version_publish
from intake.models import Intake
from intake.services import intake_start, intake_submit
from portal.models import Case, User
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import ServerActivity, field, sign_in
from tests.factories import fill_practice_settings
from tests.helpers import client_account
from tests.intake_data import (
    PRIVATE_CANARY,
    SHARED_CANARY,
    adolescent_answers_by_section,
    save_page,
)

pytestmark = pytest.mark.browser


def _family(admin: User) -> tuple[Case, User, User, User]:
    """Mum and dad with joint legal custody of Milo (6, no account) and Teo (14, his own
    account, whose intake is sent); the treatment consent is published."""
    fill_practice_settings()
    install_default_documents(publish=False)
    treatment = ConsentDocument.objects.get(kind=DocumentKind.TREATMENT)
    version_publish(version=treatment.versions.get(), actor=None)
    case = case_create(kind="family", created_by=admin)
    mum, dad = client_account("mum@example.com"), client_account("dad@example.com")
    teo = client_account("teo@example.com")
    today = timezone.localdate()
    places = [case_participant_invite(case=case, email=p.email, role="adult", actor=admin)
              for p in (mum, dad)]
    milo = child_add(case=case, legal_name="Milo Example", actor=admin,
                     date_of_birth=today.replace(year=today.year - 6, day=1))
    teen = case_participant_invite(case=case, email=teo.email, role="adolescent",
                                   actor=admin,
                                   date_of_birth=today.replace(year=today.year - 14, day=1))
    for place, word in zip(places, ("Mother", "Father"), strict=True):
        for minor in (milo, teen):
            guardian_link(case=case, guardian=place, minor=minor, relationship=word,
                          legal_authority="Joint legal custody", signs_for_child=True,
                          actor=admin)
    draft = intake_start(client=teo, case=case)
    for section, posted in adolescent_answers_by_section().items():
        draft = save_page(draft, section, posted, teo)
    intake_submit(intake_id=draft.pk, client=teo, revision=draft.revision)
    return case, mum, dad, teo


def _confirm_and_sign_for_milo(page: Page) -> None:
    page.goto("/consents/")
    expect(page.get_by_role("heading", name="Signing for your children")).to_be_visible()
    first = page.locator("section.ward").first
    first.get_by_role("link", name="Confirm your authority as a guardian").click()
    expect(page.get_by_text("Joint legal custody")).to_be_visible()
    assert_accessible(page, context="a guardian's confirmation page")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Tick the box to confirm")).to_be_visible()
    page.get_by_label(re.compile("I confirm that what is recorded is true")).check()
    page.get_by_role("button", name="Confirm").click()
    page.goto("/consents/")
    ward = page.locator("section.ward").first
    ward.get_by_role("link", name=re.compile("Read and sign for your child")).click()
    expect(page.get_by_role("heading", name="Sign for your child")).to_be_visible()
    assert_accessible(page, context="signing for a child")
    field(page, "Your full name").fill("Pat Example")
    page.get_by_label(AGREEMENT_STATEMENT).check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_text("Your signature for your child is saved")).to_be_visible()


def test_both_guardians_sign_for_a_child_and_a_teenagers_private_words_stay_his(
    open_page: Callable[..., Page], admin_user: User, server_activity: ServerActivity,
) -> None:
    case, mum, dad, teo = _family(admin_user)
    teos = Intake.objects.get(client=teo)

    mums = open_page("phone")
    sign_in(mums, mum)
    _confirm_and_sign_for_milo(mums)
    mums.goto("/consents/")
    milo = mums.locator("section.ward").first
    expect(milo.get_by_text("Waiting for another guardian")).to_be_visible()
    assert_accessible(mums, context="a guardian's consents, waiting for the other parent")

    dads = open_page("phone")
    sign_in(dads, dad)
    _confirm_and_sign_for_milo(dads)
    assert server_activity.wait_until_quiet()
    mums.reload()
    expect(mums.locator("section.ward").first.get_by_text("Waiting for another guardian")
           ).to_have_count(0)
    signed = ConsentSignature.objects.filter(on_behalf_of__isnull=False)
    assert {s.client_id for s in signed} == {mum.pk, dad.pk}

    # Teo's shared answers reach his parents; his private ones reach neither.
    for page in (mums, dads):
        page.goto(f"/intake/case/{case.pk}/shared/")
        expect(page.get_by_text(SHARED_CANARY)).to_be_visible()
        assert PRIVATE_CANARY not in page.content()
        assert_accessible(page, context="a young person's shared answers, for a guardian")
        for copy in (f"/intake/{teos.pk}/", f"/intake/{teos.pk}/copy.pdf",
                     f"/intake/{teos.pk}/questionnaire-response.json"):
            response = page.request.get(copy)
            assert response.status == 404, copy
            assert PRIVATE_CANARY.encode() not in response.body()
