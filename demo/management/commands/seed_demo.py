"""``manage.py seed_demo``: an idempotent demo practice for development.

Creates (or brings back to its demo state) one practice admin, two clinicians, eight
clients, a couple and a family (``demo.case_stories``) and one pending invitation, then
plays each client's story (``demo.scenarios``):
consents signed, withdrawn and outdated, intakes in progress, sent, and raising a safety
alert, an authorization to release information, and staff opening records; all through the
real services, so it is encrypted, audited and chained as real use would make it. Clients
join their clinician's care team through ``client_assign``, so the audit trail shows the
system assigning them the first time. Staff accounts get TOTP and recovery codes, as staff
must. What a newcomer needs to sign in is printed to the terminal only: it is never logged
or mailed. Refuses to run in production.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clients.services import client_assign
from consents.defaults import install_default_documents, install_shipped_translations
from demo.case_stories import CASE_PEOPLE, play_cases
from demo.scenarios import (
    ADMIN,
    CHEN,
    DEMO_CLIENTS,
    DEMO_DOMAIN,
    DEMO_PRACTICE_SETTINGS,
    RIVERA,
    play_stories,
)
from portal.crypto.datakeys import key_scope
from portal.models import Invitation, PracticeSettings, User
from portal.roles import Role, grant_role
from portal.services.invitations import invitation_send


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: Role
    display_name: str
    description: str
    verified: bool = True
    totp: bool = False
    language: str = ""


DEMO_ACCOUNTS = (
    DemoAccount(ADMIN, Role.PRACTICE_ADMIN, "Alex Morgan",
                "practice admin (MFA): consents (one withdrawn, one to sign again), "
                "invitations, every client, the whole audit trail", totp=True),
    DemoAccount(RIVERA, Role.CLINICIAN, "Dr. Sam Rivera",
                "clinician (MFA): a safety alert waiting on the home page, seven clients, "
                "a worsening first on Scores",
                totp=True),
    DemoAccount(CHEN, Role.CLINICIAN, "Jordan Chen, LCSW",
                "clinician (MFA): two clients, one intake reviewed", totp=True),
    *(DemoAccount(demo.email, Role.CLIENT, "", demo.shows, verified=demo.verified,
                  totp=demo.totp, language=demo.language) for demo in DEMO_CLIENTS),
    *(DemoAccount(person.email, Role.CLIENT, "", person.shows) for person in CASE_PEOPLE),
)
PENDING_INVITATION_EMAIL = f"invited.client@{DEMO_DOMAIN}"
def _ensure_practice_settings() -> None:
    """Give the demo practice its name and every setting the consent documents need,
    leaving alone any value a developer has already set (the name counts as unset while it
    is the default). Idempotent."""
    practice = PracticeSettings.load()
    default_name = PracticeSettings._meta.get_field("name").default
    changed = [name for name in DEMO_PRACTICE_SETTINGS
               if getattr(practice, name) in ("", None, {})
               or (name == "name" and practice.name == default_name)]
    for name in changed:
        setattr(practice, name, DEMO_PRACTICE_SETTINGS[name])
    if changed:
        practice.save(update_fields=[*changed, "updated_at"])


# Fixed demo TOTP secrets would be shared by every developer's copy; generate per database.
class Command(BaseCommand):
    help = "Create or refresh the demo practice and print how to sign in."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo refuses to run in production (PORTAL_ENV=production).")
        password = os.environ.get("DEMO_PASSWORD") or ""
        generated = not password
        if generated:
            password = f"demo-{secrets.token_urlsafe(9)}"
        with transaction.atomic(), key_scope():
            _ensure_practice_settings()
            rows = [self._ensure_account(account, password) for account in DEMO_ACCOUNTS]
            self._ensure_care_teams()
            self._ensure_invitation()
            # The shipped consent templates, filled in from the settings above and published,
            # so the demo clients have documents to sign (a real practice adapts the drafts
            # with its counsel first).
            install_default_documents(publish=True)
            play_stories()
            play_cases()
            # Then each document's Spanish text as its own version (after the stories, so
            # their version numbers read as the stories tell them).
            install_shipped_translations(publish=True)
        self._print(rows, password, generated)

    def _ensure_account(self, account: DemoAccount, password: str) -> tuple[DemoAccount, str]:
        user = User.objects.filter(email=account.email).first()
        if user is None:
            user = User.objects.create_user(
                account.email, password, display_name=account.display_name,
                language=account.language,
            )
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        grant_role(user, account.role)
        EmailAddress.objects.update_or_create(
            user=user,
            email=account.email,
            defaults={"primary": True, "verified": account.verified},
        )
        secret = ""
        if account.totp:
            totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
            if totp is None:
                secret = generate_totp_secret()
                TOTP.activate(user, secret)
            else:
                secret = get_mfa_adapter().decrypt(totp.data["secret"])
            if not Authenticator.objects.filter(
                user=user, type=Authenticator.Type.RECOVERY_CODES
            ).exists():
                RecoveryCodes.activate(user)
        return account, secret

    def _ensure_care_teams(self) -> None:
        """Assign the demo clients to their clinician (idempotent: no repeat, no new event)."""
        for demo in DEMO_CLIENTS:
            if demo.clinician is not None:
                client_assign(
                    client=User.objects.get(email=demo.email),
                    clinician=User.objects.get(email=demo.clinician),
                    actor=None,
                )

    def _ensure_invitation(self) -> None:
        """The admin invites one more client, who has not joined yet (once). The email with
        its link is printed to the terminal by the console mail backend."""
        if Invitation.objects.filter(email=PENDING_INVITATION_EMAIL).exists():
            return
        invitation_send(email=PENDING_INVITATION_EMAIL, invited_by=User.objects.get(email=ADMIN))

    def _print(self, rows: list[tuple[DemoAccount, str]], password: str, generated: bool) -> None:
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS("Demo practice ready. Sign in at http://127.0.0.1:8000/"))
        note = " (generated now; set DEMO_PASSWORD to choose it)" if generated else ""
        out.write(f"Password for every demo account: {password}{note}")
        out.write("")
        for account, secret in rows:
            out.write(f"  {account.email:<36} {account.description}")
            if secret:
                user = User.objects.get(email=account.email)
                codes = RecoveryCodes(
                    Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
                ).get_unused_codes()
                counter = next(iter(yield_hotp_counters_from_time()))
                current = format_hotp_value(hotp_value(secret, counter))
                out.write(f"      TOTP secret: {secret}   (code right now: {current})")
                if codes:
                    out.write(f"      recovery code: {codes[0]}")
        out.write(f"  {PENDING_INVITATION_EMAIL:<36} invited, has not joined yet (Staff > "
                  "Invitations: Resend prints a fresh link here)")
        out.write("")
        out.write("  Emails are printed to this terminal (console backend).")
        out.write("")
