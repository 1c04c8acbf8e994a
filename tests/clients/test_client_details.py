"""A client's details: filled in from the intake's "About you" page on submission, kept
encrypted, findable by staff search, and correctable by the client on their details page;
a staff member's display name, changed by them. Changes are audited by field name only."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from clients.search import BY_NAME, client_search
from intake.profile_details import profile_values_from_intake
from intake.schema import IN_PERSON
from portal.audit.models import AuditEvent
from portal.models import ClientProfile, User
from tests.helpers import sign_in
from tests.intake_data import submitted_intake


def _raw_profile(user: User) -> dict[str, bytes | memoryview]:
    """The profile row as the database holds it (no decryption): ciphertext, as bytes (or a
    memoryview on PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_name, phone, date_of_birth FROM portal_clientprofile "
                       "WHERE user_id = %s", [user.pk.hex if connection.vendor == "sqlite"
                                              else user.pk])
        row = cursor.fetchone()
    assert row is not None, "the client has a profile"
    return {"legal_name": row[0], "phone": row[1], "date_of_birth": row[2]}


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.mark.django_db
def test_submitting_the_intake_fills_in_the_clients_details(client_user: User,
                                                            admin_user: User) -> None:
    submitted_intake(client_user)
    profile = ClientProfile.objects.get(user=client_user)
    assert profile.legal_name == "Robin Example"
    assert profile.date_of_birth == datetime.date(1990, 4, 21)
    assert profile.pronouns == "they/them"
    raw = _raw_profile(client_user)
    assert b"Robin" not in bytes(raw["legal_name"])
    assert b"1990" not in bytes(raw["date_of_birth"])
    [event] = _events("client.profile_updated")
    assert event.detail == {"fields": ["legal_name", "pronouns", "date_of_birth"],
                            "source": "intake"}
    assert "Robin" not in str(event.detail)
    # Staff search finds the client by the name they gave in the intake.
    assert client_search(viewer=admin_user, kind=BY_NAME, value="robin example") == \
        [client_user.pk]


def test_only_usable_intake_answers_become_details() -> None:
    values = profile_values_from_intake({
        "legal_name": "Robin Example", "pronouns": IN_PERSON, "phone": "5" * 41,
        "date_of_birth": "1990-02-30", "preferred_name": "", "address": "1 Main St",
        "in_your_own_words": "not a detail",
    })
    assert values == {"legal_name": "Robin Example", "address": "1 Main St"}


@pytest.mark.django_db
def test_a_client_corrects_their_details(as_client: Client, client_user: User) -> None:
    submitted_intake(client_user)
    page = as_client.get(reverse("client_details"))
    assert page.status_code == 200
    assert "Robin Example" in page.content.decode()
    response = as_client.post(reverse("client_details"), {
        "legal_name": "Robin  Example ", "date_of_birth": "1990-04-21",
        "pronouns": "they/them", "phone": "+1 (555) 010-0123",
        "emergency_contact_name": "Sam Example", "emergency_contact_phone": "555 0199 ext 2"})
    assert response.status_code == 302
    profile = ClientProfile.objects.get(user=client_user)
    assert profile.phone == "+1 (555) 010-0123"
    assert profile.legal_name == "Robin Example"
    assert b"0123" not in bytes(_raw_profile(client_user)["phone"])
    event = _events("client.profile_updated")[-1]
    assert event.detail == {"fields": ["phone", "emergency_contact_name",
                                       "emergency_contact_phone"],
                            "source": "details_page"}
    assert event.actor_id == client_user.pk


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value", "message"), [
    ("legal_name", "   ", "This field is required"),
    ("legal_name", "12345 !!", "in letters"),
    ("date_of_birth", "2999-01-01", "between 1 Jan 1900 and today"),
    ("date_of_birth", "1990-02-30", "Enter a valid date"),
    ("phone", "call me maybe", "phone number with digits"),
    ("phone", "5" * 41, "at most 40 characters"),
])
def test_bad_details_are_refused_with_a_message_and_keep_what_was_typed(
        as_client: Client, client_user: User, field: str, value: str, message: str) -> None:
    posted = {"legal_name": "Robin Example", "preferred_name": "Rob", field: value}
    response = as_client.post(reverse("client_details"), posted)
    text = response.content.decode()
    assert response.status_code == 200
    assert message in text
    assert "Nothing was saved yet" in text
    assert 'value="Rob"' in text
    assert not ClientProfile.objects.filter(user=client_user).exists()
    assert not _events("client.profile_updated")


@pytest.mark.django_db
def test_details_pages_are_for_their_own_people(client: Client, client_user: User,
                                               clinician_user: User) -> None:
    sign_in(client, clinician_user)
    assert client.get(reverse("client_details")).status_code == 404
    client.logout()
    sign_in(client, client_user)
    assert client.get(reverse("staff_name")).status_code == 404
    client.logout()
    anonymous = client.get(reverse("client_details"))
    assert anonymous.status_code == 302
    assert reverse("account_login") in anonymous["Location"]


@pytest.mark.django_db
def test_a_staff_member_changes_the_name_clients_see(client: Client, client_user: User,
                                                    clinician_user: User) -> None:
    sign_in(client, clinician_user)
    refused = client.post(reverse("staff_name"), {"display_name": "\u200b "})
    assert refused.status_code == 200
    assert "This field is required" in refused.content.decode()
    response = client.post(reverse("staff_name"), {"display_name": "  Dr.  Sam Rivera "})
    assert response.status_code == 302
    clinician_user.refresh_from_db()
    assert clinician_user.display_name == "Dr. Sam Rivera"
    [event] = _events("staff.name_changed")
    assert event.actor_id == clinician_user.pk
    assert client.get(reverse("staff_home")).content.decode().count("Dr. Sam Rivera") >= 1
