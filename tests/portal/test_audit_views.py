"""The audit trail as people see it: staff search and export it, a client sees who opened
their record, and opening a client's profile is itself recorded."""

from __future__ import annotations

import csv
import datetime
import io
import re
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from portal.audit.actions import Action
from portal.audit.context import RequestOrigin
from portal.audit.models import AuditEvent
from portal.audit.selectors import with_client_safe_names, with_staff_names
from portal.audit.service import record_event
from portal.crypto.owners import client_owner
from portal.crypto.rotation import erase_owner_keys
from portal.models import CareAssignment, ClientProfile, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import body_bytes, sign_in, signed_in

if TYPE_CHECKING:
    from tests.helpers import TestResponse

pytestmark = pytest.mark.django_db

AUDIT_URL = reverse("audit_log")
EXPORT_URL = reverse("audit_export")
RECORD_ACCESS_URL = reverse("record_access")


# People and helpers ----------------------------------------------------------------------


@pytest.fixture
def second_clinician() -> User:
    return UserFactory(role=Role.CLINICIAN, email="second.clinician@example.com",
                       display_name="Dr. Okoye", totp=True)



def _event(action: Action, actor: User | None, subject: User | None, **kwargs: Any) -> int:
    return record_event(action, actor=actor, subject=subject, **kwargs).seq


def _event_at(moment: datetime.datetime, action: Action, actor: User, subject: User) -> int:
    """An event recorded as if at ``moment`` (the service stamps the current time)."""
    with mock.patch.object(timezone, "now", return_value=moment):
        return _event(action, actor, subject)


def _local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime.datetime:
    local = timezone.get_current_timezone()
    return datetime.datetime(year, month, day, hour, minute, tzinfo=local)


def _listed(response: TestResponse) -> list[int]:
    return [row.event.seq for row in response.context["rows"]]


def _csv(response: TestResponse) -> list[dict[str, str]]:
    assert response.status_code == HTTPStatus.OK
    body = body_bytes(response).decode()
    return list(csv.DictReader(io.StringIO(body)))


def _exported_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED))


# The staff audit page ----------------------------------------------------------------------


def _reauthenticated(user: User) -> Client:
    """Signed in, password confirmed again (staff downloads and the audit export ask)."""
    return signed_in(user, reauthenticated=True)


def test_clinician_sees_events_of_own_clients_only(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    mine = _event(Action.INTAKE_VIEWED, admin_user, caseload)
    theirs = _event(Action.INTAKE_VIEWED, admin_user, other_client_user)
    key_rotation = _event(Action.KEYS_ROTATED, None, None)

    response = _reauthenticated(clinician_user).get(AUDIT_URL)

    assert response.status_code == HTTPStatus.OK
    listed = _listed(response)
    assert mine in listed
    assert theirs not in listed and key_rotation not in listed
    assert other_client_user.email.encode() not in response.content
    assert str(other_client_user.pk).encode() not in response.content


def test_clinician_filtering_by_an_unassigned_client_is_refused_not_answered(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    mine = _event(Action.INTAKE_VIEWED, admin_user, caseload)
    theirs = _event(Action.CONSENT_VIEWED, admin_user, other_client_user)

    response = _reauthenticated(clinician_user).get(
        AUDIT_URL, {"client": str(other_client_user.pk)})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["client"] == ["Choose from the list."]
    # The refused filter narrows nothing: the clinician's own (unfiltered) view remains.
    assert mine in _listed(response) and theirs not in _listed(response)
    assert other_client_user.email.encode() not in response.content


def test_admin_sees_every_event_and_filters_by_client_actor_and_action(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User,
    second_clinician: User,
) -> None:
    lee_intake = _event(Action.INTAKE_VIEWED, clinician_user, caseload)
    lee_consent = _event(Action.CONSENT_VIEWED, clinician_user, caseload)
    okoye_other = _event(Action.INTAKE_VIEWED, second_clinician, other_client_user)
    rotation = _event(Action.KEYS_ROTATED, None, None)
    admin = _reauthenticated(admin_user)

    everything = _listed(admin.get(AUDIT_URL))
    assert {lee_intake, lee_consent, okoye_other, rotation} <= set(everything)
    assert everything == sorted(everything, reverse=True)  # newest first

    assert _listed(admin.get(AUDIT_URL, {"client": str(caseload.pk)})) == [lee_consent, lee_intake]
    assert _listed(admin.get(AUDIT_URL, {"actor": str(second_clinician.pk)})) == [okoye_other]
    by_action = _listed(admin.get(AUDIT_URL, {"action": Action.INTAKE_VIEWED.value}))
    assert by_action == [okoye_other, lee_intake]
    combined = admin.get(AUDIT_URL, {"client": str(caseload.pk), "actor": str(clinician_user.pk),
                                     "action": Action.CONSENT_VIEWED.value})
    assert _listed(combined) == [lee_consent]


def test_admin_filters_by_an_inclusive_range_of_local_days(
    caseload: User, admin_user: User
) -> None:
    before = _event_at(_local(2020, 3, 1, 23, 59), Action.INTAKE_VIEWED, admin_user, caseload)
    first_day = _event_at(_local(2020, 3, 2, 0, 0), Action.INTAKE_VIEWED, admin_user, caseload)
    last_day = _event_at(_local(2020, 3, 5, 23, 59), Action.INTAKE_VIEWED, admin_user, caseload)
    after = _event_at(_local(2020, 3, 6, 0, 0), Action.INTAKE_VIEWED, admin_user, caseload)
    admin = _reauthenticated(admin_user)

    response = admin.get(AUDIT_URL, {"date_from": "2020-03-02", "date_to": "2020-03-05"})

    assert _listed(response) == [last_day, first_day]
    assert before not in _listed(response) and after not in _listed(response)
    only_from = _listed(admin.get(AUDIT_URL, {"date_from": "2020-03-06"}))
    assert after in only_from and last_day not in only_from


def test_a_backwards_date_range_shows_a_message_and_the_unfiltered_list(
    caseload: User, admin_user: User
) -> None:
    seq = _event(Action.INTAKE_VIEWED, admin_user, caseload)

    response = _reauthenticated(admin_user).get(
        AUDIT_URL, {"date_from": "2026-05-10", "date_to": "2026-05-01"}
    )

    assert response.status_code == HTTPStatus.OK
    assert b"The &#x27;from&#x27; date must be on or before the &#x27;to&#x27; date." in (
        response.content
    )
    assert b"so the list below is not filtered" in response.content
    assert seq in _listed(response)
    assert response.context["filtered"] is False


def test_malformed_filters_are_reported_not_crashed_on(admin_user: User) -> None:
    admin = _reauthenticated(admin_user)
    hostile = [
        {"client": "not-a-uuid"},
        {"actor": "'; DROP TABLE portal_auditevent; --"},
        {"action": "auth.everything"},
        {"date_from": "yesterday"},
        {"date_to": "2026-02-30"},
        {"page": "-1"},
        {"page": "9999"},
    ]
    for params in hostile:
        response = admin.get(AUDIT_URL, params)
        assert response.status_code == HTTPStatus.OK, params
        assert admin.get(EXPORT_URL, params).status_code in (
            HTTPStatus.OK, HTTPStatus.BAD_REQUEST), params


def test_page_links_keep_the_filters_and_carry_only_ids_and_codes(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    wanted = [_event(Action.INTAKE_VIEWED, clinician_user, caseload) for _ in range(53)]
    _event(Action.CONSENT_VIEWED, clinician_user, caseload)
    _event(Action.INTAKE_VIEWED, clinician_user, other_client_user)
    admin = _reauthenticated(admin_user)
    params = {"client": str(caseload.pk), "action": Action.INTAKE_VIEWED.value,
              "date_from": timezone.localdate().isoformat()}

    first = admin.get(AUDIT_URL, params)

    assert _listed(first) == wanted[::-1][:50]
    links = re.findall(r'href="(\?[^"]*page=\d+)"', first.content.decode())
    assert links, "expected page links"
    for link in links:
        assert f"client={caseload.pk}" in link
        assert "action=intake.viewed" in link
        assert f"date_from={params['date_from']}" in link
        assert "@" not in link and "%40" not in link
    second = admin.get(AUDIT_URL, {**params, "page": "2"})
    assert _listed(second) == wanted[::-1][50:]


def test_the_page_shows_names_roles_and_erased_clients_but_only_token_details(
    caseload: User, clinician_user: User, admin_user: User
) -> None:
    gone = UserFactory(role=Role.CLIENT, email="gone@example.com")
    _event(Action.INTAKE_VIEWED, clinician_user, gone)
    gone.delete()
    _event(Action.CONSENT_EXPORTED, clinician_user, caseload, detail={"format": "pdf"})

    response = _reauthenticated(admin_user).get(AUDIT_URL)

    page = response.content.decode()
    assert "Dr. Lee" in page and "Clinician" in page
    assert "erased/unknown" in page
    assert "Consent evidence exported" in page
    assert "format=pdf" in page
    assert "gone@example.com" not in page


def test_staff_names_for_a_page_are_looked_up_in_one_query(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    for _ in range(5):
        _event(Action.INTAKE_VIEWED, clinician_user, caseload)
        _event(Action.CONSENT_VIEWED, admin_user, other_client_user)
    events = list(AuditEvent.objects.order_by("-seq"))
    with django_assert_num_queries(1):
        rows = with_staff_names(events)
    with django_assert_num_queries(1):
        entries = with_client_safe_names(events)
    assert len(rows) == len(entries) == len(events)


# The CSV export ----------------------------------------------------------------------------


def test_csv_export_lists_the_filtered_events_with_every_column(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    origin = RequestOrigin(request_id="abc123", ip_address="203.0.113.9", user_agent="Firefox")
    seq = _event(Action.INTAKE_EXPORTED, clinician_user, caseload, detail={"format": "fhir"},
                 origin=origin)
    _event(Action.INTAKE_EXPORTED, clinician_user, other_client_user)

    response = _reauthenticated(admin_user).get(EXPORT_URL, {"client": str(caseload.pk)})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="audit-{today}.csv"'
    rows = _csv(response)
    assert [int(row["seq"]) for row in rows] == [seq]
    row = rows[0]
    stored = AuditEvent.objects.get(seq=seq)
    assert list(row) == ["seq", "occurred_at", "actor_id", "actor_email", "actor_role",
                         "action", "subject_id", "subject_email", "object_type", "object_id",
                         "request_id", "ip_address", "user_agent", "detail", "mac"]
    assert row["occurred_at"].endswith("+00:00")
    assert datetime.datetime.fromisoformat(row["occurred_at"]) == stored.occurred_at
    assert row["actor_id"] == str(clinician_user.pk)
    assert row["actor_email"] == "clinician@example.com"
    assert row["actor_role"] == "clinician"
    assert row["action"] == "intake.exported"
    assert row["subject_id"] == str(caseload.pk)
    assert row["subject_email"] == "client@example.com"
    assert row["request_id"] == "abc123"
    assert row["ip_address"] == "203.0.113.9"
    assert row["user_agent"] == "Firefox"
    assert row["detail"] == '{"format":"fhir"}'
    assert row["mac"] == bytes(stored.mac).hex()


def test_csv_export_neutralises_spreadsheet_formulas(
    caseload: User, clinician_user: User, admin_user: User
) -> None:
    hostile_agents = ["=HYPERLINK(\"http://evil.example\")", "+1+1", "-2+3", "@SUM(A1)",
                      "\tindented", "ordinary agent"]
    for agent in hostile_agents:
        origin = RequestOrigin(request_id="-req", ip_address=None, user_agent=agent)
        _event(Action.INTAKE_VIEWED, clinician_user, caseload, origin=origin)
    dash_email = UserFactory(role=Role.CLINICIAN, email="-dash@example.com")
    _event(Action.INTAKE_VIEWED, dash_email, caseload)

    rows = _csv(_reauthenticated(admin_user).get(EXPORT_URL, {"client": str(caseload.pk)}))

    agents = [row["user_agent"] for row in rows if row["actor_id"] == str(clinician_user.pk)]
    # Control characters are stripped when recorded, so the tab never reaches the file.
    assert agents == ["'=HYPERLINK(\"http://evil.example\")", "'+1+1", "'-2+3", "'@SUM(A1)",
                      "indented", "ordinary agent"]
    assert {row["request_id"] for row in rows if row["user_agent"]} == {"'-req"}
    assert "'-dash@example.com" in [row["actor_email"] for row in rows]
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_csv_export_records_exactly_one_audit_exported_event(
    caseload: User, clinician_user: User, admin_user: User
) -> None:
    for _ in range(3):
        _event(Action.INTAKE_VIEWED, clinician_user, caseload)
    admin = _reauthenticated(admin_user)
    before = AuditEvent.objects.count()

    filtered_rows = _csv(admin.get(EXPORT_URL, {"action": Action.INTAKE_VIEWED.value}))

    exported = _exported_events()
    assert len(exported) == 1
    assert exported[0].actor_id == admin_user.pk
    assert exported[0].detail == {"rows": 3, "filtered": True}
    assert len(filtered_rows) == 3
    assert AuditEvent.objects.count() == before + 1

    everything = _csv(admin.get(EXPORT_URL))
    # The export's own event is recorded before streaming but left out of its file.
    assert len(everything) == before + 1
    assert _exported_events()[-1].detail == {"rows": before + 1, "filtered": False}
    assert str(_exported_events()[-1].seq) not in [row["seq"] for row in everything]


def test_export_streams_in_keyset_pages(
    caseload: User, clinician_user: User, admin_user: User,
) -> None:
    seqs = [_event(Action.INTAKE_VIEWED, clinician_user, caseload) for _ in range(7)]
    admin = _reauthenticated(admin_user)
    with mock.patch("portal.views.audit_views.EXPORT_BATCH", 3):
        rows = _csv(admin.get(EXPORT_URL, {"client": str(caseload.pk)}))
    assert [int(row["seq"]) for row in rows] == seqs


def test_clinicians_export_excludes_other_clients(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    mine = _event(Action.INTAKE_VIEWED, admin_user, caseload)
    _event(Action.INTAKE_VIEWED, admin_user, other_client_user)
    _event(Action.KEYS_ROTATED, None, None)
    clinician = _reauthenticated(clinician_user)

    rows = _csv(clinician.get(EXPORT_URL))

    assert {row["subject_id"] for row in rows} == {str(caseload.pk)}
    assert mine in [int(row["seq"]) for row in rows]
    assert "other.client@example.com" not in {row["subject_email"] for row in rows}
    assert _exported_events()[-1].detail["filtered"] is False

    refused = clinician.get(EXPORT_URL, {"client": str(other_client_user.pk)})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert b"Choose from the list." in refused.content
    assert "other.client@example.com" not in refused.content.decode()
    assert len(_exported_events()) == 1  # the refused export recorded nothing


# A client's "Who has opened my record" -------------------------------------------------------


def test_client_sees_a_staff_view_of_their_profile_with_name_and_role(
    caseload: User, clinician_user: User
) -> None:
    assert _reauthenticated(clinician_user).get(
        reverse("client_profile", args=[caseload.pk])
    ).status_code == HTTPStatus.OK

    response = _reauthenticated(caseload).get(RECORD_ACCESS_URL)

    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Dr. Lee (Clinician) opened your contact details" in page
    assert "clinician@example.com" not in page
    assert "No one at the practice has opened your record yet." not in page


def test_client_sees_nothing_of_another_clients_record_access(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    _reauthenticated(admin_user).get(reverse("client_profile", args=[other_client_user.pk]))
    _event(Action.INTAKE_VIEWED, clinician_user, other_client_user)

    response = _reauthenticated(caseload).get(RECORD_ACCESS_URL)

    page = response.content.decode()
    assert "No one at the practice has opened your record yet." in page
    assert "Pat Admin" not in page and "Dr. Lee" not in page
    assert other_client_user.email not in page


def test_a_clients_own_openings_and_other_events_do_not_appear(
    caseload: User, clinician_user: User
) -> None:
    _event(Action.INTAKE_VIEWED, caseload, caseload)
    _event(Action.CONSENT_VIEWED, caseload, caseload)
    _event(Action.CLIENT_ASSIGNED, clinician_user, caseload)  # not an opening of the record

    response = _reauthenticated(caseload).get(RECORD_ACCESS_URL)

    assert response.context["entries"] == []
    assert b"No one at the practice has opened your record yet." in response.content


def test_staff_without_a_display_name_are_shown_as_practice_staff(
    caseload: User, admin_user: User
) -> None:
    nameless = UserFactory(role=Role.PRACTICE_ADMIN, email="nameless@example.com")
    _event(Action.CONSENT_EXPORTED, nameless, caseload, detail={"format": "pdf"})
    departed = UserFactory(role=Role.CLINICIAN, email="departed@example.com",
                           display_name="Dr. Gone")
    _event(Action.INTAKE_VIEWED, departed, caseload)
    departed.delete()

    page = _reauthenticated(caseload).get(RECORD_ACCESS_URL).content.decode()

    assert ("A member of the practice&#x27;s staff (Clinician) opened your intake") in page
    assert ("A member of the practice&#x27;s staff (Practice admin) downloaded a copy of "
            "your consent records") in page
    assert "nameless@example.com" not in page and "Dr. Gone" not in page


def test_record_access_is_paginated_newest_first(caseload: User, clinician_user: User) -> None:
    seqs = [_event(Action.INTAKE_VIEWED, clinician_user, caseload) for _ in range(27)]
    client = _reauthenticated(caseload)

    first = client.get(RECORD_ACCESS_URL)
    second = client.get(RECORD_ACCESS_URL, {"page": 2})

    assert [e.seq for e in first.context["page"].object_list] == seqs[::-1][:25]
    assert [e.seq for e in second.context["page"].object_list] == seqs[::-1][25:]
    assert b'href="?page=2"' in first.content


def test_client_home_links_to_record_access(caseload: User) -> None:
    page = _reauthenticated(caseload).get(reverse("client_home")).content.decode()
    assert f'href="{RECORD_ACCESS_URL}"' in page


# Staff client pages ------------------------------------------------------------------------


def test_opening_a_profile_records_profile_viewed_with_the_client_as_subject(
    caseload: User, clinician_user: User
) -> None:
    profile = ClientProfile.objects.create(user=caseload, legal_name="Maya Okafor",
                                           date_of_birth=datetime.date(1991, 4, 12))

    response = _reauthenticated(clinician_user).get(reverse("client_profile", args=[caseload.pk]))

    assert response.status_code == HTTPStatus.OK
    assert b"Maya Okafor" in response.content and b"12 Apr 1991" in response.content
    viewed = AuditEvent.objects.get(action=Action.CLIENT_PROFILE_VIEWED)
    assert viewed.subject_id == caseload.pk
    assert viewed.actor_id == clinician_user.pk
    assert viewed.actor_role == "clinician"
    assert (viewed.object_type, viewed.object_id) == ("portal.clientprofile", str(profile.pk))
    assert viewed.detail == {}


def test_a_profile_not_filled_in_yet_says_so_and_is_still_recorded(
    caseload: User, admin_user: User
) -> None:
    response = _reauthenticated(admin_user).get(reverse("client_profile", args=[caseload.pk]))

    assert b"This client has not filled in their details yet." in response.content
    viewed = AuditEvent.objects.get(action=Action.CLIENT_PROFILE_VIEWED)
    assert viewed.subject_id == caseload.pk
    assert (viewed.object_type, viewed.object_id) == ("portal.user", str(caseload.pk))


def test_an_erased_clients_profile_says_so_and_records_nothing(
    caseload: User, admin_user: User
) -> None:
    ClientProfile.objects.create(user=caseload, legal_name="Maya Okafor")
    erase_owner_keys(client_owner(caseload.pk))

    response = _reauthenticated(admin_user).get(reverse("client_profile", args=[caseload.pk]))

    assert response.status_code == HTTPStatus.OK
    assert b"details were erased" in response.content
    assert b"Maya" not in response.content
    assert not AuditEvent.objects.filter(action=Action.CLIENT_PROFILE_VIEWED).exists()


def test_stranger_clinician_gets_404_for_an_unassigned_clients_profile(
    caseload: User, other_client_user: User, clinician_user: User, second_clinician: User
) -> None:
    ClientProfile.objects.create(user=other_client_user, legal_name="Daniel Reyes")
    for http, target in ((_reauthenticated(clinician_user), other_client_user),
                         (_reauthenticated(second_clinician), caseload)):
        response = http.get(reverse("client_profile", args=[target.pk]))
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert b"Daniel" not in response.content
    assert not AuditEvent.objects.filter(action=Action.CLIENT_PROFILE_VIEWED).exists()


def test_profile_page_never_contains_another_clients_email(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    ClientProfile.objects.create(user=caseload, legal_name="Maya Okafor")
    for user in (clinician_user, admin_user):
        page = _reauthenticated(user).get(reverse("client_profile", args=[caseload.pk]))
        assert page.status_code == HTTPStatus.OK
        assert caseload.email.encode() in page.content
        assert other_client_user.email.encode() not in page.content


def test_client_list_shows_the_caseload_and_decrypts_nothing(
    caseload: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    ClientProfile.objects.create(user=caseload, legal_name="Maya Okafor")
    before = AuditEvent.objects.count()

    clinician_page = _reauthenticated(clinician_user).get(reverse("client_list")).content.decode()
    admin_page = _reauthenticated(admin_user).get(reverse("client_list")).content.decode()

    assert caseload.email in clinician_page
    assert other_client_user.email not in clinician_page
    assert reverse("client_profile", args=[caseload.pk]) in clinician_page
    assert caseload.email in admin_page and other_client_user.email in admin_page
    assert clinician_user.email not in admin_page.split("<main", 1)[1]  # staff are not clients
    assert "Maya" not in clinician_page + admin_page
    # Only the sign-ins happened since: listing clients is not an audit event.
    assert not AuditEvent.objects.filter(seq__gt=before).exclude(
        action__startswith="auth.").exists()


def test_staff_home_links_to_clients_and_the_audit_trail(clinician_user: User) -> None:
    page = _reauthenticated(clinician_user).get(reverse("staff_home")).content.decode()
    assert f'href="{reverse("client_list")}"' in page
    assert f'href="{AUDIT_URL}"' in page



def test_export_asks_for_the_password_again_and_records_nothing_until_then(
    admin_user: User,
) -> None:
    http = Client()
    sign_in(http, admin_user)
    response = http.get(EXPORT_URL)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED).exists()


def test_clinician_does_not_see_their_clients_sign_ins(
    clinician_user: User, client_user: User
) -> None:
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    sign_in(Client(), client_user)  # records auth.login with the client's IP address
    assert AuditEvent.objects.filter(action=Action.AUTH_LOGIN, subject_id=client_user.pk)
    page = _reauthenticated(clinician_user).get(AUDIT_URL, {"client": str(client_user.pk)})
    assert page.status_code == HTTPStatus.OK
    assert [row.event.action for row in page.context["rows"]] == []
    assert "127.0.0.1" not in page.content.decode()
