"""Start-up refuses a keyring that cannot open the database's data keys: a missing master
key id or other key material under the same id is named (never the key), both by the check
the WSGI entry point makes and by ``manage.py check_keyring``."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from portal.crypto.keyring_check import keyring_problems, require_working_keyring
from portal.models import ClientProfile, DataKey
from portal.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_key() -> DataKey:
    client = UserFactory(role=Role.CLIENT)
    ClientProfile.objects.create(user=client, legal_name="Robin Example")
    return DataKey.objects.get(owner_id=client.pk)


def test_the_right_keyring_starts_and_an_empty_database_needs_no_key() -> None:
    assert keyring_problems() == []
    require_working_keyring()


def test_the_right_keyring_opens_the_stored_keys(stored_key: DataKey) -> None:
    assert keyring_problems() == []
    out = StringIO()
    call_command("check_keyring", stdout=out)
    assert "opens every master key id" in out.getvalue()


def test_other_key_material_under_the_same_id_refuses_to_start(stored_key: DataKey) -> None:
    key_id = settings.PORTAL_ACTIVE_MASTER_KEY_ID
    wrong = os.urandom(32)
    with override_settings(PORTAL_MASTER_KEYS={key_id: wrong}):
        with pytest.raises(ImproperlyConfigured, match=f"'{key_id}'.*wrong key material") as err:
            require_working_keyring()
        assert wrong.hex() not in str(err.value)
        with pytest.raises(CommandError, match="does not match this database"):
            call_command("check_keyring")


def test_a_missing_master_key_id_refuses_to_start(stored_key: DataKey) -> None:
    key_id = stored_key.master_key_id
    with (
        override_settings(PORTAL_MASTER_KEYS={"another": os.urandom(32)},
                          PORTAL_ACTIVE_MASTER_KEY_ID="another"),
        pytest.raises(ImproperlyConfigured, match=f"'{key_id}', which PORTAL_MASTER_KEYS"),
    ):
        require_working_keyring()

