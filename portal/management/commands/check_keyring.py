"""``manage.py check_keyring``: exit 1, naming each master key id, when the configured
keyring cannot open this database's data keys (the check the WSGI start-up also makes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal.crypto.keyring_check import keyring_problems


class Command(BaseCommand):
    help = "Check that PORTAL_MASTER_KEYS opens every data key in use in this database."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = keyring_problems()
        if problems:
            raise CommandError("The keyring does not match this database. " + " ".join(problems))
        self.stdout.write("The keyring opens every master key id this database uses.")
