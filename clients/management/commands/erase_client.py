"""``manage.py erase_client <user-id-or-email>``: crypto-shred one client's data.

The erasure is recorded in the audit trail as done by the system (an operator with shell
access has no account to name), before any key is destroyed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients.services import ErasureError, client_erase
from portal.models import User


class Command(BaseCommand):
    help = "Destroy a client's data keys (irreversible) and deactivate their account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client", help="The client's user id or login email.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._find(options["client"])
        if not options["yes"]:
            answer = input(
                "This destroys the client's encryption key. Everything they told the practice "
                "becomes unreadable, also in backups, and cannot be recovered. Type 'erase' to "
                "continue: "
            )
            if answer.strip() != "erase":
                raise CommandError("Nothing was erased.")
        try:
            result = client_erase(user=user, actor=None)
        except (ValueError, ErasureError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Erased client {user.pk}: {result.keys_destroyed} data keys destroyed, "
            f"{result.sessions_ended} sessions ended, {result.messages_removed} outgoing "
            f"emails removed, account deactivated."
        ))

    @staticmethod
    def _find(reference: str) -> User:
        try:
            return User.objects.get(pk=uuid.UUID(reference))
        except (ValueError, User.DoesNotExist):
            pass
        user = User.objects.filter(email__iexact=reference.strip()).first()
        if user is None:
            raise CommandError("No account matches that id or email.")
        return user
