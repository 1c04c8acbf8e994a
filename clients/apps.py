from __future__ import annotations

from django.apps import AppConfig


class ClientsConfig(AppConfig):
    """The client pages: the staff client list and search, the client record, care-team
    management, a client's own details, and each role's home page."""

    name = "clients"
    verbose_name = "Clients"
