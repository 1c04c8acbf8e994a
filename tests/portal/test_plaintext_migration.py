"""Moving plaintext into encrypted storage: detected by prefix, done once, never twice."""

from __future__ import annotations

import pytest
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator

from portal.crypto.mfa import MFA_PURPOSE
from portal.crypto.migration import encrypt_plaintext_mfa_data
from portal.roles import Role
from tests.factories import UserFactory, totp_secret_of


@pytest.mark.django_db
def test_plaintext_mfa_secrets_are_encrypted_once_and_still_work() -> None:
    staff = UserFactory(role=Role.CLINICIAN, totp=True)
    # A row as an older version stored it: the secret in plaintext.
    Authenticator.objects.filter(user=staff, type="totp").update(
        data={"secret": totp_secret_of(staff)}
    )
    assert encrypt_plaintext_mfa_data(Authenticator.objects.all(), MFA_PURPOSE) == 1
    stored = Authenticator.objects.get(user=staff, type="totp").data["secret"]
    assert stored.startswith("enc1:") and totp_secret_of(staff) not in stored
    assert get_mfa_adapter().decrypt(stored) == totp_secret_of(staff)
    # Running again changes nothing: encrypted values are recognised by their prefix.
    assert encrypt_plaintext_mfa_data(Authenticator.objects.all(), MFA_PURPOSE) == 0
    assert Authenticator.objects.get(user=staff, type="totp").data["secret"] == stored
