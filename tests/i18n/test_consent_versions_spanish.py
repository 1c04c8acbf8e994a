"""Consent versions per language (issue 19): a Spanish text is its own version, its language
inside the hash; versions hashed before languages existed still verify; a Spanish reader
signs the Spanish version (or the English one, told why) and the evidence says which;
re-consent follows the language signed; the FHIR Consent carries the language."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from consents.defaults import install_default_documents, install_shipped_translations
from consents.exports.fhir import consent_resource
from consents.exports.pdf import signature_lines
from consents.models import (
    CANONICAL_FORM_FIRST,
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    VersionStatus,
)
from consents.services import (
    canonical_text,
    consent_sign,
    consent_statuses,
    current_version,
    version_hash,
    version_publish,
)
from portal.models import User
from tests.factories import fill_practice_settings
from tests.i18n.readers import reads_spanish

pytestmark = pytest.mark.django_db


def _publish(document: ConsentDocument, language: str, body: str, *,
             material: bool = False, title: str = "") -> ConsentVersion:
    draft = ConsentVersion.objects.create(document=document, language=language, title=title,
                                          summary=f"{language} summary", body=body,
                                          material_change=material)
    return version_publish(version=draft, actor=None)


def _sign(client: User, version: ConsentVersion) -> ConsentSignature:
    return consent_sign(client=client, version_id=version.pk, expected_sha256=version.sha256,
                        typed_name="Robin Example", agreed=True)


def _state(client: User, kind: str, language: str) -> str:
    return next(status.state for status in consent_statuses(client, language)
                if status.document.kind == kind)



def test_a_version_hashed_before_languages_still_verifies_exactly() -> None:
    """A row published before the migration keeps canonical form 1: the first recipe, word
    for word (the document's title, no language), so its stored SHA-256 recomputes."""
    document = ConsentDocument.objects.create(kind="treatment", title="Consent to therapy")
    old = ConsentVersion(document=document, number=1, summary="In short.\r\n",
                         body="We agree.  \n", canonical_form=CANONICAL_FORM_FIRST,
                         effective_date=timezone.localdate())
    first_recipe = json.dumps({
        "kind": "treatment", "title": "Consent to therapy", "version": 1,
        "effective_date": old.effective_date.isoformat(),
        "summary": unicodedata.normalize("NFC", "In short.\n"), "body": "We agree.\n",
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    stored = hashlib.sha256(first_recipe.encode()).hexdigest()
    old.sha256, old.status, old.published_at = stored, VersionStatus.PUBLISHED, timezone.now()
    old.save()
    old.refresh_from_db()
    assert canonical_text(old) == first_recipe and '"language"' not in canonical_text(old)
    assert version_hash(old) == stored


def test_the_language_is_inside_a_new_versions_hash() -> None:
    document = ConsentDocument.objects.create(kind="fees", title="Fees")
    spanish = _publish(document, "es", "Las mismas palabras.\n", title="Tarifas")
    text = json.loads(canonical_text(spanish))
    assert (text["language"], text["title"]) == ("es", "Tarifas")
    assert spanish.sha256 == hashlib.sha256(canonical_text(spanish).encode()).hexdigest()
    same_words_other_language = ConsentVersion(
        document=document, number=spanish.number, language="en", title=spanish.title,
        summary=spanish.summary, body=spanish.body, effective_date=spanish.effective_date)
    assert version_hash(same_words_other_language) != spanish.sha256


def test_a_spanish_reader_signs_the_spanish_version_and_the_evidence_says_so(
    as_client: Client, client_user: User
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True, languages=["en", "es"])
    reads_spanish(client_user)
    listing = as_client.get(reverse("consent_list")).content.decode()
    assert 'lang="es"' in listing and "Mis consentimientos" in listing
    assert "Consentimiento informado para la psicoterapia" in listing
    assert "My consents" not in listing and "Read and sign" not in listing

    treatment = ConsentDocument.objects.get(kind="treatment")
    version = current_version(treatment, "es")
    assert version is not None and version.language == "es" and version.number == 2
    page = as_client.get(reverse("consent_sign", args=[version.id])).content.decode()
    assert "Qué es la terapia" in page and "Leí este documento" in page
    assert "language-note" not in page and "What therapy is" not in page

    response = as_client.post(reverse("consent_sign", args=[version.id]), {
        "typed_name": "Robin Example", "agreed": "on", "sha256": version.sha256})
    assert response.status_code == HTTPStatus.FOUND
    signature = ConsentSignature.objects.get(client=client_user)
    assert signature.version.language == "es" and signature.sha256 == version.sha256
    assert signature.statement.startswith("Leí este documento")

    signed = as_client.get(response["Location"]).content.decode()
    assert 'data-language="es">Español<' in signed and "Lo que usted firmó" in signed
    text = as_client.get(reverse("consent_signature_text", args=[signature.id])).content
    assert json.loads(text)["language"] == "es"
    assert hashlib.sha256(text).hexdigest() == signature.sha256
    assert consent_resource(signature)["sourceAttachment"]["language"] == "es"
    with translation.override("es"):
        lines = [line.text for line in signature_lines(signature, "Consultorio")]
    assert "Registro de la firma" in lines and "Idioma: Español" in lines
    assert "Signature record" not in lines


def test_with_no_spanish_text_a_spanish_reader_signs_english_and_is_told(
    as_client: Client, client_user: User
) -> None:
    document = ConsentDocument.objects.create(kind="treatment", title="Consent to therapy")
    english = _publish(document, "en", "We agree to work together.\n")
    reads_spanish(client_user)
    assert current_version(document, "es") == english
    page = as_client.get(reverse("consent_sign", args=[english.id])).content.decode()
    assert "Este documento aún no está disponible en español" in page
    assert "se muestra en inglés" in page and 'lang="en"' in page
    signature = _sign(client_user, english)
    assert consent_resource(signature)["sourceAttachment"]["language"] == "en"


def test_a_material_change_asks_again_only_those_who_signed_that_language(
    client_user: User, other_client_user: User, as_admin: Client
) -> None:
    document = ConsentDocument.objects.create(kind="treatment", title="Consent to therapy")
    english = _publish(document, "en", "English words.\n")
    spanish = _publish(document, "es", "Palabras en español.\n")
    _sign(client_user, english)
    _sign(other_client_user, spanish)

    _publish(document, "es", "Palabras nuevas.\n", material=True)
    assert _state(client_user, "treatment", "en") == "signed"
    assert _state(other_client_user, "treatment", "es") == "resign"
    # The English signer who now reads Spanish keeps their English signature...
    assert _state(client_user, "treatment", "es") == "signed"
    # ...until the English text changes materially.
    _publish(document, "en", "New English words.\n", material=True)
    assert _state(client_user, "treatment", "es") == "resign"

    page = as_admin.get(reverse("consent_document_requirement", args=[document.id]))
    rows = page.content.decode()
    assert rows.count('data-language="es"') == 2 and rows.count('data-language="en"') == 2


def test_the_shipped_translations_are_added_once_with_placeholders_kept() -> None:
    fill_practice_settings()
    install_default_documents(publish=False)
    assert install_shipped_translations(publish=False) == 10
    assert install_shipped_translations(publish=False) == 0
    fees = ConsentVersion.objects.get(document__kind="fees", language="es")
    assert fees.title == "Política de tarifas y cancelaciones"
    assert "[" not in fees.body and "Plantilla" in fees.body


def test_the_dashboard_gives_each_language_its_line_and_its_new_version_link(
    as_admin: Client,
) -> None:
    """An admin sees, per document, the version in force in each language (or that there is
    none yet), a draft in the language it is written in, a date only while a version is
    still to come, and a "New" link that starts a draft in that language."""
    fill_practice_settings()
    install_default_documents(publish=True)
    treatment = ConsentDocument.objects.get(kind="treatment")
    communication = ConsentDocument.objects.get(kind="communication")
    later = timezone.localdate() + timedelta(days=10)
    spanish = ConsentVersion.objects.create(document=treatment, language="es", summary="Resumen",
                                            body="Texto", effective_date=later)
    version_publish(version=spanish, actor=None)
    draft = ConsentVersion.objects.create(document=communication, language="es",
                                          summary="Resumen", body="Texto")

    page = as_admin.get(reverse("consent_dashboard"))
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()

    def line(document: ConsentDocument, language: str) -> str:
        start = html.index(f'id="doc-{document.pk}"')
        start = html.index(f'data-language="{language}"', start)
        return html[start:html.index("</span>\n", html.index('?language=', start))]

    spanish_treatment = line(treatment, "es")
    assert reverse("consent_version_preview", args=[spanish.pk]) in spanish_treatment
    assert f'datetime="{later.isoformat()}"' in spanish_treatment
    assert "?language=es" in spanish_treatment
    assert "datetime=" not in line(treatment, "en")  # in force already: no date
    assert reverse("consent_version_preview", args=[draft.pk]) in line(communication, "es")
    assert reverse("consent_version_preview", args=[draft.pk]) not in line(communication, "en")
    assert "none yet" in line(communication, "es")
    assert "none yet" not in line(communication, "en")
