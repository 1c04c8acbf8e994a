from __future__ import annotations

from django.apps import AppConfig


class CryptoAppConfig(AppConfig):
    name = "tests.cryptoapp"
    label = "cryptoapp"
