"""``manage.py encryption_status``: data keys and encrypted values per key, and which old
master keys may be retired. Reads envelope headers only; decrypts nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.crypto.status import encryption_status


class Command(BaseCommand):
    help = "Count data keys and encrypted values per key; say which master keys can go."

    def handle(self, *args: Any, **options: Any) -> None:
        status = encryption_status()
        out = self.stdout
        out.write(f"Active master key: {status.active_master_key}")
        out.write("Data keys per master key:")
        for key_id, count in sorted(status.data_keys_by_master.items()):
            marker = " (active)" if key_id == status.active_master_key else ""
            out.write(f"  {key_id}: {count}{marker}")
        out.write("Data keys by state: " + ", ".join(
            f"{state} {count}" for state, count in sorted(status.data_keys_by_state.items())
        ))
        out.write("Encrypted values by data-key state: " + ", ".join(
            f"{state} {count}" for state, count in sorted(status.values_by_key_state.items())
        ))
        if status.plaintext_values:
            out.write(self.style.WARNING(
                f"{status.plaintext_values} values in encrypted columns are not encrypted "
                "(a migration from plaintext is unfinished)."
            ))
        pending = sum(
            count for key_id, count in status.data_keys_by_master.items()
            if key_id != status.active_master_key
        )
        if pending:
            out.write(f"{pending} data keys still use an old master key: run rotate_keys.")
        for key_id in status.retirable_master_keys:
            out.write(self.style.SUCCESS(
                f"Master key '{key_id}' wraps no data key: it may be removed from "
                "PORTAL_MASTER_KEYS (keep a sealed copy until backups made before today expire)."
            ))
