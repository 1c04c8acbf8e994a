"""`make run`'s building blocks: the local .env and the demo practice."""

from __future__ import annotations

import re
import stat
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from consents.models import ConsentDocument, ConsentSignature, ConsentVersion, VersionStatus
from consents.placeholders import find_placeholders
from intake.models import Intake
from portal.audit.models import AuditEvent
from portal.devenv import write_env
from portal.models import Case, Invitation, User
from portal.roles import Role, roles_of
from tests.helpers import current_totp_code
from tests.subprocesses import production_environ, run_manage


def test_dev_env_is_generated_once_with_private_permissions(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    assert write_env(target) is True
    first = target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "SECRET_KEY=" in first and "PORTAL_MASTER_KEYS=dev-1:" in first
    assert write_env(target) is False
    assert target.read_text() == first
    other = tmp_path / "other.env"
    write_env(other)
    assert other.read_text() != first  # every developer gets their own keys


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_logins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-password-for-tests-1")
    first, second = StringIO(), StringIO()
    call_command("seed_demo", stdout=first)
    counts = (User.objects.count(), Invitation.objects.count(), Authenticator.objects.count())
    call_command("seed_demo", stdout=second)
    assert (User.objects.count(), Invitation.objects.count(),
            Authenticator.objects.count()) == counts
    # The admin, two clinicians, eleven clients (one reads Spanish), the couple, two
    # parents, their teenager, and their young son's record (no login).
    assert counts[0] == 20
    output = second.getvalue()
    assert "Demo-password-for-tests-1" in output
    assert "TOTP secret" in output and "recovery code" in output

    admin = User.objects.get(email="admin@demo.example.org")
    assert roles_of(admin) == {Role.PRACTICE_ADMIN}
    clients = [u for u in User.objects.all() if roles_of(u) == {Role.CLIENT}]
    assert len(clients) == 17
    assert User.objects.get(email="cliente.es@demo.example.org").language == "es"
    assert not EmailAddress.objects.get(email="client.unverified@demo.example.org").verified
    clinicians = [u for u in User.objects.all() if roles_of(u) == {Role.CLINICIAN}]
    assert len(clinicians) == 2
    for staff in [admin, *clinicians]:
        assert Authenticator.objects.filter(user=staff, type="totp").exists()


@pytest.mark.django_db
def test_seed_demo_publishes_every_document_with_no_placeholder_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-password-for-tests-1")
    call_command("seed_demo", stdout=StringIO())
    first_run = ConsentVersion.objects.count()
    call_command("seed_demo", stdout=StringIO())  # again: no new version
    versions = list(ConsentVersion.objects.select_related("document").order_by("published_at"))
    assert len(versions) == first_run
    # Ten documents (the seven for everyone, the two secrets policies and the assent of
    # couples and families), each published once; the fees policy once more, with a
    # material change (the demo client who signed version 1 must sign again); then each
    # document's Spanish text as a version of its own.
    assert ConsentDocument.objects.count() == 10
    assert sorted(v.document.kind for v in versions).count("fees") == 3
    assert len(versions) == 21
    assert sorted(v.document.kind for v in versions if v.language == "es") == sorted(
        ConsentDocument.objects.values_list("kind", flat=True))
    for version in versions:
        assert version.status == VersionStatus.PUBLISHED, version.document.kind
        assert find_placeholders(version.summary, version.body) == [], version.document.kind
        assert not re.search(r"\[[^\]\n]*\](?!\()", version.body), version.document.kind
    fees = [v for v in versions if v.document.kind == "fees" and v.language == "en"][-1].body
    assert "**Therapy session of about 50 minutes:** $150" in fees
    assert "Willow Street Counseling (demo) is not in network with any insurance plans." in fees


@pytest.mark.django_db
def test_demo_admin_signs_in_with_the_printed_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-password-for-tests-1")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    lines = out.getvalue().splitlines()
    index = next(i for i, line in enumerate(lines) if "admin@demo.example.org" in line)
    secret = lines[index + 1].split("TOTP secret:")[1].split()[0]
    browser = Client()
    browser.post(reverse("account_login"),
                 {"login": "admin@demo.example.org", "password": "Demo-password-for-tests-1"})
    browser.post(reverse("mfa_authenticate"), {"code": current_totp_code(secret)})
    assert browser.get(reverse("staff_home")).status_code == 200


def test_seed_demo_refuses_to_run_in_production() -> None:
    result = run_manage(["seed_demo"], production_environ())
    assert result.returncode != 0
    assert "refuses to run in production" in result.stderr


@pytest.mark.django_db
def test_seed_demo_adds_a_couple_and_a_family_case_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-password-for-tests-1")
    call_command("seed_demo", stdout=StringIO())
    counted = (Case.objects.count(), Intake.objects.count(), ConsentSignature.objects.count(),
               AuditEvent.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Case.objects.count(), Intake.objects.count(), ConsentSignature.objects.count(),
            AuditEvent.objects.count()) == counted
    couple, family = Case.objects.get(kind="couple"), Case.objects.get(kind="family")
    sent = Intake.objects.filter(case=couple, state="submitted")
    assert sent.count() == 2
    scores = sorted(next(s["band"] for s in intake.scores if s["instrument"] == "csi4")
                    for intake in sent)
    assert scores[0].startswith("Above") and scores[1].startswith("Below")
    assert couple.care_team.get().clinician.email == "clinician.chen@demo.example.org"
    roles = sorted(family.participants.values_list("role", flat=True))
    assert roles == ["adolescent", "adult", "adult", "child"]
    assert Intake.objects.filter(case=family, state="submitted").count() == 1
    # One parent signed for the young son: it waits for the other.
    signed_for_child = ConsentSignature.objects.filter(on_behalf_of__isnull=False)
    assert signed_for_child.count() == 1
    waiting = signed_for_child.get().signer_set
    assert waiting is not None and waiting.completed_at is None
