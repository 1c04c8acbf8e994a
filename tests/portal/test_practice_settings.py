"""Practice admins edit the practice's settings in the portal; bad values are refused."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import DEFAULT_CRISIS_TEXT, PracticeSettings
from tests.helpers import reauthenticate

VALID = {
    "name": "Harbor Counseling",
    "contact_email": "hello@harbor.example.com",
    "contact_phone": "555-0100",
    "address": "1 Harbor Way",
    "crisis_text": "Call or text 988.",
    "idle_timeout_minutes": "20",
    "safety_alert_draft_hours": "12",
    "intake_reminder_after_days": "3",
    "intake_reminder_every_days": "4",
    "intake_reminder_max": "3",
    "consent_expiry_reminder_days": "14",
    "secrets_policy": "no_secrets",
    "adolescent_account_age": "12",
}


@pytest.mark.django_db
def test_default_crisis_text_names_988_and_emergency_services() -> None:
    assert "988" in DEFAULT_CRISIS_TEXT and "911" in DEFAULT_CRISIS_TEXT
    assert PracticeSettings.load().crisis_text == DEFAULT_CRISIS_TEXT
    assert PracticeSettings.load().self_signup_enabled is False
    assert PracticeSettings.load().idle_timeout_minutes == 15


@pytest.mark.django_db
def test_admin_changes_settings_and_clients_see_them(as_admin: Client) -> None:
    reauthenticate(as_admin)
    response = as_admin.post(
        reverse("practice_settings"), {**VALID, "self_signup_enabled": "on"}
    )
    assert response.status_code == HTTPStatus.FOUND
    practice = PracticeSettings.load()
    assert practice.name == "Harbor Counseling"
    assert practice.self_signup_enabled is True
    assert practice.idle_timeout_minutes == 20
    assert practice.safety_alert_draft_hours == 12
    landing = Client().get(reverse("home"))
    assert b"Harbor Counseling" in landing.content
    assert b"Call or text 988." in landing.content


@pytest.mark.django_db
def test_reminders_are_off_until_the_admin_turns_them_on(as_admin: Client) -> None:
    practice = PracticeSettings.load()
    assert practice.intake_reminders_enabled is False
    assert (practice.intake_reminder_after_days, practice.intake_reminder_every_days,
            practice.intake_reminder_max, practice.consent_expiry_reminder_days) == (3, 4, 3, 14)
    reauthenticate(as_admin)
    page = as_admin.get(reverse("practice_settings"))
    assert b"Remind clients about an unfinished intake" in page.content
    response = as_admin.post(reverse("practice_settings"), {
        **VALID, "intake_reminders_enabled": "on", "intake_reminder_after_days": "2",
        "intake_reminder_every_days": "7", "intake_reminder_max": "1",
        "consent_expiry_reminder_days": "30",
    })
    assert response.status_code == HTTPStatus.FOUND
    practice = PracticeSettings.load()
    assert practice.intake_reminders_enabled is True
    assert (practice.intake_reminder_after_days, practice.intake_reminder_every_days,
            practice.intake_reminder_max, practice.consent_expiry_reminder_days) == (2, 7, 1, 30)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("idle_timeout_minutes", "1"),
        ("idle_timeout_minutes", "121"),
        ("idle_timeout_minutes", "fifteen"),
        ("idle_timeout_minutes", "-5"),
        ("safety_alert_draft_hours", "0"),
        ("safety_alert_draft_hours", "169"),
        ("safety_alert_draft_hours", "1.5"),
        ("contact_email", "not-an-email"),
        ("name", ""),
        ("name", "x" * 500),
        ("crisis_text", "y" * 5000),
        ("session_fee", "[amount]"),
        ("insurance_networks", "in network with [list of plans]"),
        ("payment_due", "at the time\nof each session"),
        ("session_minutes", "5"),
        ("cancellation_notice_hours", "169"),
        ("records_retention_years", "seven"),
        ("intake_reminder_after_days", "0"),
        ("intake_reminder_after_days", "31"),
        ("intake_reminder_every_days", "0"),
        ("intake_reminder_every_days", "two"),
        ("intake_reminder_max", "11"),
        ("intake_reminder_max", ""),
        ("consent_expiry_reminder_days", "0"),
        ("consent_expiry_reminder_days", "91"),
        ("secrets_policy", "tell_everyone"),
        ("secrets_policy", ""),
        ("adolescent_account_age", "9"),
        ("adolescent_account_age", "18"),
        ("check_in_open_days", "0"),
        ("check_in_open_days", "29"),
        ("check_in_reminder_max", "6"),
        ("reliable_change_phq9", "0"),
        ("reliable_change_phq9", "28"),
        ("reliable_change_gad7", "22"),
        ("reliable_change_gad7", "four"),
    ],
)
def test_bad_values_are_refused_with_a_message_and_nothing_changes(
    as_admin: Client, field: str, value: str
) -> None:
    reauthenticate(as_admin)
    before = PracticeSettings.load().name
    response = as_admin.post(reverse("practice_settings"), {**VALID, field: value})
    assert response.status_code == HTTPStatus.OK
    assert b"invalid-feedback" in response.content
    assert PracticeSettings.load().name == before


@pytest.mark.django_db
def test_the_admin_chooses_the_secrets_policy_and_the_age_of_a_young_persons_account(
    as_admin: Client,
) -> None:
    """The practice's secrets policy decides which policy the adults of a case sign (unless
    the case overrides it); the age decides who may be invited as a young person."""
    reauthenticate(as_admin)
    page = as_admin.get(reverse("practice_settings"))
    assert b"Secrets policy for couples and families" in page.content
    response = as_admin.post(reverse("practice_settings"), {
        **VALID, "secrets_policy": "limited_secrets", "adolescent_account_age": "14"})
    assert response.status_code == HTTPStatus.FOUND
    practice = PracticeSettings.load()
    assert (practice.secrets_policy, practice.adolescent_account_age) == (
        "limited_secrets", 14)


@pytest.mark.django_db
def test_settings_ask_for_reauthentication_after_a_while(as_admin: Client) -> None:
    reauthenticate(as_admin)
    assert as_admin.get(reverse("practice_settings")).status_code == HTTPStatus.OK
    session = as_admin.session
    records = session["account_authentication_methods"]
    for record in records:
        record["at"] -= 3600
    session["account_authentication_methods"] = records
    session.save()
    response = as_admin.post(reverse("practice_settings"), VALID)
    assert response.status_code == HTTPStatus.FOUND
    assert "reauthenticate" in response["Location"]
    assert PracticeSettings.load().name != "Harbor Counseling"


@pytest.mark.django_db
def test_admin_fills_in_what_the_consent_documents_quote(as_admin: Client) -> None:
    reauthenticate(as_admin)
    page = as_admin.get(reverse("practice_settings")).content.decode()
    assert "<legend" in page and "Fees and payment" in page
    assert "Used in the consent documents." in page  # each such setting says so
    response = as_admin.post(reverse("practice_settings"), {
        **VALID, "session_fee": "$140", "session_minutes": "45",
        "late_cancellation_fee": "$60", "cancellation_notice_hours": "48",
    })
    assert response.status_code == HTTPStatus.FOUND
    practice = PracticeSettings.load()
    assert (practice.session_fee, practice.session_minutes, practice.late_cancellation_fee,
            practice.cancellation_notice_hours) == ("$140", 45, "$60", 48)
    assert practice.video_platform == "" and practice.reconnect_minutes is None


@pytest.mark.django_db
def test_the_admin_sets_what_clients_see_and_the_change_rules(as_admin: Client) -> None:
    """Scores shown to clients by default; the reliable-change thresholds (PHQ-9 6, GAD-7 4
    by default) are the practice's to set, and a post without them keeps them."""
    practice = PracticeSettings.load()
    assert practice.clients_see_scores is True
    assert (practice.reliable_change_phq9, practice.reliable_change_gad7) == (6, 4)
    reauthenticate(as_admin)
    page = as_admin.get(reverse("practice_settings"))
    assert b"Show clients their own scores and trends" in page.content
    response = as_admin.post(reverse("practice_settings"), {
        **VALID, "reliable_change_phq9": "5", "reliable_change_gad7": "3",
        "check_in_open_days": "7", "check_in_reminder_max": "1"})
    assert response.status_code == HTTPStatus.FOUND
    practice = PracticeSettings.load()
    assert practice.clients_see_scores is False  # the box left unticked
    assert (practice.reliable_change_phq9, practice.reliable_change_gad7,
            practice.check_in_open_days, practice.check_in_reminder_max) == (5, 3, 7, 1)
    as_admin.post(reverse("practice_settings"), {**VALID, "clients_see_scores": "on"})
    practice = PracticeSettings.load()
    assert practice.clients_see_scores is True and practice.reliable_change_phq9 == 5
