"""Encrypted values stay out of error reports, the Django admin and the demo's raw rows."""

from __future__ import annotations

import datetime
import secrets
import sys
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter

from portal.crypto.blind_index import blind_search
from portal.crypto.models import encrypted_models
from portal.models import ClientProfile, DataKey
from portal.reporting import HIDDEN
from tests.factories import UserFactory
from tests.helpers import sign_in

# Built at run time so that it never appears in source lines a traceback quotes.
CANARY = "canary-" + secrets.token_hex(8)


def test_error_reports_hide_post_data_and_local_variables() -> None:
    request = RequestFactory().post("/me/", {"what_brings_you": CANARY})
    decrypted_answer = CANARY  # a local variable, as a view would hold one
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        text = reporter.get_traceback_text()
        html = reporter.get_traceback_html()
    assert decrypted_answer not in text and CANARY not in html
    assert HIDDEN in text
    assert "RuntimeError" in text  # the report is still useful


@pytest.mark.django_db
def test_demo_client_details_are_stored_encrypted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-password-for-tests-1")
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    # Eleven clients, the couple, two parents, their teenager and their young son.
    assert ClientProfile.objects.count() == 17
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_name, phone FROM portal_clientprofile")
        rows = cursor.fetchall()
    for legal_name, phone in rows:
        assert bytes(legal_name)[0] == 0x01 and b"Maya" not in bytes(legal_name)
        # The whole number as typed: "555" alone also turns up, now and then, in the
        # random hex key id every ciphertext carries in its header.
        assert b"(555) 010" not in bytes(phone or b"")
    found = blind_search(ClientProfile.objects.all(), "date_of_birth", datetime.date(1991, 4, 12))
    assert [profile.legal_name for profile in found] == ["Maya Okafor"]
    assert [p.preferred_name for p in blind_search(
        ClientProfile.objects.all(), "legal_name", "  DANIEL   reyes ")] == ["Dani"]


@pytest.mark.django_db
def test_django_admin_never_shows_encrypted_content_or_key_material() -> None:
    # No model with an encrypted field is in the admin (it would decrypt every row shown).
    assert not [model for model in admin.site._registry if model in encrypted_models()]
    assert ClientProfile not in admin.site._registry
    owner = UserFactory()
    ClientProfile.objects.create(user=owner, legal_name=CANARY)
    superuser = UserFactory(email="root@example.com", is_superuser=True, is_staff=True,
                            totp=True)
    http = Client()
    sign_in(http, superuser)
    key = DataKey.objects.get(owner_id=owner.pk)
    assert key.wrapped_key is not None
    for url in ("/django-admin/portal/datakey/", f"/django-admin/portal/datakey/{key.pk}/change/",
                "/django-admin/portal/user/"):
        response = http.get(url)
        assert response.status_code == 200, url
        assert CANARY.encode() not in response.content
        assert bytes(key.wrapped_key).hex().encode()[:16] not in response.content
