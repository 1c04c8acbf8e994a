"""Authorizations to release information (HIPAA 164.508(c); 42 CFR 2.31): refused without any
element the law requires, carrying the required statements, encrypted at rest, expiring by
themselves on their end date, revocable in two clicks, and never visible to another client."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from consents.authorizations import (
    REQUIRED_STATEMENTS,
    STATEMENT_SUBSTANCE_USE,
    AuthorizationDetails,
    IncompleteAuthorization,
    authorization_sign,
)
from consents.defaults import install_default_documents
from consents.exports.fhir import consent_resource
from consents.exports.pdf import signature_lines
from consents.models import (
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    ReleaseAuthorization,
)
from consents.register import EXPIRED, SIGNED, WITHDRAWN, build_register
from consents.services import SigningError, consent_sign, version_publish
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import PracticeSettings, User
from tests.factories import fill_practice_settings
from tests.helpers import body_bytes, must_search, published_version, sign_in

pytestmark = pytest.mark.django_db

RECIPIENT = "Dr Canary Recipient, Lakeside Family Practice"
FIELDS = {
    "information": "Dates of my sessions and a summary of my treatment plan",
    "discloser": "Riverside Counselling",
    "recipient": RECIPIENT,
    "purpose": "At my request, to coordinate my care",
    "expiry_event": "when my treatment with the practice ends",
}
SUBMISSION = re.compile(r'name="submission" value="([0-9a-f-]{36})"')


@pytest.fixture
def authorization_version() -> ConsentVersion:
    fill_practice_settings()
    install_default_documents(publish=True)
    return published_version(ConsentDocument.objects.get(kind="release_authorization"))


def _details(**changes: Any) -> AuthorizationDetails:
    values: dict[str, Any] = {**FIELDS, "expires_on": None, **changes}
    return AuthorizationDetails(**values)


def _authorize(client: User, version: ConsentVersion, *, submission: uuid.UUID | None = None,
               typed_name: str = "Robin Example", agreed: bool = True,
               **changes: Any) -> ConsentSignature:
    return authorization_sign(
        client=client, version_id=version.pk, expected_sha256=version.sha256,
        typed_name=typed_name, agreed=agreed, details=_details(**changes),
        submission=submission or uuid.uuid4(),
    )


def _post(http: Client, version: ConsentVersion, **changes: str | None) -> Any:
    page = http.get(reverse("consent_sign", args=[version.id])).content.decode()
    data = {**FIELDS, "typed_name": "Robin Example", "agreed": "on",
            "sha256": version.sha256, "submission": must_search(SUBMISSION, page).group(1),
            "expires_on": "", **changes}
    return http.post(reverse("consent_sign", args=[version.id]),
                     {key: value for key, value in data.items() if value is not None})


# --- The service --------------------------------------------------------------------------


def test_a_complete_authorization_is_stored_encrypted_with_its_statements(
    authorization_version: ConsentVersion, client_user: User
) -> None:
    ends = timezone.localdate() + timedelta(days=90)
    signature = _authorize(client_user, authorization_version, expires_on=ends)
    details = ReleaseAuthorization.objects.get(signature=signature)
    assert (details.recipient, details.purpose, details.discloser) == (
        RECIPIENT, FIELDS["purpose"], FIELDS["discloser"])
    assert signature.expires_on == ends
    for statement in REQUIRED_STATEMENTS:
        assert statement in details.required_statements
    assert STATEMENT_SUBSTANCE_USE not in details.required_statements
    with connection.cursor() as cursor:
        cursor.execute("SELECT information, discloser, recipient, purpose, expiry_event "
                       "FROM consents_releaseauthorization")
        raw = b"".join(bytes(column) for column in cursor.fetchone())
    for secret in (b"Canary Recipient", b"coordinate my care", b"treatment plan",
                   b"Riverside", b"treatment with the practice ends"):
        assert secret not in raw
    event = AuditEvent.objects.get(action=Action.CONSENT_SIGNED)
    assert (event.subject_id, event.object_id) == (client_user.pk, str(signature.pk))


@pytest.mark.parametrize(("missing", "field"), [
    ({"information": ""}, "information"),
    ({"discloser": " "}, "discloser"),
    ({"recipient": ""}, "recipient"),
    ({"purpose": ""}, "purpose"),
    ({"expiry_event": "", "expires_on": None}, "expires_on"),
    ({"typed_name": ""}, "typed_name"),
    ({"agreed": False}, "agreed"),
])
def test_an_authorization_missing_a_required_element_is_refused_and_nothing_stored(
    authorization_version: ConsentVersion, client_user: User, missing: dict[str, Any],
    field: str,
) -> None:
    with pytest.raises(IncompleteAuthorization) as refused:
        _authorize(client_user, authorization_version, **missing)
    assert list(refused.value.errors) == [field]
    assert not ConsentSignature.objects.exists()
    assert not ReleaseAuthorization.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.CONSENT_SIGNED).exists()


def test_the_end_date_must_be_in_the_future_and_not_absurdly_far(
    authorization_version: ConsentVersion, client_user: User
) -> None:
    today = timezone.localdate()
    for ends, message in ((today, "after today"), (today - timedelta(days=3), "after today"),
                          (today.replace(year=today.year + 30), "within 25 years")):
        with pytest.raises(IncompleteAuthorization) as refused:
            _authorize(client_user, authorization_version, expires_on=ends, expiry_event="")
        assert message in refused.value.errors["expires_on"]
    assert _authorize(client_user, authorization_version,
                      expires_on=today + timedelta(days=1), expiry_event="").expires_on


def test_substance_use_records_need_their_own_specific_description_and_the_part_2_notice(
    authorization_version: ConsentVersion, client_user: User
) -> None:
    for vague in ("", "All records", "  everything ", "ALL"):
        with pytest.raises(IncompleteAuthorization) as refused:
            _authorize(client_user, authorization_version, includes_substance_use=True,
                       substance_use_information=vague)
        assert "All records" in refused.value.errors["substance_use_information"]
    signature = _authorize(client_user, authorization_version, includes_substance_use=True,
                           substance_use_information="Dates of attendance and diagnosis")
    details = ReleaseAuthorization.objects.get(signature=signature)
    assert details.substance_use_information == "Dates of attendance and diagnosis"
    assert STATEMENT_SUBSTANCE_USE in details.required_statements


def test_oversized_text_is_refused_with_its_limit(
    authorization_version: ConsentVersion, client_user: User
) -> None:
    with pytest.raises(IncompleteAuthorization) as refused:
        _authorize(client_user, authorization_version, recipient="x" * 1001)
    assert refused.value.errors == {"recipient": "Please keep this to 1,000 characters."}


def test_the_same_form_twice_signs_once_and_a_new_form_makes_a_second_authorization(
    authorization_version: ConsentVersion, client_user: User
) -> None:
    submission = uuid.uuid4()
    first = _authorize(client_user, authorization_version, submission=submission)
    again = _authorize(client_user, authorization_version, submission=submission)
    assert again.pk == first.pk
    second = _authorize(client_user, authorization_version, recipient="Another recipient")
    assert second.pk != first.pk
    assert ReleaseAuthorization.objects.filter(client=client_user).count() == 2


def test_the_plain_signing_path_refuses_an_authorization_without_its_details(
    authorization_version: ConsentVersion, client_user: User
) -> None:
    with pytest.raises(SigningError, match="needs its details"):
        consent_sign(client=client_user, version_id=authorization_version.pk,
                     expected_sha256=authorization_version.sha256,
                     typed_name="Robin Example", agreed=True)
    assert not ConsentSignature.objects.exists()


def test_an_authorization_past_its_end_date_shows_as_expired_without_any_job(
    authorization_version: ConsentVersion, client_user: User
) -> None:
    signature = _authorize(client_user, authorization_version,
                           expires_on=timezone.localdate() + timedelta(days=1))
    document = authorization_version.document
    assert build_register().entry(client_user.pk, document).state == SIGNED
    # Time passes: the end date is now yesterday.
    ConsentSignature.objects.filter(pk=signature.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1))
    register = build_register()
    assert register.entry(client_user.pk, document).state == EXPIRED
    summary = next(s for s in register.summaries() if s.document == document)
    assert (summary.expired, summary.signed) == (1, 0)
    signature.refresh_from_db()
    assert signature.expires_on is not None
    resource = consent_resource(signature)
    assert resource["status"] == "inactive"
    assert resource["provision"]["period"]["end"] == signature.expires_on.isoformat()


# --- The pages ----------------------------------------------------------------------------


def test_a_client_fills_in_signs_reads_and_downloads_an_authorization(
    as_client: Client, authorization_version: ConsentVersion, client_user: User
) -> None:
    form = as_client.get(reverse("consent_sign", args=[authorization_version.id]))
    page = form.content.decode()
    for statement in REQUIRED_STATEMENTS:
        assert statement.replace('"', "&quot;") in page
    practice = html.escape(PracticeSettings.load().name)
    assert f'name="discloser" id="id_discloser" maxlength="500" value="{practice}"' in page
    response = _post(as_client, authorization_version)
    assert response.status_code == HTTPStatus.FOUND
    signature = ConsentSignature.objects.get(client=client_user)
    assert response["Location"] == reverse("consent_signed", args=[signature.id])
    record = as_client.get(response["Location"]).content.decode()
    assert RECIPIENT in record
    assert "Revoke this authorization" in record
    listing = as_client.get(reverse("consent_list")).content.decode()
    assert RECIPIENT in listing and "In force" in listing
    lines = " ".join(line.text for line in signature_lines(signature, "Practice"))
    assert RECIPIENT in lines and STATEMENT_SUBSTANCE_USE not in lines
    assert REQUIRED_STATEMENTS[0] in lines


def test_the_form_names_every_missing_element_and_keeps_what_was_typed(
    as_client: Client, authorization_version: ConsentVersion
) -> None:
    response = _post(as_client, authorization_version, recipient="", purpose="",
                     expiry_event="", agreed=None, typed_name="Robin Example")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    for message in ("Please name the person or organization who may receive it.",
                    "Please say why it is being shared.",
                    "Please give a date or an event when this authorization ends",
                    "Please tick the box to show that you agree."):
        assert message in page, message
    assert FIELDS["information"] in page
    assert 'aria-invalid="true"' in page
    assert not ConsentSignature.objects.exists()


def test_a_malformed_date_is_explained_with_the_other_problems(
    as_client: Client, authorization_version: ConsentVersion
) -> None:
    response = _post(as_client, authorization_version, expires_on="30/06/2027", recipient="")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert "year-month-day" in page
    assert "Please name the person or organization who may receive it." in page


def test_a_document_changed_while_filling_in_comes_back_with_everything_but_the_tick(
    as_client: Client, authorization_version: ConsentVersion
) -> None:
    page = as_client.get(reverse("consent_sign", args=[authorization_version.id])).content
    submission = must_search(SUBMISSION, page.decode()).group(1)
    newer = version_publish(version=ConsentVersion.objects.create(
        document=authorization_version.document, summary="New.", body="New text.\n",
        material_change=True), actor=None)
    response = as_client.post(reverse("consent_sign", args=[authorization_version.id]), {
        **FIELDS, "typed_name": "Robin Example", "agreed": "on",
        "sha256": authorization_version.sha256, "submission": submission})
    assert response.status_code == HTTPStatus.CONFLICT
    page_text = response.content.decode()
    assert f"Version {newer.number}" in page_text and RECIPIENT in page_text
    assert not re.search(r'name="agreed"[^>]*checked', page_text)
    assert not ConsentSignature.objects.exists()


def test_revoking_takes_two_clicks_says_what_it_means_and_is_recorded(
    as_client: Client, authorization_version: ConsentVersion, client_user: User
) -> None:
    signature = _authorize(client_user, authorization_version)
    confirm = as_client.get(reverse("consent_withdraw", args=[signature.id])).content.decode()
    assert "Revoke this authorization?" in confirm
    assert "cannot be taken back" in confirm
    response = as_client.post(reverse("consent_withdraw", args=[signature.id]),
                              {"reason": "Changed my mind"})
    assert response["Location"] == reverse("consent_list")
    signature.refresh_from_db()
    assert signature.withdrawn_at is not None
    assert build_register().entry(client_user.pk, authorization_version.document).state \
        == WITHDRAWN
    assert AuditEvent.objects.filter(action=Action.CONSENT_WITHDRAWN,
                                     subject_id=client_user.pk).count() == 1
    listing = as_client.get(reverse("consent_list")).content.decode()
    assert "Revoked" in listing


def test_another_client_cannot_see_or_revoke_an_authorization(
    client: Client, authorization_version: ConsentVersion, client_user: User,
    other_client_user: User,
) -> None:
    signature = _authorize(client_user, authorization_version)
    sign_in(client, other_client_user)
    for name in ("consent_signed", "consent_withdraw", "consent_signature_pdf"):
        assert client.get(reverse(name, args=[signature.id])).status_code == 404, name
    assert client.post(reverse("consent_withdraw", args=[signature.id])).status_code == 404
    assert RECIPIENT not in client.get(reverse("consent_list")).content.decode()
    signature.refresh_from_db()
    assert signature.is_active


def test_the_admin_sees_expiry_on_the_timeline_and_downloads_the_copy_which_is_recorded(
    as_admin: Client, authorization_version: ConsentVersion, client_user: User
) -> None:
    signature = _authorize(client_user, authorization_version,
                           expires_on=timezone.localdate() + timedelta(days=5))
    ConsentSignature.objects.filter(pk=signature.pk).update(
        expires_on=timezone.localdate() - timedelta(days=2))
    timeline = as_admin.get(reverse("consent_client_timeline", args=[client_user.pk]))
    page = re.sub(r"\s+", " ", timeline.content.decode())
    assert "Authorization to release information: Expired" in page
    assert re.search(r'<th scope="row" class="fw-normal">Expired</th>', page)
    pdf_url = reverse("staff_consent_signature_pdf", args=[signature.id])
    assert pdf_url in page
    download = as_admin.get(pdf_url)
    assert download.status_code == HTTPStatus.OK
    assert body_bytes(download).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=Action.CONSENT_EXPORTED,
                                     subject_id=client_user.pk).count() == 1
