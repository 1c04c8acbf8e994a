from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        from portal import signals  # noqa: F401  (connects receivers)
        from portal.audit import auth_events
        from portal.background.jobs import prune_queue
        from portal.background.scheduler import (
            Job,
            check_schedules,
            register_job,
            start_after_migrate,
        )
        from portal.crypto.providers import get_key_provider

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
