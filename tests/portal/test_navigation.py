"""The top navigation names each role's sections and marks where you are; the client's home
says where they stand now (and, once everything is signed and sent, what happens next)."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from consents.defaults import install_default_documents
from consents.models import DocumentKind
from consents.services import consent_sign, consent_statuses
from intake.services import intake_start
from portal.formatting import format_day, format_iso
from portal.models import User
from tests.factories import fill_practice_settings
from tests.helpers import reauthenticate
from tests.intake_data import submitted_intake

pytestmark = pytest.mark.django_db

CLINICIAN_SECTIONS = ["Intakes", "Clients", "Cases", "Scores", "Audit trail"]
ADMIN_SECTIONS = ["Intakes", "Clients", "Cases", "Scores", "Consents", "Invitations", "Audit trail",
                  "Outgoing messages", "Practice settings"]
CLIENT_SECTIONS = ["Home", "My progress", "Account security", "Email", "Password"]
LINK = re.compile(r'<a class="nav-link" href="([^"]+)"( aria-current="page")?>([^<]+)</a>')


def _menu(html: str, part: str) -> list[tuple[str, str, bool]]:
    """(label, address, marked current) for each link of one part of the top menu."""
    block = re.search(rf'<ul [^>]*data-nav="{part}">(.*?)</ul>', html, re.S)
    if block is None:
        return []
    return [(label, href, bool(current)) for href, current, label in LINK.findall(block[1])]


def _page(http: Client, url: str) -> str:
    response = http.get(url)
    assert response.status_code == HTTPStatus.OK, url
    return response.content.decode()


def test_a_clinician_sees_exactly_their_sections(as_clinician: Client) -> None:
    menu = _menu(_page(as_clinician, reverse("staff_home")), "sections")
    assert [label for label, _, _ in menu] == CLINICIAN_SECTIONS
    assert not any(current for _, _, current in menu)


def test_an_admin_sees_exactly_theirs(as_admin: Client) -> None:
    menu = _menu(_page(as_admin, reverse("staff_home")), "sections")
    assert [label for label, _, _ in menu] == ADMIN_SECTIONS


@pytest.mark.parametrize(("url_name", "section"), [
    ("staff_intake_list", "Intakes"),
    ("client_list", "Clients"),
    ("audit_log", "Audit trail"),
    ("consent_dashboard", "Consents"),
    ("consent_outstanding", "Consents"),
    ("invitation_list", "Invitations"),
    ("outgoing_messages", "Outgoing messages"),
    ("practice_settings", "Practice settings"),
])
def test_the_current_section_is_marked_and_only_it(as_admin: Client, url_name: str,
                                                   section: str) -> None:
    reauthenticate(as_admin)  # practice settings ask for the password again
    html = _page(as_admin, reverse(url_name))
    marked = [label for label, _, current in _menu(html, "sections") if current]
    assert marked == [section]


def test_a_page_inside_a_section_marks_it(as_admin: Client, client_user: User) -> None:
    """An intake's own page belongs to Intakes, a client's record to Clients: the menu
    marks sections, not only their lists."""
    intake = submitted_intake(client_user)
    for url, section in ((reverse("staff_intake_detail", args=[intake.pk]), "Intakes"),
                         (reverse("client_profile", args=[client_user.pk]), "Clients")):
        html = _page(as_admin, url)
        assert [label for label, _, current in _menu(html, "sections") if current] == [section]


def test_staff_reach_their_own_account_beside_the_sections(as_clinician: Client) -> None:
    html = _page(as_clinician, reverse("staff_name"))
    assert _menu(html, "account") == [("Your account", reverse("mfa_index"), True)]
    assert not any(current for _, _, current in _menu(html, "sections"))


def test_a_client_sees_their_own_menu_with_home_marked_on_its_pages(as_client: Client
                                                                    ) -> None:
    for url in (reverse("client_home"), reverse("client_details"), reverse("record_access")):
        menu = _menu(_page(as_client, url), "sections")
        assert [label for label, _, _ in menu] == CLIENT_SECTIONS
        assert [label for label, _, current in menu if current] == ["Home"]


def test_no_staff_section_is_offered_to_a_client(as_client: Client) -> None:
    html = _page(as_client, reverse("client_home"))
    for staff_url in ("staff_intake_list", "client_list", "audit_log", "consent_dashboard",
                      "outgoing_messages"):
        assert f'href="{reverse(staff_url)}"' not in html


# --- The client's home says where they stand ---------------------------------------------


def _sign_everything_required(client: User) -> None:
    for status in consent_statuses(client):
        if status.blocks and status.document.kind != DocumentKind.RELEASE_AUTHORIZATION:
            assert status.current is not None, "a document that blocks has a published version"
            consent_sign(client=client, version_id=status.current.id,
                         expected_sha256=status.current.sha256,
                         typed_name="Robin Example", agreed=True)


def _home(http: Client) -> str:
    return re.sub(r"\s+", " ", _page(http, reverse("client_home")))


def test_a_new_client_is_asked_to_sign_first(as_client: Client) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    html = _home(as_client)
    assert "Please read and sign" in html
    assert "Not started" in html and "Please sign the documents above first" in html
    assert "You're all set" not in html


def test_a_client_part_way_through_is_told_their_answers_are_saved(
    as_client: Client, client_user: User
) -> None:
    intake_start(client=client_user)
    html = _home(as_client)
    assert "In progress" in html and "Continue your intake" in html
    assert "You're all set" not in html


def test_a_client_who_signed_and_sent_sees_what_happens_next(
    as_client: Client, client_user: User
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    _sign_everything_required(client_user)
    intake = submitted_intake(client_user)
    html = _home(as_client)
    assert "You're all set" in html
    assert "What happens next" in html
    assert "Your therapist will read your answers before you meet." in html
    assert "Please read and sign" not in html
    assert f"you sent your intake on <time datetime=\"{format_iso(intake.submitted_at)}\">" \
        f"{format_day(intake.submitted_at)}</time>" in html
    assert "will appear" not in html and "will ask you here" not in html


def test_sent_but_a_document_still_unsigned_is_not_all_set(
    as_client: Client, client_user: User
) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    submitted_intake(client_user)
    html = _home(as_client)
    assert "Sent" in html and "still need your signature" in html
    assert "You're all set" not in html


def test_staff_home_makes_no_promise_about_later(as_clinician: Client) -> None:
    html = _page(as_clinician, reverse("staff_home"))
    assert "will appear here" not in html
