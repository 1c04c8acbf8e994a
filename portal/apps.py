from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from django.core import checks
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from portal import binary_results, bytea_arrays, signals  # noqa: F401  (signals connects receivers)
        from portal.audit import auth_events
        from portal.background.jobs import prune_queue
        from portal.background.scheduler import (
            Job,
            check_schedules,
            register_job,
            start_after_migrate,
        )
        from portal.crypto.providers import get_key_provider
        from portal.crypto.storage import ensure_ciphertext_storage

        # PostgreSQL connections: encrypted rows arrive in binary format.
        connection_created.connect(binary_results.install,
                                   dispatch_uid="portal.binary_results.install")
        # ... and bulk inserts send their columns of ciphertext as binary arrays.
        connection_created.connect(bytea_arrays.install,
                                   dispatch_uid="portal.bytea_arrays.install")
        # allauth's and Django's authentication events: the only signal-driven audit events.
        auth_events.connect()
        # Fail closed at start-up: a keyring or provider that cannot be built stops here.
        get_key_provider()
        # Background work: the platform's own periodic job, the schedule's check, and the
        # scheduler's tick chain started by `migrate`.
        register_job(Job("queue_housekeeping", prune_queue,
                         "Delete finished tasks and old email records"))
        checks.register(check_schedules)
        post_migrate.connect(start_after_migrate, sender=self)
        # PostgreSQL: ciphertext columns never compressed, rows kept whole up to a page.
        post_migrate.connect(ensure_ciphertext_storage, sender=self,
                             dispatch_uid="portal.crypto.storage.ensure_ciphertext_storage")
