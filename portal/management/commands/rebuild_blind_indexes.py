"""``manage.py rebuild_blind_indexes``: recompute blind indexes after a key or rule change."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.crypto.blind_index import rebuild_blind_indexes


class Command(BaseCommand):
    help = (
        "Recompute every blind index, the word index of legal names included (run after "
        "changing PORTAL_BLIND_INDEX_KEY or a normaliser)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = rebuild_blind_indexes()
        self.stdout.write(self.style.SUCCESS(
            f"Rebuilt blind indexes of {count} rows (and their name words)."))
