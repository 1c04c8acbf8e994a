"""The intake's "About you" page and the client's details on file: the page starts from
what the client already told us, and sending the intake changes only what they changed
there, so a legal name that consents were checked against is never replaced by an untouched
or stale copy."""

from __future__ import annotations

import datetime
import html
import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from consents.models import ConsentDocument, ConsentSignature, ConsentVersion
from consents.services import consent_sign, version_publish
from intake.models import Intake
from intake.services import intake_submit
from portal.audit.models import AuditEvent
from portal.models import ClientProfile, User
from portal.services.profiles import SOURCE_CLIENT, profile_update
from tests.helpers import must_search, signed_in
from tests.intake_data import answers_by_section, save_page

pytestmark = pytest.mark.django_db

ON_FILE = {
    "legal_name": "Robin Q. Example",
    "preferred_name": "Rob",
    "date_of_birth": datetime.date(1988, 7, 3),
    "phone": "+1 555 010 0199",
    "emergency_contact_name": "Sam Example",
}


def _with_details(client: User) -> ClientProfile:
    profile_update(client=client, values=dict(ON_FILE), source=SOURCE_CLIENT)
    return ClientProfile.objects.get(user=client)



def _start(http: Client) -> Intake:
    response = http.post(reverse("intake_home"))
    assert response.status_code == HTTPStatus.FOUND
    return Intake.objects.get(state="draft")


def _about_you(http: Client, intake: Intake) -> str:
    response = http.get(reverse("intake_section", args=[intake.id, "about_you"]))
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def _input_value(page: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag, f"no input named {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else None


def _finish_and_send(intake: Intake, client: User, about_you: dict[str, str]) -> Intake:
    """Save "About you" as the page would post it, every other page, then send."""
    intake = Intake.objects.get(pk=intake.pk)
    intake = save_page(intake, "about_you", about_you, client)
    for section, posted in list(answers_by_section().items())[1:]:
        intake = save_page(intake, section, posted, client)
    return intake_submit(intake_id=intake.pk, client=client, revision=intake.revision)


Opened = tuple[Client, Intake, str]


@pytest.fixture
def opened(client_user: User) -> Opened:
    """A client with details on file who has started the intake and opened About you:
    their browser, the draft and the page."""
    _with_details(client_user)
    http = signed_in(client_user)
    intake = _start(http)
    return http, intake, _about_you(http, intake)


def _profile_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="client.profile_updated").order_by("seq"))


def _as_posted(page: str) -> dict[str, str]:
    """What the About-you page posts when the client changes nothing on it."""
    return {name: _input_value(page, name) or "" for name in
            ("legal_name", "preferred_name", "date_of_birth", "phone",
             "emergency_contact_name")}


def test_about_you_starts_filled_with_the_details_on_file(opened: Opened) -> None:
    _, _, page = opened
    assert _input_value(page, "legal_name") == "Robin Q. Example"
    assert _input_value(page, "preferred_name") == "Rob"
    assert _input_value(page, "date_of_birth") == "1988-07-03"
    assert _input_value(page, "phone") == "+1 555 010 0199"
    assert _input_value(page, "emergency_contact_name") == "Sam Example"
    # Editable: ordinary inputs, not read-only copies.
    assert "readonly" not in must_search(r'<input[^>]*name="legal_name"[^>]*>', page).group(0)


def test_sending_the_intake_untouched_changes_no_detail(client_user: User, opened: Opened) -> None:
    _, intake, page = opened
    before = len(_profile_events())
    _finish_and_send(intake, client_user, _as_posted(page))
    profile = ClientProfile.objects.get(user=client_user)
    for name, value in ON_FILE.items():
        assert getattr(profile, name) == value
    assert len(_profile_events()) == before


def test_only_the_details_changed_on_the_page_are_written_and_audited(
    client_user: User, opened: Opened,
) -> None:
    _http, intake, page = opened
    posted = _as_posted(page)
    posted.update(preferred_name="Robbie", pronouns="they/them")
    _finish_and_send(intake, client_user, posted)
    profile = ClientProfile.objects.get(user=client_user)
    assert profile.preferred_name == "Robbie"
    assert profile.pronouns == "they/them"
    assert profile.legal_name == "Robin Q. Example"
    assert profile.phone == "+1 555 010 0199"
    event = _profile_events()[-1]
    assert event.detail == {"fields": ["preferred_name", "pronouns"], "source": "intake"}


def test_a_correction_on_the_details_page_after_the_draft_began_is_kept(
    client_user: User, opened: Opened,
) -> None:
    http, intake, page = opened
    stale_copy = _as_posted(page)
    # Meanwhile, on /me/details/, the client corrects their phone and legal name.
    response = http.post(reverse("client_details"), {
        "legal_name": "Robin Quinn Example", "preferred_name": "Rob",
        "date_of_birth": "1988-07-03", "phone": "+1 555 010 0200",
        "emergency_contact_name": "Sam Example",
    })
    assert response.status_code == HTTPStatus.FOUND
    # An older tab then sends the page as it was filled.
    _finish_and_send(intake, client_user, stale_copy)
    profile = ClientProfile.objects.get(user=client_user)
    assert profile.legal_name == "Robin Quinn Example"
    assert profile.phone == "+1 555 010 0200"
    # The intake itself holds the details as they stand.
    assert Intake.objects.get(pk=intake.pk).answers["phone"] == "+1 555 010 0200"


def test_about_you_follows_a_correction_the_client_has_not_overridden(
    client_user: User, opened: Opened,
) -> None:
    http, intake, _ = opened
    profile_update(client=client_user, values={"phone": "+1 555 010 0300"},
                   source=SOURCE_CLIENT)
    assert _input_value(_about_you(http, intake), "phone") == "+1 555 010 0300"


def test_an_answer_the_client_typed_is_never_replaced_by_the_details_on_file(
    client_user: User, opened: Opened,
) -> None:
    http, intake, page = opened
    posted = _as_posted(page)
    posted["phone"] = "+1 555 010 0400"
    intake = save_page(Intake.objects.get(pk=intake.pk), "about_you", posted, client_user)
    profile_update(client=client_user, values={"phone": "+1 555 010 0500"},
                   source=SOURCE_CLIENT)
    assert _input_value(_about_you(http, intake), "phone") == "+1 555 010 0400"


def test_emptying_a_detail_on_the_page_clears_it(client_user: User, opened: Opened) -> None:
    _http, intake, page = opened
    posted = _as_posted(page)
    posted["emergency_contact_name"] = ""
    _finish_and_send(intake, client_user, posted)
    assert ClientProfile.objects.get(user=client_user).emergency_contact_name is None


def test_a_new_legal_name_leaves_earlier_signatures_as_typed(client_user: User) -> None:
    _with_details(client_user)
    document = ConsentDocument.objects.create(kind="communication", title="Contact",
                                              requirement="optional")
    version = version_publish(version=ConsentVersion.objects.create(
        document=document, summary="What this is.", body="The text."), actor=None)
    signature = consent_sign(client=client_user, version_id=version.pk,
                             expected_sha256=version.sha256, typed_name="Robin Q. Example",
                             agreed=True)
    http = signed_in(client_user)
    intake = _start(http)
    posted = _as_posted(_about_you(http, intake))
    posted["legal_name"] = "Robin Example-Quinn"
    _finish_and_send(intake, client_user, posted)
    assert ClientProfile.objects.get(user=client_user).legal_name == "Robin Example-Quinn"
    assert ConsentSignature.objects.get(pk=signature.pk).typed_name == "Robin Q. Example"


def test_the_copy_on_the_draft_is_encrypted(client_user: User, opened: Opened) -> None:
    _http, intake, _ = opened
    with connection.cursor() as cursor:
        cursor.execute("SELECT details_on_file FROM intake_intake")
        [(raw,)] = cursor.fetchall()
    assert raw is not None
    assert b"Robin" not in bytes(raw)
    assert Intake.objects.get(pk=intake.pk).details_on_file["legal_name"] == "Robin Q. Example"
