from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"


    def ready(self) -> None:
        from portal import signals  # noqa: F401  (connects receivers)
        from portal.crypto.providers import get_key_provider

        # Fail closed at start-up: a keyring or provider that cannot be built stops here.
        get_key_provider()
