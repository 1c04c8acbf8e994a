"""Signal receivers of the platform."""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver

from portal.crypto.providers import get_key_provider

_KEY_SETTINGS = {"PORTAL_MASTER_KEYS", "PORTAL_ACTIVE_MASTER_KEY_ID", "PORTAL_KEY_PROVIDER"}


@receiver(setting_changed)
def _reload_key_provider(*, setting: str, **kwargs: Any) -> None:
    """Tests that swap keyrings (rotation) must get a provider built from the new ones."""
    if setting in _KEY_SETTINGS:
        get_key_provider.cache_clear()
