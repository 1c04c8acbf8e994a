"""The whole way in Spanish, on a phone: an admin invites a client in Spanish; the
invitation email, the sign-up, the consents (their Spanish versions), the intake with the
official Spanish PHQ-9 and GAD-7, the review and the PDF copy are all in Spanish. Then the
clinician, reading in English, sees the English questions beside the Spanish answers as
typed, a mark saying the client answered in Spanish, and the same scores."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.mail import EmailMessage
from django.utils import translation
from playwright.sync_api import Page, expect

from consents.defaults import install_default_documents
from consents.models import ConsentSignature, ConsentVersion
from consents.services import AGREEMENT_STATEMENT
from intake.models import Intake, QuestionnaireVersion
from portal.models import CareAssignment, User
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import ServerActivity, field, sign_in
from tests.factories import fill_practice_settings
from tests.helpers import delivered_mail, mail_body, pdf_page_texts

pytestmark = pytest.mark.browser

LINK_PATTERN = re.compile(r"https?://\S+/invitations/[^/\s]+/")
NEW_PASSWORD = "Prado-tranquilo-del-rio-7"
BEFORE_INTAKE = ("electronic_signatures", "treatment", "privacy_notice")
FEELINGS_ITEMS = [f"phq9_{n}" for n in range(1, 10)] + [f"gad7_{n}" for n in range(1, 8)]
WHAT_BRINGS_ME = "Discuto mucho con mi hermana y me cuesta dormir."


def es(text: str, context: str = "") -> str:
    """``text`` as a Spanish reader reads it (our catalog, Django's and allauth's); the
    test fails here if it has no Spanish of its own."""
    with translation.override("es"):
        spanish = (translation.pgettext(context, text) if context
                   else translation.gettext(text))
    assert spanish != text or text in ("No",), f"no Spanish for {text!r}"
    return spanish


def _default_intake() -> QuestionnaireVersion:
    """The default intake as new clients get it: version 2, written in English and Spanish."""
    return QuestionnaireVersion.objects.get(slug="default-intake", version="2")


def _question(question_id: str, language: str) -> str:
    """A question of the default intake as a reader of ``language`` reads it."""
    return _default_intake().questionnaire_in(language).question(question_id).label


def _option(question_id: str, value: object, language: str) -> str:
    question = _default_intake().questionnaire_in(language).question(question_id)
    return next(option.label for option in question.options if option.value == value)


def _next(page: Page) -> None:
    label = es("Next", "go to the next page")
    page.get_by_role("button", name=re.compile(rf"^{re.escape(label)}")).click()


def test_a_client_who_reads_spanish_goes_from_invitation_to_sent_intake_in_spanish(
    open_page: Callable[..., Page], admin_user: User, clinician_user: User,
    mailoutbox: list[EmailMessage], server_activity: ServerActivity,
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True, languages=["en", "es"])

    # The admin, reading English, invites the client in Spanish.
    admin = open_page("desktop")
    sign_in(admin, admin_user)
    admin.goto("/staff/invitations/")
    field(admin, "Client's email address").fill("lucia@example.com")
    admin.get_by_label("Language of the invitation").select_option("es")
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_text("Invitation sent.")).to_be_visible()
    invitation = mail_body(delivered_mail()[0])
    assert es("To create your account, open this link:") in invitation
    link = LINK_PATTERN.search(invitation)
    assert link, invitation

    # The invitation opens the sign-up page in Spanish, on a phone.
    phone = open_page("phone")
    phone.goto(link.group(0))
    expect(phone.locator("html")).to_have_attribute("lang", "es")
    expect(phone.get_by_role("heading", name=es("Create your account"))).to_be_visible()
    assert_accessible(phone, context="the sign-up page in Spanish")
    field(phone, es("Password")).fill(NEW_PASSWORD)
    field(phone, es("Password (again)")).fill(NEW_PASSWORD)
    phone.get_by_role("button", name=es("Create account")).click()
    expect(phone).to_have_url(re.compile(r"/me/$"))
    assert server_activity.wait_until_quiet()
    lucia = User.objects.get(email="lucia@example.com")
    assert lucia.language == "es"
    CareAssignment.objects.create(client=lucia, clinician=clinician_user)
    expect(phone.get_by_role("heading", name=es("Please read and sign"))).to_be_visible()
    assert_accessible(phone, context="the client's home in Spanish")

    # The consents the intake needs: each in its Spanish version.
    for kind in BEFORE_INTAKE:
        version = ConsentVersion.objects.get(document__kind=kind, language="es")
        phone.goto(f"/consents/{version.pk}/sign/")
        expect(phone.get_by_role("heading", name=version.title, level=1)).to_be_visible()
        assert_accessible(phone, context=f"signing {kind} in Spanish")
        field(phone, es("Your full name")).fill("Lucía Mendoza")
        phone.get_by_label(es(AGREEMENT_STATEMENT)).check()
        phone.get_by_role("button", name=es("Sign", "button: sign a document"), exact=True).click()
        expect(phone.get_by_role("heading", name=es("What you signed"))).to_be_visible()
    assert server_activity.wait_until_quiet()
    signed = ConsentSignature.objects.filter(client=lucia).select_related("version")
    assert sorted(signature.version.language for signature in signed) == ["es"] * 3
    assert {signature.statement for signature in signed} == {es(AGREEMENT_STATEMENT)}

    # The intake, in Spanish, with the official Spanish PHQ-9 and GAD-7.
    phone.goto("/intake/")
    phone.get_by_role("button", name=es("Start", "begin the intake")).click()
    phone.get_by_role("textbox", name=re.compile(
        f"^{re.escape(_question('legal_name', 'es'))}")).fill("Lucía Mendoza Ruiz")
    phone.get_by_label(re.compile(f"^{re.escape(_question('date_of_birth', 'es'))}")).fill(
        "1985-05-14")
    assert_accessible(phone, context="the intake's first page in Spanish")
    _next(phone)
    phone.get_by_role("textbox", name=re.compile(
        f"^{re.escape(_question('in_your_own_words', 'es'))}")).fill(WHAT_BRINGS_ME)
    _next(phone)
    expect(phone.get_by_text(_question("phq9_1", "es"))).to_be_visible()
    assert _question("phq9_1", "es") == "Poco interés o placer en hacer cosas"
    for item in FEELINGS_ITEMS:
        phone.locator(f"#q-{item}").get_by_label(_option(item, 1, "es"), exact=True).check()
    assert_accessible(phone, context="the PHQ-9 and GAD-7 in Spanish")
    _next(phone)
    for _ in ("safety", "relationships", "health"):
        _next(phone)
    phone.locator("#q-leave_messages").get_by_label(_option("leave_messages", "no", "es"),
                                                    exact=True).check()
    _next(phone)
    expect(phone.get_by_role("heading", name=es("Check your answers"))).to_be_visible()
    expect(phone.get_by_text(WHAT_BRINGS_ME)).to_be_visible()
    assert_accessible(phone, context="the review page in Spanish")
    phone.get_by_role("button", name=es("Send my answers")).click()
    expect(phone.get_by_role("heading", name=es("What you sent"))).to_be_visible()
    assert_accessible(phone, context="the sent intake in Spanish")
    with phone.expect_download() as download:
        phone.get_by_role("link", name=es("Download a copy (PDF)")).click()
    with open(download.value.path(), "rb") as pdf:
        copy = " ".join(pdf_page_texts(pdf.read()))
    assert "Poco interés o placer en hacer cosas" in copy
    assert WHAT_BRINGS_ME in copy

    assert server_activity.wait_until_quiet()
    intake = Intake.objects.get(client=lucia)
    assert intake.is_submitted and intake.language == "es"
    # Every item "several days" (1): PHQ-9 9, GAD-7 7, whatever the language.
    scores = {score["instrument"]: score["total"] for score in intake.scores or []}
    assert (scores["phq9"], scores["gad7"]) == (9, 7)

    # The clinician reads in English: English questions, the answers as typed, the mark.
    desk = open_page("desktop")
    sign_in(desk, clinician_user)
    desk.goto(f"/staff/intakes/{intake.pk}/")
    expect(desk.locator("html")).to_have_attribute("lang", "en")
    expect(desk.get_by_text("Answered in Spanish").first).to_be_visible()
    expect(desk.get_by_text(_question("phq9_1", "en")).first).to_be_visible()
    expect(desk.get_by_text(WHAT_BRINGS_ME)).to_be_visible()
    expect(desk.get_by_role("img", name=re.compile(r"^PHQ-9: 9 out of 27"))).to_be_visible()
    expect(desk.get_by_role("img", name=re.compile(r"^GAD-7: 7 out of 21"))).to_be_visible()
    assert_accessible(desk, context="a Spanish intake read in English")
