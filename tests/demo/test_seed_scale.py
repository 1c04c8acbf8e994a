"""``manage.py seed_scale`` (issue 21, "Scale"): the data set it builds is real (encrypted
under each client's key, blind-indexed, audited on a chain that verifies), and the four
pages measured at scale ask the same number of queries however large it grows. No timers:
``python -m evidence.scale`` measures the time."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse

from clients.search import BY_NAME, client_search
from demo.scale import SCALE_DOMAIN, client_email, profile_values
from intake.models import Intake, IntakeState, SafetyAlert
from portal.audit.actions import Action
from portal.audit.models import AuditChainHead, AuditEvent
from portal.audit.selectors import record_access_for_client
from portal.audit.service import record_events
from portal.crypto.envelope import VERSION
from portal.models import CareAssignment, ClientNameToken, ClientProfile, User
from portal.roles import Role, roles_of
from tests.factories import PASSWORD
from tests.helpers import queries_of_a_second_call, raw_column, sign_in

pytestmark = pytest.mark.django_db


def _seed(clients: int, events: int, **options: Any) -> str:
    out = StringIO()
    call_command("seed_scale", clients=clients, events=events, clinicians=3, admins=2,
                 batch=7, password=PASSWORD, stdout=out, **options)
    return out.getvalue()


def _scale_clients() -> list[User]:
    return list(User.objects.filter(email__startswith="client.",
                                     email__endswith=f"@{SCALE_DOMAIN}").order_by("email"))


def test_seed_scale_builds_clients_with_care_teams_intakes_and_a_chain_that_verifies() -> None:
    output = _seed(30, 500)

    clients = _scale_clients()
    assert len(clients) == 30
    assert all(roles_of(client) == {Role.CLIENT} for client in clients)
    assert ClientProfile.objects.filter(user__in=clients).count() == 30
    assert CareAssignment.objects.filter(client__in=clients).count() == 30
    intakes = Intake.objects.filter(client__in=clients)
    sent = intakes.filter(state=IntakeState.SUBMITTED).count()
    drafts = intakes.filter(state=IntakeState.DRAFT).count()
    alerts = SafetyAlert.objects.filter(client__in=clients).count()
    assert sent and drafts and alerts and sent + drafts < 30  # some have not started
    assert f"({sent} intakes sent, {drafts} drafts, {alerts} safety alerts)" in output
    assert "Passwords: one shared hash" in output

    head = AuditChainHead.objects.get()
    assert head.last_seq >= 500 and AuditEvent.objects.count() == head.last_seq
    call_command("verify_audit_log", stdout=StringIO())  # raises CommandError when broken
    assert AuditEvent.objects.filter(action=Action.INTAKE_SUBMITTED).count() == sent
    assert all(record_access_for_client(client).exists() for client in clients)


def test_seeded_answers_and_details_are_ciphertext_in_the_raw_columns() -> None:
    _seed(12, 100)
    for client in _scale_clients()[2:]:  # the first two made the templates, like the rest
        details = profile_values(int(client.email.split(".")[1].split("@")[0]))
        profile = ClientProfile.objects.get(user=client)
        raw_name = raw_column(ClientProfile, "legal_name", profile.pk)
        assert raw_name is not None and raw_name[0] == VERSION
        assert details["legal_name"].encode() not in raw_name
        assert profile.legal_name == details["legal_name"]  # and it opens, under its key
        for intake in Intake.objects.filter(client=client):
            raw_answers = raw_column(Intake, "answers", intake.pk)
            assert raw_answers is not None and raw_answers[0] == VERSION
            assert b"Trouble sleeping" not in raw_answers
            assert details["legal_name"].encode() not in raw_answers
            assert intake.answers["legal_name"] == details["legal_name"]


def test_seeded_clients_are_found_through_the_blind_indexes(admin_user: User) -> None:
    _seed(12, 100)
    client = User.objects.get(email=client_email(5))
    legal_name = profile_values(5)["legal_name"]
    assert ClientNameToken.objects.filter(profile__user=client).count() == 2
    assert client.pk in client_search(viewer=admin_user, kind=BY_NAME, value=legal_name)


@override_settings(IS_PRODUCTION=True)
def test_seed_scale_refuses_production_settings_without_the_flag() -> None:
    with pytest.raises(CommandError, match="refuses to run in production"):
        _seed(2, 10)
    assert not _scale_clients()


# --- the pages: the same queries however large the data set ---------------------------------


def _queries(ask: Any) -> int:
    response, queries = queries_of_a_second_call(ask)
    assert response.status_code in (200, 302), response.status_code
    return len(queries)


def _page_queries(staff: Client, client: Client, search_for: str) -> dict[str, int]:
    clients_page = reverse("client_list")
    return {
        "client list": _queries(lambda: staff.get(clients_page)),
        "client list, page 2": _queries(lambda: staff.get(f"{clients_page}?page=2")),
        "intake list": _queries(lambda: staff.get(reverse("staff_intake_list"))),
        "search": _queries(lambda: staff.post(clients_page, {"q": search_for, "by": "name"})),
        "who opened my record": _queries(lambda: client.get(reverse("record_access"))),
    }


def test_the_pages_ask_the_same_queries_at_two_sizes_of_the_data_set(admin_user: User) -> None:
    _seed(12, 150)
    staff, client = Client(), Client()
    sign_in(staff, admin_user)
    reader = User.objects.get(email=client_email(3))
    sign_in(client, reader)
    family_name = profile_values(3)["legal_name"].split()[-1]
    small = _page_queries(staff, client, family_name)
    small_rows = len(staff.get(reverse("client_list")).context["rows"])

    _seed(60, 1500)  # 72 clients: full pages of 50, and the family name more often
    clinician = User.objects.filter(email__startswith="clinician.").first()
    record_events(Action.INTAKE_VIEWED, actor=clinician, subjects=[reader.pk] * 40)
    large = _page_queries(staff, client, family_name)

    assert len(staff.get(reverse("client_list")).context["rows"]) == 50 > small_rows
    assert record_access_for_client(reader).count() > 25  # more than one page
    assert large == small
