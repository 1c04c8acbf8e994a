"""Blind-index search, and encrypted fields used through ModelForms as if they were plain."""

from __future__ import annotations

import datetime

import pytest
from crispy_forms.utils import render_crispy_form
from django import forms
from django.db import connection

from portal.crypto.blind_index import blind_search as search
from portal.crypto.blind_index import normalise_name, normalise_phone
from portal.models import ClientProfile, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.subprocesses import production_environ, run_python


def _profile(name: str, dob: datetime.date, phone: str) -> ClientProfile:
    return ClientProfile.objects.create(
        user=UserFactory(role=Role.CLIENT), legal_name=name, date_of_birth=dob, phone=phone
    )


@pytest.mark.django_db
def test_search_finds_exactly_the_right_client() -> None:
    ana = _profile("Ana María Núñez", datetime.date(1990, 5, 17), "+1 (555) 010-0001")
    _profile("Ana Marie Nunes", datetime.date(1990, 5, 18), "555 010 0002")
    _profile("Bob Stone", datetime.date(1990, 5, 17), "555-010-0003")
    everyone = ClientProfile.objects.all()
    assert search(everyone, "legal_name", "ANA  MARÍA NÚÑEZ") == [ana]
    assert search(everyone, "legal_name", "ana maria nunez") == [ana]  # accents optional
    assert search(everyone, "phone", "5550100001") == [ana]
    assert {p.legal_name for p in search(everyone, "date_of_birth", "1990-05-17")} == {
        "Ana María Núñez", "Bob Stone"}
    assert search(everyone, "legal_name", "Nobody Here") == []
    assert search(everyone, "legal_name", "   ") == []


@pytest.mark.django_db
def test_false_candidates_from_truncation_are_dropped_after_decryption() -> None:
    real = _profile("Jordan Blake", datetime.date(1980, 1, 1), "555-010-0100")
    other = _profile("Someone Else", datetime.date(1981, 2, 2), "555-010-0200")
    # Force a 16-bit collision, as truncation produces by chance in a large practice.
    ClientProfile.objects.filter(pk=other.pk).update(legal_name_bidx=real.legal_name_bidx)
    candidates = ClientProfile.objects.filter(legal_name_bidx=real.legal_name_bidx)
    assert candidates.count() == 2
    assert search(ClientProfile.objects.all(), "legal_name", "jordan blake") == [real]


@pytest.mark.django_db
def test_blind_index_column_holds_no_plaintext_and_differs_per_index() -> None:
    profile = _profile("555 010 0300", datetime.date(1975, 3, 3), "555 010 0300")
    assert len(profile.legal_name_bidx) == 4  # 16 bits as hex
    assert profile.legal_name_bidx != profile.phone_bidx  # same input, separate keys
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone_bidx FROM portal_clientprofile")
        assert "0300" not in cursor.fetchone()[0]


def test_normalisers() -> None:
    assert normalise_name("  O'NEIL,   José ") == "oneil jose"
    assert normalise_name("Zoë Ångström-Øye") == "zoe angstromøye"
    assert normalise_name("\uff21\uff22\uff23") == "abc"  # NFKC folds full-width letters
    assert normalise_phone("+1 (555) 010-0100") == "5550100100"
    assert normalise_phone("\uff10\uff15\uff15\uff15") == "0555"  # full-width digits


class ProfileForm(forms.ModelForm):
    class Meta:
        model = ClientProfile
        fields = ["legal_name", "preferred_name", "date_of_birth", "phone"]


@pytest.mark.django_db
def test_model_form_validates_plaintext_and_saves_ciphertext() -> None:
    user: User = UserFactory(role=Role.CLIENT)
    too_long = ProfileForm({"legal_name": "x" * 201, "date_of_birth": "1990-01-01"})
    assert not too_long.is_valid()
    assert "at most 200 characters" in str(too_long.errors["legal_name"])
    bad_date = ProfileForm({"legal_name": "Sam", "date_of_birth": "31/31/1990"})
    assert "date_of_birth" in bad_date.errors

    form = ProfileForm({"legal_name": "Sam Doe", "date_of_birth": "1990-01-01",
                        "phone": "555-010-0400", "preferred_name": ""})
    assert form.is_valid(), form.errors
    profile = form.save(commit=False)
    profile.user = user
    profile.save()
    stored = ClientProfile.objects.get(pk=profile.pk)
    assert stored.legal_name == "Sam Doe" and stored.date_of_birth == datetime.date(1990, 1, 1)
    edit = ProfileForm(instance=stored)
    html = render_crispy_form(edit)
    assert 'value="Sam Doe"' in html and 'value="1990-01-01"' in html


def test_development_without_keys_refuses_to_start() -> None:
    environ = production_environ(PORTAL_ENV="development", PORTAL_MASTER_KEYS=None)
    result = run_python("import django; django.setup(); print('started')", environ)
    assert result.returncode != 0
    assert "PORTAL_MASTER_KEYS is not set" in result.stderr
    assert "make run" in result.stderr


@pytest.mark.django_db
def test_rebuild_after_changing_the_blind_index_key() -> None:
    import os
    from io import StringIO

    from django.core.management import call_command
    from django.test import override_settings

    profile = _profile("Riley Quinn", datetime.date(1992, 6, 6), "555-010-0500")
    with override_settings(PORTAL_BLIND_INDEX_KEY=os.urandom(32)):
        assert search(ClientProfile.objects.all(), "legal_name", "riley quinn") == []
        out = StringIO()
        call_command("rebuild_blind_indexes", stdout=out)
        assert "Rebuilt blind indexes of 1 rows" in out.getvalue()
        assert search(ClientProfile.objects.all(), "legal_name", "riley quinn") == [profile]
