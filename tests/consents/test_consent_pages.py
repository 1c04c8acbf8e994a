"""The client's consent pages through the real views: sign and see it signed, a document
that changes while being read, refusals that keep what was typed, the document's Markdown
cleaned before it reaches the page, withdrawal in two clicks, signing again, no way into
another client's signatures, and the intake waiting for the consents it needs."""

from __future__ import annotations

import html
import re
from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse

from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ConsentSignature, ConsentVersion, Requirement
from consents.services import AGREEMENT_STATEMENT, consent_sign, version_publish
from intake.models import Intake
from portal.models import ClientProfile, User
from tests.factories import PASSWORD, fill_practice_settings
from tests.helpers import must_search, published_version, sign_in

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

AGREE_BOX = re.compile(r'<input[^>]*name="agreed"[^>]*>')
SHA = re.compile(r'name="sha256" value="([0-9a-f]{64})"')
BEFORE_INTAKE = ("electronic_signatures", "treatment", "privacy_notice")


@pytest.fixture
def documents() -> None:
    fill_practice_settings()
    install_default_documents(publish=True)


def _version(kind: str) -> ConsentVersion:
    return published_version(ConsentDocument.objects.get(kind=kind))


def _sign_page(http: Client, version: ConsentVersion) -> str:
    response = http.get(reverse("consent_sign", args=[version.id]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def _post_sign(http: Client, version: ConsentVersion, *, sha256: str | None = None,
               **fields: str) -> TestResponse:
    data = {"typed_name": "Robin Example", "agreed": "on",
            "sha256": sha256 if sha256 is not None else version.sha256, **fields}
    return http.post(reverse("consent_sign", args=[version.id]), data)


def _publish_new(kind: str, body: str, *, material: bool = False) -> ConsentVersion:
    document = ConsentDocument.objects.get(kind=kind)
    draft = ConsentVersion.objects.create(document=document, summary="Changed, in short.",
                                          body=body, material_change=material)
    return version_publish(version=draft, actor=None)


def _row(page: str, kind: str) -> str:
    match = re.search(rf'<section class="card consent-row" id="consent-{kind}".*?</section>',
                      page, re.S)
    assert match, kind
    return re.sub(r"\s+", " ", match.group(0))


def test_a_client_reads_signs_and_sees_it_signed(as_client: Client, documents: None) -> None:
    version = _version("treatment")
    page = _sign_page(as_client, version)
    assert version.document.title in page
    assert f"Version {version.number}" in page
    assert html.escape(version.summary) in page
    assert "<details" in page
    assert AGREEMENT_STATEMENT in page
    assert must_search(SHA, page).group(1) == version.sha256
    assert "checked" not in must_search(AGREE_BOX, page).group(0)  # unticked until the client ticks

    response = _post_sign(as_client, version)
    assert response.status_code == HTTPStatus.FOUND
    signature = ConsentSignature.objects.get(client__email="client@example.com")
    assert response["Location"] == reverse("consent_signed", args=[signature.id])

    signed = as_client.get(response["Location"]).content.decode()
    assert "Your signature is saved" in signed
    assert "Robin Example" not in signed.split("Your signature is saved")[0][-300:]
    for shown in (signature.reference, signature.sha256, "Robin Example",
                  version.document.title, f"version {version.number}"):
        assert shown in signed

    row = _row(as_client.get(reverse("consent_list")).content.decode(), "treatment")
    assert "Signed on" in row
    assert reverse("consent_withdraw", args=[signature.id]) in row


def test_my_consents_lists_required_documents_first_in_plain_words(
    as_client: Client, documents: None
) -> None:
    page = as_client.get(reverse("consent_list")).content.decode()
    positions = [page.index(f'id="consent-{kind}"') for kind in
                 ("electronic_signatures", "telehealth", "communication")]
    assert positions == sorted(positions)
    assert "Not signed yet" in _row(page, "treatment")
    assert reverse("consent_sign", args=[_version("treatment").id]) in _row(page, "treatment")


def test_a_document_changed_while_reading_comes_back_to_read_and_nothing_is_stored(
    as_client: Client, documents: None
) -> None:
    first = _version("treatment")
    page = _sign_page(as_client, first)
    second = _publish_new("treatment", "A new text about therapy.\n", material=True)

    response = _post_sign(as_client, first, sha256=must_search(SHA, page).group(1),
                          typed_name="Robin Kept")
    assert response.status_code == HTTPStatus.CONFLICT
    body = response.content.decode()
    assert "updated while you were reading" in body
    assert "A new text about therapy." in body
    assert must_search(SHA, body).group(1) == second.sha256
    assert reverse("consent_sign", args=[second.id]) in body
    assert 'value="Robin Kept"' in body
    assert "checked" not in must_search(AGREE_BOX, body).group(0)  # the tick is not carried over
    assert not ConsentSignature.objects.exists()


def test_a_tampered_hash_is_refused_as_a_change(as_client: Client, documents: None) -> None:
    version = _version("treatment")
    response = _post_sign(as_client, version, sha256="0" * 64)
    assert response.status_code == HTTPStatus.CONFLICT
    assert not ConsentSignature.objects.exists()


def test_a_name_that_does_not_match_the_record_is_explained_and_typed_values_kept(
    as_client: Client, client_user: User, documents: None
) -> None:
    ClientProfile.objects.create(user=client_user, legal_name="Robin Example")
    version = _version("treatment")
    response = _post_sign(as_client, version, typed_name="Rob Exampel", on_behalf="on",
                          representative_name="Alex Parent",
                          representative_authority="Parent")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.content.decode()
    assert "does not match the legal name in your record" in body
    for kept in ('value="Rob Exampel"', 'value="Alex Parent"', 'value="Parent"'):
        assert kept in body
    assert not ConsentSignature.objects.exists()
    # Case and spacing do not matter.
    assert _post_sign(as_client, version, typed_name="robin  EXAMPLE").status_code == 302


def test_signing_without_the_tick_is_refused(as_client: Client, documents: None) -> None:
    version = _version("treatment")
    response = as_client.post(reverse("consent_sign", args=[version.id]),
                              {"typed_name": "Robin Example", "sha256": version.sha256})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "tick the box" in response.content.decode()
    assert 'value="Robin Example"' in response.content.decode()
    assert not ConsentSignature.objects.exists()


def test_a_representative_must_give_their_name_and_authority(
    as_client: Client, documents: None
) -> None:
    version = _version("treatment")
    response = _post_sign(as_client, version, on_behalf="on", representative_name="Alex")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "authority" in response.content.decode()
    assert _post_sign(as_client, version, on_behalf="on", representative_name="Alex",
                      representative_authority="Legal guardian").status_code == 302
    signature = ConsentSignature.objects.get()
    assert (signature.representative_name, signature.representative_authority) == (
        "Alex", "Legal guardian")


def test_only_the_current_published_version_can_be_opened_to_sign(
    as_client: Client, documents: None
) -> None:
    first = _version("treatment")
    _publish_new("treatment", "Newer.\n")
    draft = ConsentVersion.objects.create(document=first.document, summary="s", body="b")
    for version in (first, draft):
        assert as_client.get(reverse("consent_sign", args=[version.id])).status_code == 404
    assert _post_sign(as_client, draft).status_code == 404


def test_html_in_a_document_never_reaches_the_page(as_client: Client) -> None:
    document = ConsentDocument.objects.create(kind="fees", title="Fees",
                                              requirement=Requirement.OPTIONAL)
    draft = ConsentVersion.objects.create(
        document=document, summary="Fees in short.",
        body=("Read this.\n\n<script>alert('canary')</script>\n\n"
              "[click me](javascript:alert(1)) and [our site](https://example.org/fees) "
              '<img src=x onerror="alert(2)"> <a href="#" onclick="alert(3)">x</a>\n'),
    )
    version = version_publish(version=draft, actor=None)
    page = _sign_page(as_client, version)
    assert "canary" not in page
    assert "javascript:" not in page
    assert "onerror" not in page and "onclick" not in page
    assert "<img" not in page
    assert re.search(r"<a[^>]*>click me</a>", page)
    assert not re.search(r'<a[^>]*href="[^"]*"[^>]*>click me</a>', page)
    assert 'href="https://example.org/fees"' in page
    assert "<p>Read this.</p>" in page


def test_withdrawing_takes_a_confirmation_and_signing_again_is_offered(
    as_client: Client, documents: None
) -> None:
    version = _version("treatment")
    _post_sign(as_client, version)
    signature = ConsentSignature.objects.get()
    withdraw_url = reverse("consent_withdraw", args=[signature.id])

    confirm = as_client.get(withdraw_url)
    assert confirm.status_code == HTTPStatus.OK
    assert "What this means" in confirm.content.decode()
    assert "intake" in confirm.content.decode()
    signature.refresh_from_db()
    assert signature.is_active  # opening the page changes nothing

    response = as_client.post(withdraw_url, {"reason": "Private canary reason"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("consent_list")
    signature.refresh_from_db()
    assert not signature.is_active
    assert signature.withdrawal_reason == "Private canary reason"

    followed = as_client.get(response.url)
    # Flash messages (which can travel in a cookie) are fixed sentences, never the reason.
    assert all("Private canary reason" not in str(m) for m in followed.context["messages"])
    listing = followed.content.decode()
    row = _row(listing, "treatment")
    assert "You withdrew this on" in row
    assert "Your reason: Private canary reason" in row  # shown back to the client only
    assert "Sign again" in row
    assert reverse("consent_sign", args=[version.id]) in row

    # Signing again makes a new active signature beside the withdrawn one.
    assert _post_sign(as_client, version).status_code == HTTPStatus.FOUND
    assert ConsentSignature.objects.filter(withdrawn_at__isnull=True).count() == 1
    assert ConsentSignature.objects.count() == 2
    assert "Signed on" in _row(as_client.get(reverse("consent_list")).content.decode(),
                               "treatment")


def test_another_clients_signature_is_a_404_on_every_page(
    client: Client, client_user: User, other_client_user: User, documents: None
) -> None:
    version = _version("treatment")
    signature = consent_sign(client=other_client_user, version_id=version.pk,
                             expected_sha256=version.sha256, typed_name="Other Person",
                             agreed=True)
    sign_in(client, client_user)
    for url in (reverse("consent_signed", args=[signature.id]),
                reverse("consent_withdraw", args=[signature.id])):
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    withdraw = reverse("consent_withdraw", args=[signature.id])
    assert client.post(withdraw).status_code == HTTPStatus.NOT_FOUND
    signature.refresh_from_db()
    assert signature.is_active


def test_the_intake_waits_for_the_consents_needed_before_it(
    as_client: Client, client_user: User, documents: None
) -> None:
    response = as_client.get(reverse("intake_home"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("consent_list")
    assert as_client.post(reverse("intake_home"))["Location"] == reverse("consent_list")
    assert not Intake.objects.exists()
    listing = as_client.get(response["Location"]).content.decode()
    assert "Before your intake, please read and sign" in listing
    home = as_client.get(reverse("client_home")).content.decode()
    for kind in BEFORE_INTAKE:
        assert reverse("consent_sign", args=[_version(kind).id]) in home

    for kind in BEFORE_INTAKE:
        assert _post_sign(as_client, _version(kind)).status_code == HTTPStatus.FOUND
    assert as_client.get(reverse("intake_home")).status_code == HTTPStatus.OK
    assert as_client.post(reverse("intake_home")).status_code == HTTPStatus.FOUND
    intake = Intake.objects.get(client=client_user)
    section = reverse("intake_section", args=[intake.id, "about_you"])
    assert as_client.get(section).status_code == HTTPStatus.OK

    # Withdrawing one closes the door again, without losing the draft.
    signature = ConsentSignature.objects.get(version__document__kind="treatment")
    as_client.post(reverse("consent_withdraw", args=[signature.id]))
    assert as_client.get(section)["Location"] == reverse("consent_list")
    assert Intake.objects.filter(pk=intake.pk).exists()


def test_a_material_change_is_listed_on_the_home_page(
    as_client: Client, client_user: User, documents: None
) -> None:
    for kind in BEFORE_INTAKE:
        _post_sign(as_client, _version(kind))
    home = as_client.get(reverse("client_home")).content.decode()
    assert reverse("consent_sign", args=[_version("treatment").id]) not in home
    newer = _publish_new("treatment", "Changed a lot.\n", material=True)
    home = as_client.get(reverse("client_home")).content.decode()
    assert reverse("consent_sign", args=[newer.id]) in home
    assert "please sign the new version" in home
    row = _row(as_client.get(reverse("consent_list")).content.decode(), "treatment")
    assert "Please sign the new version" in row


def test_a_small_change_needs_no_action(as_client: Client, documents: None) -> None:
    _post_sign(as_client, _version("treatment"))
    _publish_new("treatment", "A typo fixed.\n")
    row = _row(as_client.get(reverse("consent_list")).content.decode(), "treatment")
    assert "Updated since you signed — no action needed" in row


def test_a_material_change_is_shown_at_the_next_sign_in_and_closes_the_intake_until_signed(
    client: Client, client_user: User, documents: None
) -> None:
    sign_in(client, client_user)
    for kind in BEFORE_INTAKE:
        _post_sign(client, _version(kind))
    client.post(reverse("intake_home"))
    intake = Intake.objects.get(client=client_user)
    section = reverse("intake_section", args=[intake.id, "about_you"])
    assert client.get(section).status_code == HTTPStatus.OK
    client.post(reverse("account_logout"))

    newer = _publish_new("treatment", "Changed a lot.\n", material=True)
    response = client.post(reverse("account_login"),
                           {"login": client_user.email, "password": PASSWORD}, follow=True)
    landing = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("client_home")
    assert reverse("consent_sign", args=[newer.id]) in landing
    assert "please sign the new version" in landing
    assert client.get(section)["Location"] == reverse("consent_list")
    assert client.get(reverse("intake_home"))["Location"] == reverse("consent_list")

    assert _post_sign(client, newer).status_code == HTTPStatus.FOUND
    assert client.get(section).status_code == HTTPStatus.OK
    assert Intake.objects.filter(pk=intake.pk).exists()


def test_a_non_material_change_never_blocks_and_is_shown_as_updated(
    as_client: Client, client_user: User, documents: None
) -> None:
    for kind in BEFORE_INTAKE:
        _post_sign(as_client, _version(kind))
    newer = _publish_new("treatment", "A typo fixed.\n", material=False)
    assert as_client.get(reverse("intake_home")).status_code == HTTPStatus.OK
    home = as_client.get(reverse("client_home")).content.decode()
    assert reverse("consent_sign", args=[newer.id]) not in home
    row = _row(as_client.get(reverse("consent_list")).content.decode(), "treatment")
    assert "Updated since you signed" in row
    assert reverse("consent_sign", args=[newer.id]) in row  # to read, not to sign
