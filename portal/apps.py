from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"


    def ready(self) -> None:
        from portal import signals  # noqa: F401  (connects receivers)
