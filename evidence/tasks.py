"""The evidence runner's work inside the portal: seed the cast, compare what the database
holds with what the simulated clients sent, erase a client, try to read a database
with the wrong keys, and queue a batch of emails for the worker crash drill.

Run as ``python -m evidence.tasks <task> <json arguments>`` in a child process whose
environment names the database and the keys (``evidence.context.Context.django_task``);
prints one JSON object as its last line. Only ``main`` sets Django up, so importing this
module has no side effects. Output holds counts, question ids and error class names, never
an answer, a name or a key.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _load(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _outcomes(path: str) -> dict[int, dict[str, Any]]:
    """Each simulated client's report (``locustfile``): pages acknowledged, submitted."""
    outcomes: dict[int, dict[str, Any]] = {}
    file = Path(path)
    if file.exists():
        for line in file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                outcomes[record["index"]] = record
    return outcomes


def seed(plan_path: str) -> dict[str, Any]:
    """The practice of the load run: the shipped consent documents published, one practice
    admin and the clinicians with TOTP (secrets from the plan), and every client with a
    verified email, a profile (legal name, date of birth, phone), each consent the intake
    needs signed through ``consent_sign``, and every clinician on their care team."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP
    from django.db import transaction

    from clients.services import client_assign
    from consents.defaults import install_default_documents
    from consents.selectors import blocking_before_intake
    from consents.services import consent_sign
    from demo.management.commands.seed_demo import DEMO_PRACTICE_SETTINGS
    from portal.crypto.datakeys import key_scope
    from portal.models import ClientProfile, PracticeSettings, User
    from portal.roles import Role, grant_role

    plan = _load(plan_path)
    started = time.monotonic()
    signed = 0
    with transaction.atomic(), key_scope():
        practice = PracticeSettings.load()
        # Every setting the consent documents quote, so none is published with a blank.
        for name, value in DEMO_PRACTICE_SETTINGS.items():
            setattr(practice, name, value)
        practice.name = "Evidence practice"
        practice.save()
        install_default_documents(publish=True)
        clinicians = []
        for person in plan["staff"]:
            user = User.objects.create_user(person["email"], person["password"],
                                            display_name=person["email"].split("@")[0])
            grant_role(user, Role(person["role"]))
            EmailAddress.objects.create(user=user, email=user.email, primary=True,
                                        verified=True)
            TOTP.activate(user, person["totp_secret"])
            RecoveryCodes.activate(user)
            if person["role"] == Role.CLINICIAN:
                clinicians.append(user)
        for client in plan["clients"]:
            user = User.objects.create_user(client["email"], client["password"])
            grant_role(user, Role.CLIENT)
            EmailAddress.objects.create(user=user, email=user.email, primary=True,
                                        verified=True)
            profile = dict(client["profile"])
            profile["date_of_birth"] = datetime.date.fromisoformat(profile["date_of_birth"])
            ClientProfile.objects.create(user=user, **profile)
            for status in blocking_before_intake(user):
                version = status.current
                if version is None:  # blocking means published: never the case
                    continue
                consent_sign(client=user, version_id=version.pk,
                             expected_sha256=version.sha256,
                             typed_name=client["profile"]["legal_name"], agreed=True)
                signed += 1
            for clinician in clinicians:
                client_assign(client=user, clinician=clinician, actor=None)
            if blocking_before_intake(user):
                raise RuntimeError("A seeded client still has consents blocking the intake.")
    seconds = time.monotonic() - started
    # What one sign-in's password check costs here (Argon2, the first hasher): three tries.
    first = plan["clients"][0]
    user = User.objects.get(email=first["email"])
    checks = []
    for _ in range(3):
        begun = time.perf_counter()
        user.check_password(first["password"])
        checks.append(time.perf_counter() - begun)
    return {"clients": len(plan["clients"]), "staff": len(plan["staff"]),
            "signatures": signed, "seconds": round(seconds, 1),
            "password_check_ms": round(sorted(checks)[1] * 1000)}


def _read(instance: Any, field: str, errors: Counter[str]) -> tuple[bool, Any]:
    """Read one encrypted attribute: (True, value), or (False, None) counting the
    portal's error class."""
    from portal.crypto.errors import DecryptionError

    try:
        return True, getattr(instance, field)
    except DecryptionError as error:
        errors[type(error).__name__] += 1
        return False, None


def _compare(expected: dict[str, Any], actual: Any, where: str, out: list[str]) -> int:
    """Differences between two answer dicts, by question id (never the values)."""
    if not isinstance(actual, dict):
        out.append(f"{where}: answers are not a mapping")
        return 1
    differences = 0
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            out.append(f"{where}.{key}: missing")
        elif key not in expected:
            out.append(f"{where}.{key}: not sent")
        elif expected[key] != actual[key]:
            out.append(f"{where}.{key}: different")
        else:
            continue
        differences += 1
    return differences


def check(plan_path: str, outcomes_path: str, erased: list[int]) -> dict[str, Any]:
    """Decrypt every intake (drafts and submissions), profile and consent signature of the
    plan's clients, and compare with what each client sent and had acknowledged. Erased
    clients (``erased``) must read nothing at all. Also finds a few clients through the
    legal-name blind index, as the staff search does."""
    from clients.search import BY_NAME, client_search
    from consents.models import ConsentSignature
    from evidence.plan import expected_answers
    from intake.models import Intake, IntakeState
    from portal.crypto.datakeys import key_scope
    from portal.models import ClientProfile, User

    plan = _load(plan_path)
    outcomes = _outcomes(outcomes_path)
    details: list[str] = []
    errors: Counter[str] = Counter()
    result: Counter[str] = Counter()
    admin = User.objects.get(email=plan["staff"][0]["email"])
    with key_scope():
        for client in plan["clients"]:
            index = client["index"]
            user = User.objects.get(email=client["email"])
            where = f"client {index:03d}"
            if index in erased:
                result.update(_erased_reads(user, errors))
                continue
            outcome = outcomes.get(index, {"acknowledged": {}, "submitted": False})
            intakes = list(Intake.objects.filter(client=user))
            expected_state = IntakeState.SUBMITTED if outcome["submitted"] else IntakeState.DRAFT
            if not intakes and outcome["acknowledged"]:
                details.append(f"{where}: no intake in the database")
                result["differences"] += 1
            for intake in intakes:
                result["intakes"] += 1
                result["submitted" if intake.is_submitted else "drafts"] += 1
                ok, answers = _read(intake, "answers", errors)
                result["decrypted" if ok else "decrypt_failures"] += 1
                if intake.is_submitted:
                    scored, _ = _read(intake, "scores", errors)
                    result["scores_decrypted" if scored else "decrypt_failures"] += 1
                if intake.state != expected_state:
                    details.append(f"{where}: intake is {intake.state}, expected "
                                   f"{expected_state}")
                    result["differences"] += 1
                if ok:
                    result["differences"] += _compare(
                        expected_answers(client, outcome["acknowledged"]), answers, where,
                        details)
            profile = ClientProfile.objects.get(user=user)
            for field, wanted in client["profile"].items():
                ok, value = _read(profile, field, errors)
                result["profile_fields"] += 1
                if not ok or (value.isoformat() if isinstance(value, datetime.date)
                              else value) != wanted:
                    details.append(f"{where}: profile.{field} does not match")
                    result["profile_differences"] += 1
            for signature in ConsentSignature.objects.filter(client=user):
                ok, value = _read(signature, "typed_name", errors)
                result["signatures"] += 1
                if not ok or value != client["profile"]["legal_name"]:
                    details.append(f"{where}: a consent signature's name does not match")
                    result["signature_differences"] += 1
        for client in plan["clients"][:5]:
            if client["index"] in erased:
                continue
            found = client_search(viewer=admin, kind=BY_NAME,
                                  value=client["profile"]["legal_name"])
            result["searches"] += 1
            result["searches_found"] += int(
                found == [User.objects.get(email=client["email"]).pk])
    # Every intake in the database belongs to a client of the plan, and was looked at.
    unexplained = Intake.objects.count() - result["intakes"] - sum(
        Intake.objects.filter(client__email=client["email"]).count()
        for client in plan["clients"] if client["index"] in erased)
    if unexplained:
        details.append(f"{unexplained} intakes in the database belong to no client of the plan")
        result["differences"] += unexplained
    return {**result, "errors": dict(errors), "details": details[:40],
            "clients": len(plan["clients"]), "erased": erased}


def drafts(plan_path: str, snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    """Right after an outage, before anyone writes again: each visitor's intake must hold
    exactly what the portal acknowledged, or that plus the one save the visitor sent without
    getting an answer (``in_flight``), applied in full. Anything else is a half-written
    record. Counts only, and question ids in the details."""
    from evidence.plan import expected_answers
    from intake.models import Intake
    from portal.crypto.datakeys import key_scope

    clients = {client["index"]: client for client in _load(plan_path)["clients"]}
    result: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    details: list[str] = []
    with key_scope():
        for snap in snapshots:
            client, where = clients[snap["index"]], f"client {snap['index']:03d}"
            acknowledged, in_flight = snap["acknowledged"], snap["in_flight"] or {}
            candidates = [expected_answers(client, acknowledged)]
            if "section" in in_flight:
                candidates.append(expected_answers(
                    client, {**acknowledged, in_flight["section"]: in_flight["version"]}))
            intakes = list(Intake.objects.filter(client__email=client["email"]))
            if not intakes:
                result["no_intake_yet" if not acknowledged else "half_written"] += 1
                continue
            intake = intakes[0]
            ok, answers = _read(intake, "answers", errors)
            if not ok:
                result["decrypt_failures"] += 1
            elif answers == candidates[0]:
                result["as_acknowledged"] += 1
            elif answers in candidates[1:]:
                result["in_flight_applied_in_full"] += 1
            else:
                result["half_written"] += 1
                _compare(candidates[-1], answers, where, details)
            if intake.is_submitted and not (snap["submitted"] or in_flight.get("submit")):
                result["half_written"] += 1
                details.append(f"{where}: submitted without a submission sent")
    return {**result, "errors": dict(errors), "details": details[:20],
            "visitors": len(snapshots)}


def _erased_reads(user: Any, errors: Counter[str]) -> Counter[str]:
    """Try every encrypted value of an erased client: each must refuse."""
    from consents.models import ConsentSignature
    from intake.models import Intake
    from portal.crypto.fields import holds_value
    from portal.crypto.models import encrypted_fields
    from portal.models import ClientProfile

    counts: Counter[str] = Counter()
    rows = [*ClientProfile.objects.filter(user=user), *Intake.objects.filter(client=user),
            *ConsentSignature.objects.filter(client=user)]
    for row in rows:
        for field in encrypted_fields(type(row)):
            if not holds_value(row, field.attname):
                continue
            ok, _ = _read(row, field.name, errors)
            counts["erased_readable" if ok else "erased_refused"] += 1
    return counts


def erase(plan_path: str, index: int) -> dict[str, Any]:
    """Crypto-shred one plan client with ``client_erase`` (as ``erase_client`` does)."""
    from clients.services import client_erase
    from portal.models import User

    client = _load(plan_path)["clients"][index]
    result = client_erase(user=User.objects.get(email=client["email"]), actor=None)
    return {"keys_destroyed": result.keys_destroyed}


def probe(plan_path: str) -> dict[str, Any]:
    """With whatever keys this process was given, try to read every encrypted value in the
    database (every row of every encrypted model, and staff TOTP secrets), and look a few
    clients up by legal name through the blind index. With the wrong keys all of it must
    fail or find nothing."""
    from allauth.mfa.adapter import get_adapter as get_mfa_adapter
    from allauth.mfa.models import Authenticator

    from clients.search import BY_NAME, client_search
    from portal.crypto.datakeys import key_scope
    from portal.crypto.errors import DecryptionError
    from portal.crypto.fields import holds_value
    from portal.crypto.models import encrypted_fields, encrypted_models
    from portal.models import User

    plan = _load(plan_path)
    errors: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    with key_scope():
        for model in encrypted_models():
            for row in model.objects.all():
                for field in encrypted_fields(model):
                    if not holds_value(row, field.attname):
                        continue
                    ok, _ = _read(row, field.name, errors)
                    counts["values_read" if ok else "values_refused"] += 1
        for authenticator in Authenticator.objects.filter(type=Authenticator.Type.TOTP):
            try:
                get_mfa_adapter().decrypt(authenticator.data["secret"])
            except Exception as error:
                errors[type(error).__name__] += 1
                counts["totp_refused"] += 1
            else:
                counts["totp_read"] += 1
        admin = User.objects.get(email=plan["staff"][0]["email"])
        for client in plan["clients"][:5]:
            counts["searches"] += 1
            try:
                found = client_search(viewer=admin, kind=BY_NAME,
                                      value=client["profile"]["legal_name"])
            except DecryptionError as error:
                errors[type(error).__name__] += 1
                continue
            counts["searches_found"] += int(bool(found))
    return {**counts, "errors": dict(errors)}


def queue_emails(count: int, prefix: str) -> dict[str, Any]:
    """Queue ``count`` consent reminders through ``notify``, to addresses without an account
    (``<prefix>.NNN@evidence.test``), in one transaction: a batch for the worker crash
    drill. Returns how many outbox rows were written."""
    from django.db import transaction

    from evidence.plan import EMAIL_DOMAIN
    from portal.crypto.datakeys import key_scope
    from portal.mail import notify
    from portal.models import PracticeSettings

    with transaction.atomic(), key_scope():
        practice = PracticeSettings.load()
        queued = sum(len(notify(f"{prefix}.{number:03d}@{EMAIL_DOMAIN}",
                                template="consents/email/reminder",
                                context={"practice": practice}))
                     for number in range(count))
    return {"queued": queued}


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "seed": seed, "check": check, "erase": erase, "probe": probe, "drafts": drafts,
    "queue_emails": queue_emails,
}


def main(argv: list[str]) -> int:
    """``python -m evidence.tasks <task> '<json list of arguments>'``."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    task, arguments = argv[0], json.loads(argv[1]) if len(argv) > 1 else []
    print(json.dumps(TASKS[task](*arguments), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
