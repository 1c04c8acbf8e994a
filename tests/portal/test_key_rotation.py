"""Rotation across master keys (interrupted and resumed), status, and crypto-shredding."""

from __future__ import annotations

import os
from io import StringIO
from typing import Any

import pytest
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from portal.crypto.errors import KeyDestroyedError
from portal.crypto.rotation import reencrypt_owners, rewrap_data_keys
from portal.crypto.status import encryption_status
from portal.models import DataKey, User
from portal.roles import Role
from tests.cryptoapp.models import PracticeNote, Specimen
from tests.factories import PASSWORD, UserFactory, totp_secret_of
from tests.helpers import sign_in, sorted_values


class Interrupted(Exception):
    """Stands in for the process being killed part-way."""


def _stop_after(count: int) -> Any:
    def progress(done: int, total: int) -> None:
        if done >= count:
            raise Interrupted

    return progress


@pytest.fixture
def people(db: None) -> dict[str, Any]:
    clients = [UserFactory(role=Role.CLIENT) for _ in range(3)]
    for index, client in enumerate(clients):
        for row in range(3):
            Specimen.objects.create(owner=client, text=f"client {index} row {row}",
                                    number=row, data={"i": index})
    PracticeNote.objects.create(body="practice note")
    staff = UserFactory(role=Role.CLINICIAN, totp=True)
    return {"clients": clients, "staff": staff}


def _everything_reads(people: dict[str, Any]) -> None:
    for index, client in enumerate(people["clients"]):
        texts = sorted_values(s.text for s in Specimen.objects.filter(owner=client))
        assert texts == [f"client {index} row {row}" for row in range(3)]
    assert PracticeNote.objects.get().body == "practice note"
    totp = Authenticator.objects.get(user=people["staff"], type="totp")
    assert get_mfa_adapter().decrypt(totp.data["secret"]) == totp_secret_of(people["staff"])


@pytest.mark.django_db
def test_rotation_to_a_new_master_key_interrupted_and_resumed(people: dict[str, Any]) -> None:
    old_id = settings.PORTAL_ACTIVE_MASTER_KEY_ID
    keyring = {**settings.PORTAL_MASTER_KEYS, "k2027": os.urandom(32)}
    with override_settings(PORTAL_MASTER_KEYS=keyring, PORTAL_ACTIVE_MASTER_KEY_ID="k2027"):
        total = DataKey.objects.count()
        assert total == 4  # three clients and the practice
        with pytest.raises(Interrupted):
            rewrap_data_keys(batch_size=1, progress=_stop_after(2))
        assert DataKey.objects.filter(master_key_id="k2027").count() == 2
        _everything_reads(people)  # half-way is a consistent state

        result = rewrap_data_keys(batch_size=1)
        assert result.done == total - 2
        assert not DataKey.objects.filter(master_key_id=old_id).exists()

    # The old master key is gone from the keyring: everything still opens.
    with override_settings(PORTAL_MASTER_KEYS={"k2027": keyring["k2027"]},
                           PORTAL_ACTIVE_MASTER_KEY_ID="k2027"):
        _everything_reads(people)
        status = encryption_status()
        assert status.data_keys_by_master == {"k2027": 4}


@pytest.mark.django_db
def test_reencryption_interrupted_and_resumed_leaves_nothing_under_old_keys(
    people: dict[str, Any],
) -> None:
    old_key_ids = set(DataKey.objects.values_list("id", flat=True))
    with pytest.raises(Interrupted):
        reencrypt_owners(progress=_stop_after(2))
    _everything_reads(people)
    result = reencrypt_owners()
    assert result.done == 2  # only the owners the first run had not reached
    assert not DataKey.objects.filter(id__in=old_key_ids).exists()
    assert DataKey.objects.count() == 4
    _everything_reads(people)
    status = encryption_status()
    assert set(status.values_by_key_state) == {"live"}
    assert status.values_by_key_state["live"] == 9 * 3 + 1
    assert status.plaintext_values == 0
    mfa = Authenticator.objects.get(user=people["staff"], type="totp").data["secret"]
    assert mfa.startswith("enc1:")


def _data_key_rows() -> list[tuple[Any, bytes, str]]:
    """Every data key's id, wrapped key (as bytes, whatever the database driver hands back)
    and master key id."""
    rows = []
    for key_id, wrapped, master_key_id in DataKey.objects.values_list(
            "id", "wrapped_key", "master_key_id"):
        assert wrapped is not None, "no key is destroyed in this test"
        rows.append((key_id, bytes(wrapped), master_key_id))
    return rows


@pytest.mark.django_db
def test_dry_run_changes_nothing(people: dict[str, Any]) -> None:
    before = _data_key_rows()
    keyring = {**settings.PORTAL_MASTER_KEYS, "k2027": os.urandom(32)}
    with override_settings(PORTAL_MASTER_KEYS=keyring, PORTAL_ACTIVE_MASTER_KEY_ID="k2027"):
        out = StringIO()
        call_command("rotate_keys", "--reencrypt", "--dry-run", stdout=out)
        assert "would re-wrap 4 data keys" in out.getvalue()
        assert "would re-encrypt the data of 4 owners" in out.getvalue()
    after = _data_key_rows()
    assert before == after


@pytest.mark.django_db
def test_rotate_keys_command_and_status_say_when_a_key_may_go(people: dict[str, Any]) -> None:
    old_id = settings.PORTAL_ACTIVE_MASTER_KEY_ID
    keyring = {**settings.PORTAL_MASTER_KEYS, "k2027": os.urandom(32)}
    with override_settings(PORTAL_MASTER_KEYS=keyring, PORTAL_ACTIVE_MASTER_KEY_ID="k2027"):
        status = StringIO()
        call_command("encryption_status", stdout=status)
        assert "4 data keys still use an old master key" in status.getvalue()
        out = StringIO()
        call_command("rotate_keys", stdout=out)
        assert "re-wrap data keys [" in out.getvalue()
        assert "re-wrapped 4 data keys" in out.getvalue()
        status = StringIO()
        call_command("encryption_status", stdout=status)
        assert f"Master key '{old_id}' wraps no data key: it may be removed" in status.getvalue()


@pytest.mark.django_db
def test_erasing_a_client_shreds_their_data_and_spares_others(people: dict[str, Any]) -> None:
    erased, spared = people["clients"][0], people["clients"][1]
    browser = Client()
    sign_in(browser, erased)
    out = StringIO()
    call_command("erase_client", erased.email, "--yes", stdout=out)
    assert "1 data keys destroyed" in out.getvalue()

    for specimen in Specimen.objects.filter(owner=erased):
        with pytest.raises(KeyDestroyedError):
            _ = specimen.text
    assert sorted_values(s.number for s in Specimen.objects.filter(owner=spared)) == [0, 1, 2]
    assert PracticeNote.objects.get().body == "practice note"
    with pytest.raises(KeyDestroyedError), transaction.atomic():
        Specimen.objects.create(owner=erased, text="new data for an erased client")

    erased.refresh_from_db()
    assert not erased.is_active
    assert browser.get(reverse("client_home")).status_code == 302  # session ended
    returning = Client()
    returning.post(reverse("account_login"), {"login": erased.email, "password": PASSWORD})
    assert "_auth_user_id" not in returning.session  # a deactivated account cannot sign in
    key = DataKey.objects.get(owner_id=erased.pk)
    assert key.wrapped_key is None and key.destroyed_at is not None


@pytest.mark.django_db
def test_erase_refuses_staff_and_unknown_people(people: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="Only client accounts"):
        call_command("erase_client", str(people["staff"].pk), "--yes")
    with pytest.raises(CommandError, match="No account"):
        call_command("erase_client", "nobody@example.com", "--yes")
    assert User.objects.get(pk=people["staff"].pk).is_active
    assert DataKey.objects.filter(destroyed_at__isnull=False).count() == 0


@pytest.mark.django_db
def test_erasure_clears_blind_indexes_and_frees_the_old_master_key(
    people: dict[str, Any],
) -> None:
    import datetime

    from portal.crypto.blind_index import blind_search, rebuild_blind_indexes
    from portal.models import ClientProfile

    erased = people["clients"][0]
    ClientProfile.objects.create(user=erased, legal_name="Erin Erased",
                                 date_of_birth=datetime.date(1970, 1, 1), phone="555-010-0900")
    call_command("erase_client", str(erased.pk), "--yes", stdout=StringIO())
    row = ClientProfile.objects.get(user=erased)
    assert (row.legal_name_bidx, row.date_of_birth_bidx, row.phone_bidx) == (None, None, None)
    assert blind_search(ClientProfile.objects.all(), "legal_name", "Erin Erased") == []
    assert rebuild_blind_indexes() == 1  # an erased client does not stop a rebuild

    old_id = settings.PORTAL_ACTIVE_MASTER_KEY_ID
    keyring = {**settings.PORTAL_MASTER_KEYS, "k2027": os.urandom(32)}
    with override_settings(PORTAL_MASTER_KEYS=keyring, PORTAL_ACTIVE_MASTER_KEY_ID="k2027"):
        rewrap_data_keys()
        assert old_id in encryption_status().retirable_master_keys


@pytest.mark.django_db
def test_dumpdata_never_writes_plaintext(people: dict[str, Any]) -> None:
    import datetime

    from portal.models import ClientProfile

    ClientProfile.objects.create(user=people["clients"][1], legal_name="Dump Test",
                                 date_of_birth="1966-06-16")  # a string is coerced
    out = StringIO()
    call_command("dumpdata", "portal.clientprofile", "cryptoapp", stdout=out)
    dumped = out.getvalue()
    assert "1966-06-16" not in dumped and "Dump Test" not in dumped
    assert "client 1 row" not in dumped
    profile = ClientProfile.objects.get(legal_name_bidx__isnull=False)
    assert profile.date_of_birth == datetime.date(1966, 6, 16)
