"""Audit events: every action records exactly one event, in its own transaction, with no
personal data in it; allauth's sign-in flows are recorded through their signals."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from datetime import date
from http import HTTPStatus
from io import StringIO
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from clients import services as client_services
from clients.services import client_assign, client_erase, client_unassign
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.service import AuditDetailError, record_event
from portal.audit.verify import verify_chain
from portal.management.commands.rotate_keys import Command as RotateKeys
from portal.management.commands.rotate_keys import ProgressBar
from portal.models import CareAssignment, ClientProfile, DataKey, Invitation, User
from portal.roles import Role
from portal.services.invitations import invitation_send
from tests.factories import PASSWORD, UserFactory
from tests.helpers import (
    current_totp_code,
    delivered_mail,
    mail_body,
    must_search,
    raw_audit_rows_containing,
    reauthenticate,
    sign_in,
)

USER_AGENT = "AuditTest/1.0 (pytest)"
NEW_PASSWORD = "Quiet-meadow-river-7"
CANARY = "qx7canary"  # in names, phone numbers and email addresses; never in an event
INVITE_LINK = re.compile(r"https?://testserver(/invitations/[^/\s]+/)")


class Boom(Exception):
    """Something going wrong after the action, inside its transaction."""


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Mail and some allauth signals run on commit; tests sit inside one transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_USER_AGENT=USER_AGENT)


@pytest.fixture
def staff_browser(browser: Client, admin_user: User) -> Client:
    sign_in(browser, admin_user)
    return browser


def _events(action: Action | None = None) -> list[AuditEvent]:
    events = AuditEvent.objects.all()
    return list(events.filter(action=action.value) if action else events)


def _only(action: Action) -> AuditEvent:
    events = _events(action)
    assert len(events) == 1, [e.action for e in _events()]
    return events[0]


def _invite(staff: Client, run_on_commit: Callable[..., Any], email: str) -> str:
    mail.outbox.clear()
    with run_on_commit():
        response = staff.post(reverse("invitation_list"), {"email": email})
    assert response.status_code == HTTPStatus.FOUND
    return must_search(INVITE_LINK, mail_body(delivered_mail()[-1])).group(1)


def _chain_is_intact() -> None:
    report = verify_chain()
    assert report.intact, report.reason
    assert report.events == AuditEvent.objects.count()


# --- Invitations ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_sending_an_invitation_records_one_event_by_the_admin(
    staff_browser: Client, admin_user: User, run_on_commit: Any
) -> None:
    _invite(staff_browser, run_on_commit, "new.person@example.com")
    invitation = Invitation.objects.get()
    event = _only(Action.INVITATION_SENT)
    assert event.actor_id == admin_user.pk
    assert event.actor_role == Role.PRACTICE_ADMIN.value
    assert event.subject_id is None
    assert (event.object_type, event.object_id) == ("portal.invitation", str(invitation.pk))
    # Staff actions keep where they came from.
    assert event.ip_address == "127.0.0.1" and event.user_agent == USER_AGENT
    assert event.detail == {}


@pytest.mark.django_db
def test_inviting_an_open_address_again_records_a_resend_not_a_second_send(
    staff_browser: Client, run_on_commit: Any
) -> None:
    _invite(staff_browser, run_on_commit, "twice@example.com")
    _invite(staff_browser, run_on_commit, "Twice@Example.com")
    assert len(_events(Action.INVITATION_SENT)) == 1
    assert len(_events(Action.INVITATION_RESENT)) == 1


@pytest.mark.django_db
def test_resending_and_revoking_an_invitation_record_one_event_each(
    staff_browser: Client, admin_user: User, run_on_commit: Any
) -> None:
    _invite(staff_browser, run_on_commit, "new.person@example.com")
    invitation = Invitation.objects.get()
    with run_on_commit():
        staff_browser.post(reverse("invitation_resend", args=[invitation.id]))
    staff_browser.post(reverse("invitation_revoke", args=[invitation.id]))
    staff_browser.post(reverse("invitation_revoke", args=[invitation.id]))  # already revoked

    resent, revoked = _only(Action.INVITATION_RESENT), _only(Action.INVITATION_REVOKED)
    for event in (resent, revoked):
        assert event.actor_id == admin_user.pk
        assert event.object_id == str(invitation.pk)


@pytest.mark.django_db
def test_accepting_an_invitation_records_the_new_client_as_actor_and_subject(
    staff_browser: Client, run_on_commit: Any
) -> None:
    path = _invite(staff_browser, run_on_commit, "new.person@example.com")
    visitor = Client()
    visitor.get(path)
    visitor.post(reverse("account_signup"), {"email": "new.person@example.com",
                                             "password1": NEW_PASSWORD,
                                             "password2": NEW_PASSWORD})
    client = User.objects.get(email="new.person@example.com")
    event = _only(Action.INVITATION_ACCEPTED)
    assert event.actor_id == client.pk and event.subject_id == client.pk
    assert event.actor_role == Role.CLIENT.value
    assert event.object_id == str(Invitation.objects.get().pk)
    # A client going about their own business keeps no IP address or browser.
    assert not event.ip_address and not event.user_agent
    # Signing up signs them in: that is recorded as well.
    assert _events(Action.AUTH_LOGIN)[-1].actor_id == client.pk


# --- Practice settings ---------------------------------------------------------------------

SETTINGS = {
    "name": "Harbor Counseling",
    "contact_email": "hello@harbor.example.com",
    "contact_phone": "555-0100",
    "address": "1 Harbor Way",
    "crisis_text": "Call or text 988.",
    "idle_timeout_minutes": "15",
    "safety_alert_draft_hours": "24",
    "intake_reminder_after_days": "3",
    "intake_reminder_every_days": "4",
    "intake_reminder_max": "3",
    "consent_expiry_reminder_days": "14",
}


@pytest.mark.django_db
def test_changing_practice_settings_records_the_changed_field_names_only(
    staff_browser: Client, admin_user: User
) -> None:
    reauthenticate(staff_browser)
    staff_browser.post(reverse("practice_settings"), SETTINGS)
    first = _only(Action.PRACTICE_SETTINGS_CHANGED)
    assert first.actor_id == admin_user.pk
    assert first.detail["fields"] == sorted(first.detail["fields"])

    response = staff_browser.post(reverse("practice_settings"),
                                  {**SETTINGS, "contact_phone": "555-0199",
                                   "self_signup_enabled": "on"})
    assert response.status_code == HTTPStatus.FOUND
    changed = _events(Action.PRACTICE_SETTINGS_CHANGED)[-1]
    assert changed.detail == {"fields": ["contact_phone", "self_signup_enabled"]}
    assert "555-0199" not in changed.detail_json


@pytest.mark.django_db
def test_saving_unchanged_practice_settings_records_nothing(staff_browser: Client) -> None:
    reauthenticate(staff_browser)
    staff_browser.post(reverse("practice_settings"), SETTINGS)
    before = AuditEvent.objects.count()
    response = staff_browser.post(reverse("practice_settings"), SETTINGS)
    assert response.status_code == HTTPStatus.FOUND
    assert AuditEvent.objects.count() == before


# --- Key rotation --------------------------------------------------------------------------

@pytest.fixture
def clients_with_keys(db: None) -> list[User]:
    people = [UserFactory(role=Role.CLIENT) for _ in range(3)]
    for person in people:
        ClientProfile.objects.create(user=person, legal_name="Rotation Test")
    return people


def _new_master_key() -> Any:
    keyring = {**settings.PORTAL_MASTER_KEYS, "k2027": os.urandom(32)}
    return override_settings(PORTAL_MASTER_KEYS=keyring, PORTAL_ACTIVE_MASTER_KEY_ID="k2027")


@pytest.mark.django_db
def test_rotate_keys_records_one_event_per_phase_by_the_system(
    clients_with_keys: list[User],
) -> None:
    keys = DataKey.objects.count()
    with _new_master_key():
        call_command("rotate_keys", "--dry-run", "--reencrypt", stdout=StringIO())
        assert _events() == []  # a dry run changes nothing and records nothing
        call_command("rotate_keys", "--reencrypt", stdout=StringIO())
    rotated, reencrypted = _only(Action.KEYS_ROTATED), _only(Action.KEYS_REENCRYPTED)
    assert rotated.detail == {"master_key_id": "k2027", "rewrapped": keys}
    assert reencrypted.detail == {"owners": keys, "rows": 3}
    for event in (rotated, reencrypted):
        assert event.actor_id is None and event.actor_role == "system"
        assert not event.ip_address


@pytest.mark.django_db
def test_interrupted_rewrap_still_records_the_keys_it_rewrapped(
    clients_with_keys: list[User],
) -> None:
    class StopAfterTwo(ProgressBar):
        def __call__(self, done: int, total: int) -> None:
            if done >= 2:
                raise Boom

    with _new_master_key(), pytest.raises(Boom):
        RotateKeys._rewrap(1, StopAfterTwo("re-wrap data keys", io.StringIO()))
    assert DataKey.objects.filter(master_key_id="k2027").count() == 2
    assert _only(Action.KEYS_ROTATED).detail == {"master_key_id": "k2027", "rewrapped": 2}


# --- Erasure -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_erase_client_records_the_erasure_before_destroying_the_keys(
    client_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ClientProfile.objects.create(user=client_user, legal_name="Erin Erased")
    seen_at_destruction: list[bool] = []
    destroy = client_services.erase_owner_keys

    def spy(owner: Any) -> int:
        seen_at_destruction.append(
            AuditEvent.objects.filter(action=Action.CLIENT_ERASED, subject_id=owner[1]).exists()
        )
        return destroy(owner)

    monkeypatch.setattr(client_services, "erase_owner_keys", spy)
    call_command("erase_client", client_user.email, "--yes", stdout=StringIO())

    assert seen_at_destruction == [True]
    event = _only(Action.CLIENT_ERASED)
    assert event.subject_id == client_user.pk
    assert event.actor_id is None and event.actor_role == "system"
    assert event.detail == {"keys_destroyed": 1}
    key = DataKey.objects.get(owner_id=client_user.pk)
    assert key.wrapped_key is None and key.destroyed_at is not None


@pytest.mark.django_db
def test_erasure_destroys_no_key_when_the_event_cannot_be_recorded(
    client_user: User, admin_user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ClientProfile.objects.create(user=client_user, legal_name="Erin Kept")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise Boom

    monkeypatch.setattr(client_services, "record_event", refuse)
    with pytest.raises(Boom):
        client_erase(user=client_user, actor=admin_user)
    assert DataKey.objects.get(owner_id=client_user.pk).wrapped_key is not None
    assert ClientProfile.objects.get(user=client_user).legal_name == "Erin Kept"


@pytest.mark.django_db
def test_erasure_by_a_person_names_them_as_actor(client_user: User, admin_user: User) -> None:
    client_erase(user=client_user, actor=admin_user)
    event = _only(Action.CLIENT_ERASED)
    assert event.actor_id == admin_user.pk and event.subject_id == client_user.pk


# --- Care team -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_assigning_a_clinician_records_one_event_and_is_idempotent(
    client_user: User, clinician_user: User, admin_user: User
) -> None:
    first = client_assign(client=client_user, clinician=clinician_user, actor=admin_user)
    again = client_assign(client=client_user, clinician=clinician_user, actor=admin_user)
    assert first == again and CareAssignment.objects.count() == 1
    event = _only(Action.CLIENT_ASSIGNED)
    assert event.actor_id == admin_user.pk and event.subject_id == client_user.pk
    assert (event.object_type, event.object_id) == ("portal.user", str(clinician_user.pk))


@pytest.mark.django_db
def test_unassigning_a_clinician_records_one_event_only_when_they_were_assigned(
    client_user: User, clinician_user: User, admin_user: User
) -> None:
    client_assign(client=client_user, clinician=clinician_user, actor=admin_user)
    assert client_unassign(client=client_user, clinician=clinician_user, actor=admin_user)
    assert not client_unassign(client=client_user, clinician=clinician_user, actor=admin_user)
    assert not CareAssignment.objects.exists()
    event = _only(Action.CLIENT_UNASSIGNED)
    assert event.subject_id == client_user.pk and event.object_id == str(clinician_user.pk)


@pytest.mark.django_db
def test_care_team_needs_a_client_and_a_clinician(
    client_user: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    wrong_pairs = [
        (clinician_user, clinician_user),  # a clinician is not a client
        (client_user, other_client_user),  # a client is not a clinician
        (client_user, admin_user),  # nor is a practice admin
    ]
    for client, clinician in wrong_pairs:
        with pytest.raises(ValidationError):
            client_assign(client=client, clinician=clinician, actor=admin_user)
    assert not CareAssignment.objects.exists()
    assert _events() == []


@pytest.mark.django_db
def test_seed_demo_puts_the_demo_clients_on_their_care_teams_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-password-for-tests-1")
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    pairs = set(CareAssignment.objects.values_list("clinician__email", "client__email"))
    rivera, chen = "clinician.rivera@demo.example.org", "clinician.chen@demo.example.org"
    assert pairs == {
        *((rivera, f"client.{name}@demo.example.org")
          for name in ("ready", "mfa", "moderate", "alert", "acknowledged", "improving",
                       "worsening")),
        (rivera, "cliente.es@demo.example.org"),
        *((chen, f"client.{name}@demo.example.org") for name in ("withdrew", "outdated")),
    }
    events = _events(Action.CLIENT_ASSIGNED)
    assert len(events) == 10
    assert all(event.actor_role == "system" for event in events)


# --- Signing in and out --------------------------------------------------------------------

@pytest.mark.django_db
def test_staff_sign_in_records_login_with_ip_user_agent_and_both_steps(
    browser: Client, clinician_user: User
) -> None:
    sign_in(browser, clinician_user)
    event = _only(Action.AUTH_LOGIN)
    assert event.actor_id == clinician_user.pk
    assert event.actor_role == Role.CLINICIAN.value
    assert event.subject_id is None  # staff accounts are nobody's record
    assert event.ip_address == "127.0.0.1"
    assert event.user_agent == USER_AGENT
    assert event.detail == {"method": ["password", "totp"]}
    assert event.request_id


@pytest.mark.django_db
def test_client_sign_in_is_a_security_event_that_keeps_ip_and_user_agent(
    browser: Client, client_user: User
) -> None:
    sign_in(browser, client_user)
    event = _only(Action.AUTH_LOGIN)
    assert event.actor_id == client_user.pk and event.subject_id == client_user.pk
    assert event.ip_address == "127.0.0.1" and event.user_agent == USER_AGENT
    assert event.detail == {"method": ["password"]}


@pytest.mark.django_db
def test_sign_out_records_logout(browser: Client, client_user: User) -> None:
    sign_in(browser, client_user)
    browser.post(reverse("account_logout"))
    event = _only(Action.AUTH_LOGOUT)
    assert event.actor_id == client_user.pk and event.subject_id == client_user.pk
    browser.post(reverse("account_logout"))  # nobody signed in: nothing to record
    assert len(_events(Action.AUTH_LOGOUT)) == 1


@pytest.mark.django_db
def test_failed_sign_in_for_an_unknown_address_names_no_account(browser: Client) -> None:
    browser.post(reverse("account_login"),
                 {"login": "nobody.here@example.com", "password": "Wrong-password-123"})
    event = _only(Action.AUTH_LOGIN_FAILED)
    assert event.actor_id is None and event.actor_role == "anonymous"
    assert event.subject_id is None
    assert (event.object_type, event.object_id) == ("", "")
    assert event.detail == {"account_exists": False}
    assert event.ip_address == "127.0.0.1"
    assert not _events(Action.AUTH_LOGIN)


@pytest.mark.django_db
def test_failed_sign_in_for_a_known_address_names_the_account_by_id_only(
    browser: Client, client_user: User
) -> None:
    browser.post(reverse("account_login"),
                 {"login": client_user.email.upper(), "password": "Wrong-password-123"})
    event = _only(Action.AUTH_LOGIN_FAILED)
    assert event.actor_id is None
    assert (event.object_type, event.object_id) == ("portal.user", str(client_user.pk))
    assert event.subject_id == client_user.pk
    assert event.detail == {"account_exists": True}
    assert raw_audit_rows_containing("client@example") == []


@pytest.mark.django_db
def test_wrong_second_factor_code_at_sign_in_records_mfa_failed(
    browser: Client, clinician_user: User
) -> None:
    browser.post(reverse("account_login"), {"login": clinician_user.email, "password": PASSWORD})
    browser.post(reverse("mfa_authenticate"), {"code": "000000"})
    event = _only(Action.AUTH_MFA_FAILED)
    assert event.actor_role == "anonymous"  # the password alone does not sign anyone in
    assert event.object_id == str(clinician_user.pk)
    assert event.detail == {"kind": "totp", "reauthentication": False}
    assert not _events(Action.AUTH_LOGIN)


@pytest.mark.django_db
def test_wrong_code_when_reauthenticating_is_recorded_against_the_signed_in_user(
    client: Client, clinician_user: User
) -> None:
    client.force_login(clinician_user)
    client.post(reverse("mfa_reauthenticate"), {"code": "000000"})
    event = _only(Action.AUTH_MFA_FAILED)
    assert event.actor_id == clinician_user.pk
    assert event.detail == {"kind": "totp", "reauthentication": True}


# allauth sends these signals from on_commit hooks that need the request: real commits.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_adding_resetting_and_removing_a_second_factor_are_recorded(browser: Client) -> None:
    client_user = UserFactory(role=Role.CLIENT, email="careful@example.com")
    sign_in(browser, client_user)
    reauthenticate(browser)
    browser.get(reverse("mfa_activate_totp"))
    secret = browser.session["mfa.totp.secret"]
    response = browser.post(reverse("mfa_activate_totp"), {"code": current_totp_code(secret)})
    assert response.status_code == HTTPStatus.FOUND
    enabled = _events(Action.AUTH_MFA_ENABLED)
    assert sorted(e.detail["kind"] for e in enabled) == ["recovery_codes", "totp"]
    assert all(e.actor_id == client_user.pk and e.subject_id == client_user.pk
               for e in enabled)

    browser.post(reverse("mfa_generate_recovery_codes"))
    assert _only(Action.AUTH_MFA_RESET).detail == {"kind": "recovery_codes"}

    response = browser.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(user=client_user).exists()
    removed = _events(Action.AUTH_MFA_REMOVED)
    assert sorted(e.detail["kind"] for e in removed) == ["recovery_codes", "totp"]
    _chain_is_intact()


@pytest.mark.django_db
def test_password_change_is_recorded(browser: Client, client_user: User) -> None:
    sign_in(browser, client_user)
    response = browser.post(reverse("account_change_password"), {
        "oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    })
    assert response.status_code == HTTPStatus.FOUND
    event = _only(Action.AUTH_PASSWORD_CHANGED)
    assert event.actor_id == client_user.pk and event.subject_id == client_user.pk
    assert event.detail == {"first_password": False}
    assert event.user_agent == USER_AGENT


@pytest.mark.django_db
def test_password_reset_by_email_link_is_recorded(browser: Client, client_user: User) -> None:
    browser.post(reverse("account_reset_password"), {"email": client_user.email})
    link = must_search(r"http://testserver(/accounts/password/reset/key/\S+)",
                       mail_body(delivered_mail()[0])).group(1)
    response = browser.get(link)
    browser.post(response["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    event = _only(Action.AUTH_PASSWORD_RESET)
    assert event.actor_id == client_user.pk and event.subject_id == client_user.pk


@pytest.mark.django_db
def test_verifying_an_email_address_is_recorded(browser: Client) -> None:
    person = UserFactory(role=Role.CLIENT, email="late@example.com", verified=False)
    browser.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    link = must_search(r"http://testserver(/accounts/confirm-email/\S+)",
                       mail_body(delivered_mail()[0])).group(1)
    response = browser.post(link)
    assert response.status_code == HTTPStatus.FOUND
    event = _only(Action.AUTH_EMAIL_VERIFIED)
    assert event.actor_id == person.pk and event.subject_id == person.pk
    assert event.object_id == str(person.pk)


# --- Transactions and the chain ------------------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_action_that_rolls_back_leaves_no_event_and_the_chain_verifies() -> None:
    admin = UserFactory(role=Role.PRACTICE_ADMIN, email="admin@example.com")
    client = UserFactory(role=Role.CLIENT, email="client@example.com")
    ClientProfile.objects.create(user=client, legal_name="Kept Safe")
    invitation_send(email="first@example.com", invited_by=admin)  # commits

    with pytest.raises(Boom), transaction.atomic():
        invitation_send(email="second@example.com", invited_by=admin)
        raise Boom
    with pytest.raises(Boom), transaction.atomic():
        client_erase(user=client, actor=admin)
        raise Boom

    assert [e.action for e in _events()] == [Action.INVITATION_SENT.value]
    assert not Invitation.objects.filter(email="second@example.com").exists()
    assert DataKey.objects.get(owner_id=client.pk).wrapped_key is not None
    _chain_is_intact()
    # The chain carries on from where it was, not from the rolled-back events.
    invitation_send(email="third@example.com", invited_by=admin)
    assert [e.seq for e in _events()] == [1, 2]
    _chain_is_intact()


@pytest.mark.django_db
def test_chain_verifies_after_a_realistic_morning(
    staff_browser: Client, admin_user: User, clinician_user: User, run_on_commit: Any
) -> None:
    path = _invite(staff_browser, run_on_commit, "new.person@example.com")
    reauthenticate(staff_browser)
    staff_browser.post(reverse("practice_settings"), SETTINGS)
    newcomer = Client(HTTP_USER_AGENT=USER_AGENT)
    newcomer.get(path)
    newcomer.post(reverse("account_signup"), {"email": "new.person@example.com",
                                              "password1": NEW_PASSWORD,
                                              "password2": NEW_PASSWORD})
    client = User.objects.get(email="new.person@example.com")
    client_assign(client=client, clinician=clinician_user, actor=admin_user)
    Client().post(reverse("account_login"), {"login": client.email, "password": "nope-nope"})
    newcomer.post(reverse("account_logout"))
    client_unassign(client=client, clinician=clinician_user, actor=admin_user)
    client_erase(user=client, actor=admin_user)

    actions = [e.action for e in _events()]
    assert actions == [
        "auth.login", "invitation.sent", "practice.settings_changed",
        "invitation.accepted", "auth.login", "client.assigned", "auth.login_failed",
        "auth.logout", "client.unassigned", "client.erased",
    ], actions
    _chain_is_intact()


# --- Nothing personal in the trail ---------------------------------------------------------




@pytest.mark.django_db
def test_canary_never_reaches_the_audit_table(
    staff_browser: Client, admin_user: User, clinician_user: User, run_on_commit: Any
) -> None:
    person = UserFactory(role=Role.CLIENT, email=f"{CANARY}.client@example.com")
    ClientProfile.objects.create(
        user=person, legal_name=f"{CANARY.title()} Legalname",
        preferred_name=f"{CANARY}-preferred", phone="+1 555 0147 9931",
        date_of_birth=date(1990, 2, 3),
    )
    # Invitations to a canary address: sent, re-sent, withdrawn.
    _invite(staff_browser, run_on_commit, f"{CANARY}.invite@example.com")
    _invite(staff_browser, run_on_commit, f"{CANARY.upper()}.INVITE@example.com")
    staff_browser.post(reverse("invitation_revoke", args=[Invitation.objects.get().id]))
    # Settings whose values carry the canary.
    reauthenticate(staff_browser)
    staff_browser.post(reverse("practice_settings"), {
        **SETTINGS, "name": f"{CANARY} Counseling", "contact_email": f"{CANARY}@example.com",
        "crisis_text": f"Call {CANARY} now.",
    })
    # Failed sign-ins with canary addresses, known and unknown; then a real one.
    for login in (person.email, f"{CANARY}.nobody@example.com"):
        Client().post(reverse("account_login"), {"login": login, "password": "Not-it-123456"})
    visitor = Client(HTTP_USER_AGENT=USER_AGENT)
    sign_in(visitor, person)
    visitor.post(reverse("account_change_password"), {
        "oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
    })
    visitor.post(reverse("account_logout"))
    client_assign(client=person, clinician=clinician_user, actor=admin_user)
    call_command("erase_client", person.email, "--yes", stdout=StringIO())

    recorded = {e.action for e in _events()}
    assert {"invitation.sent", "invitation.resent", "invitation.revoked",
            "practice.settings_changed", "auth.login_failed", "auth.login",
            "auth.password_changed", "auth.logout", "client.assigned",
            "client.erased"} <= recorded
    for needle in (CANARY, "Legalname", "preferred", "0147 9931", "01479931", "1990-02-03"):
        assert raw_audit_rows_containing(needle) == [], needle
    _chain_is_intact()


@pytest.mark.django_db
def test_record_event_refuses_undeclared_keys_and_values_that_could_hold_personal_data(
    admin_user: User,
) -> None:
    refused: list[tuple[Action, dict[str, Any]]] = [
        (Action.INVITATION_SENT, {"email": "someone@example.com"}),
        (Action.PRACTICE_SETTINGS_CHANGED, {"name": "Harbor"}),
        (Action.PRACTICE_SETTINGS_CHANGED, {"fields": ["name", "Maya Okafor"]}),
        (Action.AUTH_LOGIN, {"method": "someone@example.com"}),
        (Action.CLIENT_ERASED, {"keys_destroyed": "two keys"}),
        (Action.CLIENT_ERASED, {"keys_destroyed": {"nested": 1}}),
        (Action.PRACTICE_SETTINGS_CHANGED, {"fields": ["x"] * 51}),
    ]
    for action, detail in refused:
        with pytest.raises(AuditDetailError):
            record_event(action, actor=admin_user, detail=detail)
    assert _events() == []
