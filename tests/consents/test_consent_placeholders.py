"""No template placeholder ever reaches a client: the practice's settings are filled into
a draft, and a version that still holds a ``[...]`` placeholder is never published."""

from __future__ import annotations

import hashlib
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from consents.defaults import install_default_documents, shipped_documents
from consents.models import ConsentDocument, ConsentVersion, Requirement, VersionStatus
from consents.placeholders import PLACEHOLDERS, PlaceholderError, find_placeholders
from consents.services import canonical_text, version_publish
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import PracticeSettings
from tests.factories import fill_practice_settings
from tests.helpers import reauthenticate

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees() -> ConsentDocument:
    return ConsentDocument.objects.create(kind="fees", title="Fees",
                                          requirement=Requirement.BEFORE_FIRST_SESSION)


def _draft(document: ConsentDocument, body: str, summary: str = "In short.") -> ConsentVersion:
    return ConsentVersion.objects.create(document=document, summary=summary, body=body)


def _published(kind: str) -> ConsentVersion:
    return ConsentVersion.objects.get(document__kind=kind, status=VersionStatus.PUBLISHED)


def test_publishing_a_version_with_placeholders_is_refused_naming_each(
    fees: ConsentDocument,
) -> None:
    draft = _draft(fees, "A session is [session fee]. Ask us about [our sliding scale].\n"
                         "Our [fee page](https://example.org/fees) has more.\n",
                   summary="You agree to our fees in [practice state].")
    with pytest.raises(PlaceholderError) as refused:
        version_publish(version=draft, actor=None)
    assert refused.value.placeholders == ["[practice state]", "[session fee]",
                                          "[our sliding scale]"]
    message = str(refused.value)
    assert "[session fee]: fill in \u201cSession fee\u201d in practice settings" in message
    assert "[practice state]: fill in \u201cState\u201d in practice settings" in message
    assert "[our sliding scale]: replace it with the right words in the draft" in message
    assert "[fee page]" not in message  # a Markdown link is not a placeholder
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.sha256) == (VersionStatus.DRAFT, None, "")
    assert not AuditEvent.objects.filter(action=Action.DOCUMENT_PUBLISHED).exists()


def test_a_version_whose_only_brackets_are_links_is_published(fees: ConsentDocument) -> None:
    draft = _draft(fees, "See [our fees](https://example.org/fees) or ![](https://x.org/a).\n")
    assert version_publish(version=draft, actor=None).is_published


def test_the_shipped_documents_are_filled_in_and_the_hash_covers_the_values() -> None:
    practice = fill_practice_settings()
    practice.session_fee = "$165"
    practice.practice_state = "Vermont"
    practice.save()
    install_default_documents(publish=True)

    fees = _published("fees")
    assert "**Therapy session of about 50 minutes:** $165" in fees.body
    assert "[session fee]" not in fees.body and "[session minutes]" not in fees.body
    treatment = _published("treatment")
    assert "The exact rules depend on the law in Vermont." in treatment.body
    # A postal address on several lines reads as one line in a sentence.
    assert "write to us at 120 Willow Street, Suite 4, Portland, OR 97205." in (
        _published("electronic_signatures").body)
    # The hash is over the filled-in text the client reads, not over the template.
    assert fees.sha256 == hashlib.sha256(canonical_text(fees).encode()).hexdigest()
    template = next(entry for entry in shipped_documents() if entry["kind"] == "fees")
    as_shipped = ConsentVersion(document=fees.document, number=fees.number,
                                effective_date=fees.effective_date,
                                summary=template["summary"], body=template["body"])
    assert fees.sha256 != hashlib.sha256(canonical_text(as_shipped).encode()).hexdigest()


def test_every_placeholder_in_the_shipped_templates_maps_to_a_practice_setting() -> None:
    known = {f"[{placeholder.name}]" for placeholder in PLACEHOLDERS}
    settings = {field.name for field in PracticeSettings._meta.concrete_fields}
    assert {placeholder.setting for placeholder in PLACEHOLDERS} <= settings
    for entry in shipped_documents():
        assert set(find_placeholders(entry["summary"], entry["body"])) <= known, entry["kind"]


def test_a_blank_setting_keeps_its_placeholder_and_publishing_is_refused() -> None:
    practice = fill_practice_settings()
    practice.session_fee = ""
    practice.records_retention_years = None
    practice.save()
    with pytest.raises(PlaceholderError) as refused:
        install_default_documents(publish=True)
    # The first document to hold one (the treatment consent) stops the whole install.
    assert refused.value.placeholders == ["[records retention years]"]
    assert ConsentDocument.objects.count() == 0  # all or nothing

    # As drafts they install, with the blank settings' placeholders left to fill.
    install_default_documents(publish=False)
    fees = ConsentVersion.objects.get(document__kind="fees")
    assert "[session fee]" in fees.body and "$180" in fees.body
    treatment = ConsentVersion.objects.get(document__kind="treatment")
    assert "kept for [records retention years] years" in treatment.body


def test_saving_a_draft_fills_in_the_practice_settings(
    as_admin: Client, fees: ConsentDocument
) -> None:
    fill_practice_settings()
    response = as_admin.post(reverse("consent_version_new", args=[fees.pk]), {
        "summary": "Sessions cost [Session Fee].",
        "body": "A session lasts [session minutes] minutes. [Our own note]\n",
        "effective_date": "2030-01-01", "change_note": ""})
    assert response.status_code == HTTPStatus.FOUND
    draft = ConsentVersion.objects.get(document=fees)
    assert draft.summary == "Sessions cost $150."
    assert draft.body == "A session lasts 50 minutes. [Our own note]"
    preview = as_admin.get(response["Location"]).content.decode()
    assert "still has placeholder to fill in before it can be published: [Our own note]" in (
        preview)


def test_the_publish_page_names_each_placeholder_and_publishes_nothing(
    as_admin: Client, fees: ConsentDocument
) -> None:
    draft = _draft(fees, "Cancel [cancellation notice hours] hours ahead, or pay "
                         "[late cancellation fee].\n")
    url = reverse("consent_version_publish", args=[draft.pk])
    reauthenticate(as_admin)
    for response in (as_admin.get(url), as_admin.post(url)):
        page = response.content.decode()
        assert "This draft is not ready to publish" in page
        assert "[cancellation notice hours]: fill in \u201cCancellation notice in hours\u201d" \
               " in practice settings" in page
        assert "[late cancellation fee]: fill in \u201cLate cancellation fee\u201d" in page
        assert 'role="alert"' in page
        assert reverse("practice_settings") in page
        assert ">Publish</button>" not in page
    assert response.status_code == HTTPStatus.BAD_REQUEST
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT
    assert not AuditEvent.objects.filter(action=Action.DOCUMENT_PUBLISHED).exists()
