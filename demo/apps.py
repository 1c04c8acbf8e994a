from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo practice (``manage.py seed_demo``): the one app allowed to use every feature
    app, because it tells stories that cross them (a client who signed, started an intake,
    was flagged). Nothing imports it."""

    name = "demo"
    verbose_name = "Demo practice"
