"""What the practice says in words, in each language: a Spanish consent document quotes the
practice's Spanish wording (never its English one), and the crisis text a Spanish reader
sees is the practice's Spanish text when it wrote one."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from consents.defaults import install_default_documents, install_shipped_translations
from consents.models import ConsentVersion, VersionStatus
from consents.placeholders import PlaceholderError
from consents.services import version_publish
from portal.audit.models import AuditEvent
from portal.models import DEFAULT_CRISIS_TEXT, PracticeSettings
from tests.factories import fill_practice_settings
from tests.helpers import reauthenticate
from tests.portal.test_practice_settings import VALID

pytestmark = pytest.mark.django_db

SPANISH_METHODS = "efectivo o tarjeta de débito"


def _spanish_fees(*, with_wordings: bool) -> ConsentVersion:
    practice = fill_practice_settings()
    if not with_wordings:
        practice.in_other_languages = {}
        practice.save()
    install_default_documents(publish=True)
    install_shipped_translations(publish=False)
    return ConsentVersion.objects.get(document__kind="fees", language="es")


def test_a_spanish_document_quotes_the_practices_spanish_wording() -> None:
    practice = fill_practice_settings()
    practice.in_other_languages["es"]["payment_methods"] = SPANISH_METHODS
    practice.save()
    install_default_documents(publish=True)
    install_shipped_translations(publish=True)
    spanish = ConsentVersion.objects.get(document__kind="fees", language="es")
    english = ConsentVersion.objects.get(document__kind="fees", language="en")

    assert spanish.status == VersionStatus.PUBLISHED
    assert f"Aceptamos {SPANISH_METHODS}." in spanish.body
    assert "al momento de cada sesión" in spanish.body
    for english_wording in ("credit or debit card", "at the time of each session",
                            "per letter", "not in network", "additional 25 minutes"):
        assert english_wording not in spanish.body
    # Amounts and numbers read the same in both languages; English keeps its own words.
    assert "$150" in spanish.body and "$150" in english.body
    assert "We accept credit or debit card, HSA or FSA card." in english.body
    signatures = ConsentVersion.objects.get(document__kind="electronic_signatures",
                                            language="es")
    assert "Costo de las copias en papel: sin costo." in signatures.body


def test_without_a_spanish_wording_the_spanish_version_cannot_be_published() -> None:
    draft = _spanish_fees(with_wordings=False)
    assert "[payment methods]" in draft.body  # never the English value
    assert "credit or debit card" not in draft.body

    with pytest.raises(PlaceholderError) as refused:
        version_publish(version=draft, actor=None)
    assert "[payment methods]" in refused.value.placeholders
    assert any("in Español in practice settings" in problem
               for problem in refused.value.problems)
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_the_publish_page_says_which_language_to_fill_in(as_admin: Client) -> None:
    draft = _spanish_fees(with_wordings=False)
    reauthenticate(as_admin)
    page = as_admin.get(reverse("consent_version_publish", args=[draft.pk]))
    assert page.status_code == HTTPStatus.OK
    assert "fill in “Payment methods” in Español in practice settings" in page.content.decode()


def test_the_admin_writes_the_spanish_wordings_on_the_settings_page(
    as_admin: Client,
) -> None:
    reauthenticate(as_admin)
    page = as_admin.get(reverse("practice_settings")).content.decode()
    assert 'name="payment_methods__es"' in page
    assert "Payment methods, in Español" in page
    field = page[page.index('name="payment_methods__es"') - 300:
                 page.index('name="payment_methods__es"') + 300]
    assert 'lang="es"' in field
    assert 'name="crisis_text__es"' in page
    assert 'name="session_fee__es"' not in page  # an amount reads the same in Spanish

    response = as_admin.post(reverse("practice_settings"), {
        **VALID, "payment_methods": "cash", "payment_methods__es": SPANISH_METHODS,
        "crisis_text__es": "Llame o envíe un mensaje de texto al 988.",
    })
    assert response.status_code == HTTPStatus.FOUND
    practice = PracticeSettings.load()
    assert practice.payment_methods == "cash"
    assert practice.worded("payment_methods", "es") == SPANISH_METHODS
    assert practice.worded("crisis_text", "es") == "Llame o envíe un mensaje de texto al 988."
    # The trail names what changed, never the words.
    event = AuditEvent.objects.filter(action="practice.settings_changed").latest("seq")
    recorded = event.detail_json
    assert "in_other_languages" in recorded
    assert "efectivo" not in recorded and "988" not in recorded

    # Shown again, prefilled; a blank field clears that wording.
    again = as_admin.get(reverse("practice_settings")).content.decode()
    assert SPANISH_METHODS in again
    as_admin.post(reverse("practice_settings"), {
        **VALID, "payment_methods__es": "", "crisis_text__es": "Llame al 988."})
    practice.refresh_from_db()
    assert practice.worded("payment_methods", "es") == ""
    assert practice.worded("crisis_text", "es") == "Llame al 988."


def test_a_post_without_the_spanish_fields_keeps_what_was_written(as_admin: Client) -> None:
    practice = PracticeSettings.load()
    practice.in_other_languages = {"es": {"payment_methods": SPANISH_METHODS}}
    practice.save()
    reauthenticate(as_admin)
    response = as_admin.post(reverse("practice_settings"), VALID)
    assert response.status_code == HTTPStatus.FOUND
    practice.refresh_from_db()
    assert practice.worded("payment_methods", "es") == SPANISH_METHODS


@pytest.mark.parametrize(("value", "message"), [
    ("tarjeta [o efectivo]", "Please leave out square brackets"),
    ("efectivo\ntarjeta", "Please keep this to one line."),
    ("x" * 121, "Ensure this value has at most 120 characters"),
])
def test_a_spanish_wording_that_would_break_a_document_is_refused(
    as_admin: Client, value: str, message: str,
) -> None:
    reauthenticate(as_admin)
    response = as_admin.post(reverse("practice_settings"),
                             {**VALID, "payment_methods__es": value})
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert PracticeSettings.load().worded("payment_methods", "es") == ""


def test_a_spanish_reader_sees_the_practices_spanish_crisis_text() -> None:
    practice = PracticeSettings.load()
    practice.crisis_text = "Call Harbor's line at 555-0100 or 988."
    practice.save()
    spanish_reader = Client(headers={"accept-language": "es"})

    # Not yet written in Spanish: the English text, marked as English for screen readers.
    page = spanish_reader.get(reverse("account_login")).content.decode()
    assert '<p class="mb-0" lang="en">Call Harbor&#x27;s line at 555-0100 or 988.</p>' in page

    practice.in_other_languages = {"es": {"crisis_text": "Llame a Harbor al 555-0100 o al 988."}}
    practice.save()
    page = spanish_reader.get(reverse("account_login")).content.decode()
    assert "Llame a Harbor al 555-0100 o al 988." in page
    assert "Call Harbor" not in page
    english = Client().get(reverse("account_login")).content.decode()
    assert "Call Harbor&#x27;s line at 555-0100 or 988." in english
    assert "Llame a Harbor" not in english


def test_the_shipped_crisis_text_is_translated_without_a_language_mark() -> None:
    assert PracticeSettings.load().crisis_text == DEFAULT_CRISIS_TEXT
    page = Client(headers={"accept-language": "es"}).get(reverse("account_login"))
    html = page.content.decode()
    assert "988" in html and "If you are in crisis" not in html
    assert '<p class="mb-0" lang="en">' not in html

