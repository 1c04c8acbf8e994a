from __future__ import annotations

from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "consents"
    verbose_name = "Consents"

    def ready(self) -> None:
        """Answer the platform's hooks (``portal.seams``): which documents a client must
        sign before their intake; and register the consents' periodic job on the
        platform's scheduler (settings.SCHEDULE)."""
        from consents.selectors import intake_prerequisites
        from consents.tasks import remind_expiring_signatures
        from portal.background.scheduler import Job, register_job
        from portal.seams import before_intake

        before_intake.provide(intake_prerequisites)
        register_job(Job("consent_expiry_reminders", remind_expiring_signatures,
                         "Remind clients before a signature (an authorization) ends"))
