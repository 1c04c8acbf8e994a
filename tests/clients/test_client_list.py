"""The staff client list: who sees which clients, what each row says, the order, finding a
client by legal name, date of birth or phone (through the blind indexes, never the URL), and a
fixed number of queries however many clients a page holds. Name search by a single word,
Post/Redirect/Get, paging results and the rate limit: tests/clients/test_client_search.py."""

from __future__ import annotations

import datetime
import logging
import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.search import BY_DATE_OF_BIRTH, BY_NAME, client_search
from consents.models import ConsentDocument, ConsentVersion, DocumentKind, Requirement
from consents.services import consent_sign, consent_withdraw, version_publish
from intake.models import Intake, IntakeState, SafetyAlert
from intake.services import intake_start
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.crypto.blind_index import blind_search
from portal.crypto.owners import client_owner
from portal.crypto.rotation import erase_owner_keys
from portal.models import ClientNameToken, ClientProfile, Invitation, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import client_account, listed_emails, published_version, signed_in
from tests.intake_data import submitted_intake

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

LIST_URL = reverse("client_list")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.I)


# People, documents and helpers -------------------------------------------------------------



def _row(response: TestResponse, email: str) -> Any:
    return next(row for row in response.context["rows"] if row.client.email == email)


def _search(http: Client, q: str, by: str = "auto") -> TestResponse:
    """Search as a browser does: post, then follow the redirect to the results (a search
    that cannot run is answered in place)."""
    return http.post(LIST_URL, {"q": q, "by": by}, follow=True)


def _publish(document: ConsentDocument, *, material: bool = False) -> ConsentVersion:
    version = ConsentVersion.objects.create(document=document, summary="What this is.",
                                            body="The text.", material_change=material)
    return version_publish(version=version, actor=None)


def _document(kind: str, requirement: str) -> ConsentDocument:
    document = ConsentDocument.objects.create(kind=kind, title=kind, requirement=requirement)
    _publish(document)
    return document


def _sign(client: User, document: ConsentDocument, name: str = "Client Person") -> Any:
    """Signs with the legal name on record if there is one (a submitted intake gives one),
    else ``name``."""
    profile = ClientProfile.objects.filter(user=client).first()
    if profile is not None and profile.legal_name:
        name = profile.legal_name
    version = published_version(document)
    return consent_sign(client=client, version_id=version.pk, expected_sha256=version.sha256,
                        typed_name=name, agreed=True)


def _flag(intake: Intake, *, acknowledged: bool = False) -> None:
    closed_at = timezone.now() if acknowledged else None
    SafetyAlert.objects.update_or_create(
        intake=intake, defaults={"closed_at": closed_at},
        create_defaults={"closed_at": closed_at, "client_id": intake.client_id,
                         "case_id": intake.case_id})


def _searches() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.CLIENT_SEARCHED).order_by("seq"))


# Who sees whom ------------------------------------------------------------------------------


def test_clinician_sees_only_assigned_clients_and_admin_sees_everyclient_account(
    clinician_user: User, admin_user: User
) -> None:
    mine = client_account("mine@example.com", clinician=clinician_user)
    theirs = client_account("theirs@example.com")

    clinician_page = signed_in(clinician_user).get(LIST_URL)
    admin_page = signed_in(admin_user).get(LIST_URL)

    assert listed_emails(clinician_page) == [mine.email]
    assert theirs.email.encode() not in clinician_page.content
    assert listed_emails(admin_page) == [mine.email, theirs.email]
    assert f'href="{reverse("client_profile", args=[mine.pk])}"'.encode() in admin_page.content


def test_a_query_string_never_searches(admin_user: User) -> None:
    """The search only answers a POST: a term in a URL is ignored, not honoured."""
    client_account("a@example.com", legal_name="Ana Silva")
    client_account("b@example.com", legal_name="Ben Okoro")

    response = signed_in(admin_user).get(LIST_URL, {"q": "Ana Silva", "by": "name"})

    assert listed_emails(response) == ["a@example.com", "b@example.com"]
    assert not _searches()


# What each row says --------------------------------------------------------------------------


def test_each_row_shows_account_invitation_intake_and_consent_status(
    admin_user: User,
) -> None:
    treatment = _document(DocumentKind.TREATMENT, Requirement.BEFORE_INTAKE)
    privacy = _document(DocumentKind.PRIVACY_NOTICE, Requirement.BEFORE_FIRST_SESSION)
    optional = _document(DocumentKind.COMMUNICATION, Requirement.OPTIONAL)
    # Signed everything, then the treatment consent changed materially; the others below
    # sign the new version.
    resign = client_account("resign@example.com")
    _sign(resign, treatment)
    _sign(resign, privacy)
    _sign(resign, optional)
    _publish(treatment, material=True)

    done = client_account("done@example.com")
    Invitation.objects.create(email=done.email, expires_at=timezone.now(), nonce_sha256="0" * 64,
                              accepted_at=timezone.now(), accepted_by=done)
    submitted_intake(done)
    _sign(done, treatment)
    _sign(done, privacy)  # the optional document stays unsigned: it never counts

    half = UserFactory(role=Role.CLIENT, email="half@example.com", verified=False)
    intake_start(client=half)
    _sign(half, treatment)

    flagged = client_account("flagged@example.com")
    _flag(intake_start(client=flagged))
    _sign(flagged, treatment)
    withdrawn = _sign(flagged, privacy)
    consent_withdraw(client=flagged, signature_id=withdrawn.pk)

    closed = client_account("closed@example.com")
    User.objects.filter(pk=closed.pk).update(is_active=False)
    erased = client_account("erased@example.com", legal_name="Gone Person")
    erase_owner_keys(client_owner(erased.pk))
    User.objects.filter(pk=erased.pk).update(is_active=False)

    response = signed_in(admin_user).get(LIST_URL)
    assert response.status_code == HTTPStatus.OK

    def status(email: str) -> tuple[str, str, bool, list[str]]:
        row = _row(response, email)
        return (row.account.text, row.intake.badge.text, row.intake.needs_prompt_review,
                [badge.text for badge in row.consents])

    assert status("done@example.com") == ("Active", "Submitted", False,
                                          ["All required signed"])
    assert status("half@example.com") == ("Email not verified", "Draft in progress", False,
                                          ["1 required to sign"])
    assert status("flagged@example.com") == ("Active", "Draft in progress", True,
                                             ["1 withdrawn"])
    assert status("resign@example.com") == ("Active", "Not started", False,
                                            ["1 must sign again"])
    assert status("closed@example.com") == ("Closed", "Not started", False, [])
    assert status("erased@example.com") == ("Erased", "Not started", False, [])
    assert _row(response, "done@example.com").invitation.accepted_by_id == done.pk
    assert _row(response, "half@example.com").invitation is None

    page = response.content.decode()
    assert "Invitation accepted" in page and "Joined without an invitation" in page
    assert "Needs prompt review" in page and "1 must sign again" in page
    assert "Gone Person" not in page  # the list decrypts nothing


def test_a_client_with_nothing_required_published_has_nothing_to_sign(
    admin_user: User,
) -> None:
    _document(DocumentKind.COMMUNICATION, Requirement.OPTIONAL)
    client_account("new@example.com")

    response = signed_in(admin_user).get(LIST_URL)

    assert [b.text for b in _row(response, "new@example.com").consents] == [
        "Nothing to sign yet"]


def test_open_invitations_are_counted_for_admins_only(
    admin_user: User, clinician_user: User
) -> None:
    Invitation.objects.create(email="soon@example.com", nonce_sha256="0" * 64,
                              expires_at=timezone.now() + datetime.timedelta(days=3))
    Invitation.objects.create(email="late@example.com", nonce_sha256="0" * 64,
                              expires_at=timezone.now() - datetime.timedelta(days=1))

    admin_page = signed_in(admin_user).get(LIST_URL).content.decode()
    clinician_page = signed_in(clinician_user).get(LIST_URL).content.decode()

    assert "1 invitation is still waiting" in admin_page
    assert "invitation is still waiting" not in clinician_page


# Order and pages -------------------------------------------------------------------------------


def test_clients_needing_prompt_review_come_first_then_by_email(admin_user: User) -> None:
    for email in ("amy@example.com", "zed@example.com", "kim@example.com",
                  "bob@example.com"):
        client_account(email)
    _flag(intake_start(client=User.objects.get(email="zed@example.com")))
    _flag(intake_start(client=User.objects.get(email="kim@example.com")))
    # Acknowledged: a clinician has seen it, so it takes its place by email again.
    _flag(intake_start(client=User.objects.get(email="bob@example.com")), acknowledged=True)

    response = signed_in(admin_user).get(LIST_URL)

    assert listed_emails(response) == ["kim@example.com", "zed@example.com", "amy@example.com",
                                 "bob@example.com"]
    flagged_intake = Intake.objects.get(client__email="kim@example.com")
    assert _row(response, "kim@example.com").intake.intake_id == flagged_intake.pk
    assert reverse("staff_intake_detail", args=[flagged_intake.pk]).encode() in response.content


def test_the_list_is_paginated(admin_user: User) -> None:
    for n in range(5):
        client_account(f"client{n}@example.com")
    http = signed_in(admin_user)

    with mock.patch("clients.views.records.CLIENTS_PER_PAGE", 2):
        first = http.get(LIST_URL)
        last = http.get(LIST_URL, {"page": 3})

    assert listed_emails(first) == ["client0@example.com", "client1@example.com"]
    assert listed_emails(last) == ["client4@example.com"]
    assert b"page 3 of 3" in last.content
    assert b'href="?page=2"' in first.content


def test_the_page_is_an_accessible_table_without_inline_script_or_style(
    admin_user: User,
) -> None:
    client_account("a@example.com")

    page = signed_in(admin_user).get(LIST_URL).content.decode()

    assert "<caption>" in page and 'class="table-responsive' in page
    assert page.count('<th scope="col">') == 4 and '<th scope="row">' in page
    assert not INLINE_SCRIPT.search(page) and not INLINE_STYLE.search(page)
    assert '<form method="post"' in page and "csrfmiddlewaretoken" in page
    assert 'autocomplete="off"' in page


# Searching ------------------------------------------------------------------------------------


@pytest.fixture
def people(clinician_user: User) -> dict[str, User]:
    """Three clients with near-miss details; only ``jose`` is on Dr. Lee's caseload."""
    return {
        "jose": client_account("jose@example.com", clinician=clinician_user,
                        legal_name="José María O'Neil-Ávila",
                        date_of_birth=datetime.date(1985, 7, 9), phone="(415) 555-0132"),
        "namesake": client_account("namesake@example.com", legal_name="José María O'Neil",
                            date_of_birth=datetime.date(1985, 7, 10), phone="(415) 555-0133"),
        "hidden": client_account("hidden@example.com", legal_name="Hidden Person",
                          date_of_birth=datetime.date(1970, 1, 2), phone="+1 212 555 0199"),
    }


def test_search_by_name_ignores_case_accents_punctuation_and_spacing(
    admin_user: User, people: dict[str, User]
) -> None:
    http = signed_in(admin_user)
    typed = (
        ("José María O'Neil-Ávila", "name"),
        ("  JOSE   maria O\u2019NEIL-AVILA ", "name"),  # a typographic apostrophe
        ("jose maria oneilavila", "name"),
        ("jose maria o'neil-avila", "auto"),
    )
    for q, by in typed:
        response = _search(http, q, by)
        assert response.status_code == HTTPStatus.OK, q
        assert listed_emails(response) == ["jose@example.com"], q
        assert response.context["searched"] is True
    assert b"Search results" in response.content and b"1 client found" in response.content
    # Part of the name finds everyone whose legal name has every word typed.
    assert listed_emails(_search(http, "José María", "name")) == ["jose@example.com",
                                                            "namesake@example.com"]
    assert listed_emails(_search(http, "Maria Avila")) == ["jose@example.com"]
    assert listed_emails(_search(http, "José Maria Smith", "name")) == []


def test_search_by_date_of_birth_in_either_shape(
    admin_user: User, people: dict[str, User]
) -> None:
    http = signed_in(admin_user)
    for q, by in (("1985-07-09", "date_of_birth"), ("07/09/1985", "auto"),
                  ("7/9/1985", "date_of_birth"), (" 1985-7-9 ", "auto")):
        assert listed_emails(_search(http, q, by)) == ["jose@example.com"], q


def test_search_by_phone_in_any_common_shape(
    admin_user: User, people: dict[str, User]
) -> None:
    http = signed_in(admin_user)
    for q, by in (("(415) 555-0132", "phone"), ("+1 415 555 0132", "auto"),
                  ("415.555.0132", "auto"), ("4155550132", "phone")):
        assert listed_emails(_search(http, q, by)) == ["jose@example.com"], q
    assert listed_emails(_search(http, "212-555-0199")) == ["hidden@example.com"]


def test_search_finds_every_client_with_the_same_detail_in_list_order(
    admin_user: User, people: dict[str, User]
) -> None:
    twin = client_account("a.twin@example.com", date_of_birth=datetime.date(1985, 7, 9))
    _flag(intake_start(client=people["jose"]))

    response = _search(signed_in(admin_user), "1985-07-09")

    assert listed_emails(response) == ["jose@example.com", twin.email]


def test_false_positives_from_the_truncated_index_are_dropped(
    admin_user: User, people: dict[str, User]
) -> None:
    """Force the collision a 16-bit index makes now and then: the namesake's and the hidden
    client's index values are set to Jose's. Only the client whose decrypted value really
    matches is returned."""
    jose = ClientProfile.objects.get(user=people["jose"])
    ClientProfile.objects.exclude(pk=jose.pk).update(
        legal_name_bidx=jose.legal_name_bidx, date_of_birth_bidx=jose.date_of_birth_bidx,
        phone_bidx=jose.phone_bidx,
    )
    assert ClientProfile.objects.filter(legal_name_bidx=jose.legal_name_bidx).count() == 3
    # And every word of every other name gets the digests of every word of Jose's.
    jose_words = set(ClientNameToken.objects.filter(profile=jose)
                     .values_list("token", flat=True))
    for other in ClientProfile.objects.exclude(pk=jose.pk):
        ClientNameToken.objects.filter(profile=other).delete()
        ClientNameToken.objects.bulk_create(
            ClientNameToken(profile=other, token=token) for token in jose_words)

    assert client_search(viewer=admin_user, kind=BY_NAME,
                         value="JOSE MARIA ONEIL-AVILA") == [people["jose"].pk]
    assert client_search(viewer=admin_user, kind=BY_NAME, value="avila") == [people["jose"].pk]
    http = signed_in(admin_user)
    for q in ("José María O'Neil-Ávila", "1985-07-09", "415 555 0132"):
        assert listed_emails(_search(http, q)) == ["jose@example.com"], q


def test_clinician_cannot_find_a_client_off_their_caseload(
    admin_user: User, clinician_user: User, people: dict[str, User]
) -> None:
    admin_found = _search(signed_in(admin_user), "Hidden Person")
    clinician_found = _search(signed_in(clinician_user), "Hidden Person")

    assert listed_emails(admin_found) == ["hidden@example.com"]
    assert clinician_found.status_code == HTTPStatus.OK
    assert listed_emails(clinician_found) == []
    assert b"No clients found." in clinician_found.content
    assert b"hidden@example.com" not in clinician_found.content
    # Not even decrypted: candidates are drawn from the caseload only.
    with mock.patch("clients.search.blind_search", wraps=blind_search) as spy:
        client_search(viewer=clinician_user, kind=BY_DATE_OF_BIRTH,
                      value=datetime.date(1970, 1, 2))
    candidates = spy.call_args.args[0]
    assert set(candidates.values_list("user_id", flat=True)) == {people["jose"].pk}


def test_a_client_whose_keys_were_destroyed_is_skipped_not_an_error(
    admin_user: User, people: dict[str, User]
) -> None:
    # erase_owner_keys alone leaves the blind indexes (client_erase clears them too).
    erase_owner_keys(client_owner(people["hidden"].pk))

    response = _search(signed_in(admin_user), "Hidden Person")

    assert response.status_code == HTTPStatus.OK
    assert listed_emails(response) == []


MALFORMED = (
    # (typed, search by, what the page says)
    ("", "auto", "Enter a legal name, a date of birth or a phone number"),
    ("   ", "name", "Enter a legal name, a date of birth or a phone number"),
    ("1990-02-30", "auto", "That date does not exist."),
    ("13/45/1990", "date_of_birth", "That date does not exist."),
    ("1990/04/21", "auto", "Enter the date of birth as year-month-day"),
    ("21.04.1990", "auto", "Enter the date of birth as year-month-day"),
    ("April 21 1990", "date_of_birth", "Enter the date of birth as year-month-day"),
    ("2999-01-01", "auto", "A date of birth cannot be in the future."),
    ("call me", "phone", "Enter a phone number in digits"),
    ("555 01", "auto", "A phone number has 7 to 15 digits."),
    ("!!! ---", "name", "with at least one letter"),
    ("x" * 201, "name", "too long"),
    ("Ana", "surname", "Choose from the list."),
)


def test_malformed_searches_say_what_to_fix_and_decrypt_nothing(
    admin_user: User, people: dict[str, User]
) -> None:
    http = signed_in(admin_user)
    for typed, by, message in MALFORMED:
        response = _search(http, typed, by)
        assert response.status_code == HTTPStatus.OK, typed
        page = response.content.decode()
        assert message in page.replace("&#x27;", "'"), (typed, message)
        assert "This search could not be run, so the list below is not filtered." in page
        assert response.context["searched"] is False
        assert len(listed_emails(response)) == 3  # the unfiltered list, first page
    assert not _searches()


def test_the_search_term_stays_out_of_urls_logs_and_the_audit_trail(
    admin_user: User, people: dict[str, User], caplog: pytest.LogCaptureFixture
) -> None:
    http = signed_in(admin_user)
    caplog.set_level(logging.DEBUG)

    response = _search(http, "Hidden Person")
    dob = _search(http, "1970-01-02", "date_of_birth")
    nobody = _search(http, "555 123 4567")

    # Redirected to a random token, not the term; no link on the page has it either.
    assert response.status_code == dob.status_code == nobody.status_code == HTTPStatus.OK
    for followed in (response, dob, nobody):
        [(location, status)] = followed.redirect_chain
        assert status == HTTPStatus.FOUND
        assert re.fullmatch(r"/staff/clients/\?results=[A-Za-z0-9_-]{22}", location), location
    assert "Hidden" not in " ".join(re.findall(r'href="([^"]*)"', response.content.decode()))
    for term in ("Hidden", "Person", "1970-01-02", "4567"):
        assert term not in caplog.text, term
    events = _searches()
    assert [(e.actor_id, e.subject_id, e.detail) for e in events] == [
        (admin_user.pk, None, {"by": "name", "results": 1}),
        (admin_user.pk, None, {"by": "date_of_birth", "results": 1}),
        (admin_user.pk, None, {"by": "phone", "results": 0}),
    ]
    for event in events:
        columns = " ".join(str(value) for value in vars(event).values())
        for term in ("Hidden", "Person", "1970", "4567"):
            assert term not in columns, term


def test_search_needs_the_csrf_token(admin_user: User, people: dict[str, User]) -> None:
    http = signed_in(admin_user)
    http.handler.enforce_csrf_checks = True

    response = _search(http, "Hidden Person")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not _searches()


def test_clients_and_strangers_cannot_search(
    client_user: User, people: dict[str, User]
) -> None:
    assert _search(signed_in(client_user), "Hidden Person").status_code == HTTPStatus.NOT_FOUND
    anonymous = Client().post(LIST_URL, {"q": "Hidden Person", "by": "auto"})
    assert anonymous.status_code == HTTPStatus.FOUND
    assert anonymous["Location"].startswith(reverse("account_login"))
    assert "Hidden" not in anonymous["Location"]
    assert not _searches()


def test_more_matches_than_a_page_are_paged_under_the_same_token(admin_user: User) -> None:
    for n in range(3):
        client_account(f"same{n}@example.com", date_of_birth=datetime.date(2000, 1, 1))
    http = signed_in(admin_user)

    with mock.patch("clients.views.records.CLIENTS_PER_PAGE", 2):
        response = _search(http, "2000-01-01")
        results_url = response.redirect_chain[-1][0]
        token = results_url.split("results=")[1]
        second = http.get(LIST_URL, {"results": token, "page": "2"})

    assert listed_emails(response) == ["same0@example.com", "same1@example.com"]
    assert b"3 clients found; page 1 of 2." in response.content
    assert f'href="?results={token}&amp;page=2"'.encode() in response.content
    assert listed_emails(second) == ["same2@example.com"]
    assert b"3 clients found; page 2 of 2." in second.content
    assert len(_searches()) == 1


# Bounded queries -------------------------------------------------------------------------------


def _seed(count: int, start: int, treatment: ConsentDocument) -> None:
    """``count`` clients with a bit of everything: profile, intake (some flagged, some
    submitted), a signature, an accepted invitation."""
    for n in range(start, start + count):
        client = client_account(f"seed{n:03}@example.com", legal_name=f"Seed Person {n}",
                         date_of_birth=datetime.date(1990, 1, 1), phone=f"415555{n:04}")
        intake = intake_start(client=client)
        if n % 3 == 0:
            _flag(intake)
        elif n % 3 == 1:
            Intake.objects.filter(pk=intake.pk).update(state=IntakeState.SUBMITTED,
                                                       submitted_at=timezone.now())
        if n % 2:
            _sign(client, treatment, name=f"Seed Person {n}")
        Invitation.objects.create(email=client.email, nonce_sha256="0" * 64,
                                  expires_at=timezone.now(), accepted_at=timezone.now(),
                                  accepted_by=client)


def _queries(http: Client, method: str, data: dict[str, str] | None = None,
             status: int = HTTPStatus.OK) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(http, method)(LIST_URL, data or {})
    assert response.status_code == status
    return len(captured)


def _results_queries(http: Client, q: str) -> tuple[int, int]:
    """The queries of a search's POST and of the GET of its results page."""
    with CaptureQueriesContext(connection) as posted:
        response = http.post(LIST_URL, {"q": q, "by": "auto"})
    assert response.status_code == HTTPStatus.FOUND
    with CaptureQueriesContext(connection) as shown:
        assert http.get(response["Location"]).status_code == HTTPStatus.OK
    return len(posted), len(shown)


def test_the_number_of_queries_does_not_grow_with_the_clients_on_the_page(
    admin_user: User,
) -> None:
    treatment = _document(DocumentKind.TREATMENT, Requirement.BEFORE_INTAKE)
    _document(DocumentKind.COMMUNICATION, Requirement.OPTIONAL)
    http = signed_in(admin_user)
    _seed(3, 0, treatment)
    # Warm-up: what the first request of a session caches is not what is measured.
    http.get(LIST_URL)
    _results_queries(http, "1990-01-01")

    list_few = _queries(http, "get")
    search_few = _results_queries(http, "1990-01-01")
    name_few = _results_queries(http, "Seed Person")
    assert _searches()[-2].detail == {"by": "date_of_birth", "results": 3}
    assert _searches()[-1].detail == {"by": "name", "results": 3}

    _seed(27, 3, treatment)
    list_many = _queries(http, "get")
    search_many = _results_queries(http, "1990-01-01")
    name_many = _results_queries(http, "Seed Person")

    assert _searches()[-2].detail == {"by": "date_of_birth", "results": 30}
    assert _searches()[-1].detail == {"by": "name", "results": 30}
    assert list_many == list_few
    assert search_many == search_few
    assert name_many == name_few
