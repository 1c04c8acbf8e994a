from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal import signals  # noqa: F401  (connects receivers)
        from portal.audit import auth_events
        from portal.crypto.providers import get_key_provider

        # allauth's and Django's authentication events: the only signal-driven audit events.
        auth_events.connect()
        # Fail closed at start-up: a keyring or provider that cannot be built stops here.
        get_key_provider()
