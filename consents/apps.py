from __future__ import annotations

from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "consents"
    verbose_name = "Consents"

    def ready(self) -> None:
        """Answer the platform's hooks (``portal.seams``): which documents a client must
        sign before their intake."""
        from consents.selectors import intake_prerequisites
        from portal.seams import before_intake

        before_intake.provide(intake_prerequisites)
