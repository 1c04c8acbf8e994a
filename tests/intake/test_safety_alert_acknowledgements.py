"""Every acknowledgement of a safety alert is kept: a second clinician who also follows up
adds their note instead of losing it. The notes are encrypted under the client's data key,
so erasing the client shreds them and re-encryption carries them over; strangers get a 404;
each acknowledgement is on the audit trail, ids only."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from http import HTTPStatus
from io import StringIO
from typing import TYPE_CHECKING

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.services import client_erase
from intake.models import Intake, SafetyAlert, SafetyAlertAcknowledgement
from intake.safety_alerts import close_alert
from intake.services import intake_submit
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.audit.verify import verify_chain
from portal.crypto.errors import KeyDestroyedError
from portal.crypto.models import encrypted_models
from portal.crypto.owners import OWNER_CLIENT
from portal.models import CareAssignment, DataKey, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import closing_acknowledgement, sign_in
from tests.intake_data import filled_draft
from tests.migrating import migrate, schema_at

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

FIRST_NOTE = "Called the client, safety plan agreed"
SECOND_NOTE = "Spoke to them again <script>alert('second')</script> & booked Friday"
ESCAPED_SECOND = ("Spoke to them again &lt;script&gt;alert(&#x27;second&#x27;)&lt;/script&gt; "
                  "&amp; booked Friday")


@pytest.fixture
def colleague(client_user: User) -> User:
    """A second clinician on ``client_user``'s care team."""
    other = UserFactory(role=Role.CLINICIAN, email="colleague@example.com",
                        display_name="Dr. Okafor", totp=True)
    CareAssignment.objects.create(client=client_user, clinician=other)
    return other


@pytest.fixture
def flagged(client_user: User, clinician_user: User) -> Intake:
    """``client_user``'s submitted intake with a safety answer, on Dr. Lee's caseload."""
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    draft = filled_draft(client_user, item_9=2)
    return intake_submit(intake_id=draft.pk, client=client_user, revision=draft.revision)


_BROWSERS: dict[object, Client] = {}


@pytest.fixture(autouse=True)
def _one_browser_each() -> Iterator[None]:
    # One sign-in per person and test: a TOTP code is accepted once per time window.
    _BROWSERS.clear()
    yield
    _BROWSERS.clear()


def _signed_in(user: User) -> Client:
    if user.pk not in _BROWSERS:
        http = Client()
        sign_in(http, user)
        _BROWSERS[user.pk] = http
    return _BROWSERS[user.pk]


def _acknowledge(user: User, intake: Intake, note: str) -> TestResponse:
    return _signed_in(user).post(reverse("staff_intake_acknowledge", args=[intake.pk]),
                                 {"note": note})


def _detail(user: User, intake: Intake) -> TestResponse:
    return _signed_in(user).get(reverse("staff_intake_detail", args=[intake.pk]))


def _both_acknowledge(intake: Intake, clinician: User, colleague: User) -> None:
    assert _acknowledge(clinician, intake, FIRST_NOTE).status_code == HTTPStatus.FOUND
    assert _acknowledge(colleague, intake, SECOND_NOTE).status_code == HTTPStatus.FOUND


def _raw_notes(intake: Intake) -> list[bytes]:
    """The note column as someone with database access reads it, around the model: the
    notes on the intake's safety alert."""
    pk = Intake._meta.pk.get_db_prep_value(intake.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT note FROM intake_safetyalertacknowledgement AS acknowledgement"
            " JOIN intake_safetyalert AS alert ON alert.id = acknowledgement.alert_id"
            " WHERE alert.intake_id = %s", [pk])
        return [bytes(value) for (value,) in cursor.fetchall()]


def _key_id(envelope: bytes) -> str:
    """The data key an envelope names (plaintext by design: ``version | length | id``)."""
    return envelope[2:2 + envelope[1]].decode()


def _client_key_ids(client: User) -> set[str]:
    return {key.hex for key in DataKey.objects.filter(owner_kind=OWNER_CLIENT, owner_id=client.pk)
            .values_list("id", flat=True)}


def test_two_clinicians_acknowledge_and_the_page_lists_both_notes_oldest_first(
    flagged: Intake, clinician_user: User, colleague: User, admin_user: User
) -> None:
    _both_acknowledge(flagged, clinician_user, colleague)

    response = _detail(admin_user, flagged)

    html = response.content.decode()
    first = html.index("Acknowledged by Dr. Lee on")
    second = html.index("Acknowledged by Dr. Okafor on")
    assert first < html.index(FIRST_NOTE) < second < html.index(ESCAPED_SECOND)
    assert "<script>alert('second')" not in html  # the note is shown as text, inert
    rows = list(SafetyAlertAcknowledgement.objects.filter(alert__intake=flagged).order_by("at"))
    for row in rows:
        assert f'datetime="{timezone.localtime(row.at).isoformat()}"' in html
    # The first acknowledgement still closes the alert; a further note stays possible.
    assert "Safety alert reviewed" in html and "Add my note" in html
    kept = Intake.objects.get(pk=flagged.pk).safety_alert
    assert (kept.closed_by_id, closing_acknowledgement(kept).note) == (
        clinician_user.pk, FIRST_NOTE)


def test_each_acknowledgement_is_audited_with_ids_only(
    flagged: Intake, clinician_user: User, colleague: User
) -> None:
    _both_acknowledge(flagged, clinician_user, colleague)

    events = AuditEvent.objects.filter(action=Action.INTAKE_REVIEW_ACKNOWLEDGED).order_by("seq")
    assert [(e.actor_id, e.subject_id, e.object_id, e.detail) for e in events] == [
        (clinician_user.pk, flagged.client_id, str(flagged.pk), {}),
        (colleague.pk, flagged.client_id, str(flagged.pk), {}),
    ]
    for row in AuditEvent.objects.values_list():
        assert "safety plan" not in str(row) and "booked Friday" not in str(row)
    assert verify_chain().intact


def test_the_notes_are_ciphertext_under_the_clients_own_key(
    flagged: Intake, clinician_user: User, colleague: User
) -> None:
    _both_acknowledge(flagged, clinician_user, colleague)

    raw = _raw_notes(flagged)
    assert len(raw) == 2
    for value in raw:
        assert value[0] == 0x01  # the envelope's version byte
        assert b"safety plan" not in value and b"booked Friday" not in value
        assert b"script" not in value
        assert _key_id(value) in _client_key_ids(flagged.client)
    notes = SafetyAlertAcknowledgement.objects.filter(alert__intake=flagged)
    assert {row.note for row in notes} == {FIRST_NOTE, SECOND_NOTE}


def test_a_stranger_clinician_gets_404_and_adds_nothing(
    flagged: Intake, clinician_user: User, stranger: User
) -> None:
    _acknowledge(clinician_user, flagged, FIRST_NOTE)

    assert _acknowledge(stranger, flagged, "I was never on the team").status_code == (
        HTTPStatus.NOT_FOUND)
    assert _detail(stranger, flagged).status_code == HTTPStatus.NOT_FOUND
    assert SafetyAlertAcknowledgement.objects.filter(alert__intake=flagged).count() == 1
    assert not AuditEvent.objects.filter(actor_id=stranger.pk,
                                         action__startswith="intake.").exists()


def test_erasing_the_client_makes_every_note_unreadable(
    flagged: Intake, clinician_user: User, colleague: User, admin_user: User
) -> None:
    _both_acknowledge(flagged, clinician_user, colleague)

    client_erase(user=flagged.client, actor=admin_user)

    rows = list(SafetyAlertAcknowledgement.objects.filter(alert__intake=flagged))
    assert len(rows) == 2
    for row in rows:
        with pytest.raises(KeyDestroyedError):
            _ = row.note
    html = _detail(admin_user, flagged).content.decode()
    assert "This client's details were erased." in html
    assert "safety plan" not in html and "booked Friday" not in html
    # Nothing new can be written for an erased client, and saying so is calm.
    response = _signed_in(clinician_user).post(
        reverse("staff_intake_acknowledge", args=[flagged.pk]), {"note": "Tried to call"},
        follow=True)
    assert "This client's details were erased. Nothing can be added to their intake." in [
        str(m) for m in response.context["messages"]]
    assert SafetyAlertAcknowledgement.objects.filter(alert__intake=flagged).count() == 2


def test_reencryption_keeps_every_note_readable_under_the_clients_new_key(
    flagged: Intake, clinician_user: User, colleague: User
) -> None:
    _both_acknowledge(flagged, clinician_user, colleague)
    old_keys = _client_key_ids(flagged.client)

    call_command("rotate_keys", "--reencrypt", stdout=StringIO())

    new_keys = _client_key_ids(flagged.client)
    assert new_keys and not new_keys & old_keys  # the old key is gone, unused
    assert {_key_id(value) for value in _raw_notes(flagged)} == new_keys
    notes = [row.note for row in
             SafetyAlertAcknowledgement.objects.filter(alert__intake=flagged).order_by("at")]
    assert notes == [FIRST_NOTE, SECOND_NOTE]


def test_deleting_a_staff_account_keeps_their_acknowledgement(
    flagged: Intake, clinician_user: User, colleague: User, admin_user: User
) -> None:
    _both_acknowledge(flagged, clinician_user, colleague)

    colleague.delete()

    row = SafetyAlertAcknowledgement.objects.get(alert__intake=flagged, by__isnull=True)
    assert row.note == SECOND_NOTE
    html = _detail(admin_user, flagged).content.decode()
    assert "Acknowledged by a former staff member on" in html


# Migrating back and forth commits for real; serialized rollback restores the role groups
# that migrations created, for the tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_copies_each_first_acknowledgement_once(
    client_user: User, other_client_user: User, clinician_user: User, admin_user: User
) -> None:
    """Intakes acknowledged before the table existed: their first acknowledgement (and note,
    sealed again for its new row) is copied; an erased client's is copied without its note,
    which no one could read any more. The intakes are written by today's services, then the
    schema goes back to before the table (the later migrations' reverse steps put the first
    acknowledgement back in the intake's columns, the note sealed for them)."""
    migration = importlib.import_module("intake.migrations.0004_safety_alert_acknowledgements")

    def acknowledged_before(client: User, note: str) -> Intake:
        intake = filled_draft(client, item_9=2)
        close_alert(alert=intake.safety_alert, by=clinician_user, note=note)
        return intake

    kept = acknowledged_before(client_user, FIRST_NOTE)
    acknowledged_at = SafetyAlert.objects.get(intake=kept).closed_at
    erased = acknowledged_before(other_client_user, "Their note")
    unacknowledged = filled_draft(UserFactory(role=Role.CLIENT), item_9=2)
    with schema_at("intake", "0003_review_note_and_reviewed"):
        client_erase(user=other_client_user, actor=admin_user)
        assert "intake_safetyalertacknowledgement" not in connection.introspection.table_names()
        historical = migrate("intake", "0004_safety_alert_acknowledgements")  # the first copy
        migration.copy_first_acknowledgements(historical, None)  # running it again adds nothing

    copied = SafetyAlertAcknowledgement.objects.get(alert__intake=kept)
    assert (copied.client_id, copied.by_id, copied.at, copied.note) == (
        client_user.pk, clinician_user.pk, acknowledged_at, FIRST_NOTE)
    (raw,) = _raw_notes(kept)
    assert FIRST_NOTE.encode() not in raw and _key_id(raw) in _client_key_ids(client_user)
    shredded = SafetyAlertAcknowledgement.objects.get(alert__intake=erased)
    assert (shredded.by_id, shredded.note) == (clinician_user.pk, None)
    assert not SafetyAlertAcknowledgement.objects.filter(alert__intake=unacknowledged).exists()
    assert SafetyAlertAcknowledgement.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migrating_forward_copies_first_acknowledgements_with_the_historical_models(
    client_user: User, clinician_user: User
) -> None:
    """The same copy, run by ``migrate`` itself (historical models, which cannot encrypt on
    their own), from the schema as it was before the table existed."""
    intake = filled_draft(client_user, item_9=2)
    close_alert(alert=intake.safety_alert, by=clinician_user, note=FIRST_NOTE)
    with schema_at("intake", "0003_review_note_and_reviewed"):
        pass  # back to the intake's columns, then forward: the copy runs as migrate runs it

    copied = SafetyAlertAcknowledgement.objects.get(alert__intake=intake)
    assert (copied.by_id, copied.note) == (clinician_user.pk, FIRST_NOTE)
    (raw,) = _raw_notes(intake)
    assert raw[0] == 0x01 and FIRST_NOTE.encode() not in raw


def test_the_new_table_is_encrypted_and_kept_out_of_the_admin() -> None:
    """Found by the key tools (rotation, status, erasure) like every encrypted model; never
    registered in the Django admin, which would decrypt it."""
    assert SafetyAlertAcknowledgement in encrypted_models()
    assert SafetyAlertAcknowledgement not in admin.site._registry
