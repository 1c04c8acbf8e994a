"""WSGI entry point for gunicorn: ``gunicorn portal.wsgi``."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_wsgi_application()

# Refuse to serve with master keys that cannot open this database's data keys (a server
# that started anyway would fail on the first record it reads). See keyring_check.
from portal.crypto.keyring_check import require_working_keyring  # noqa: E402

require_working_keyring()

# Everything the process loads once (URL patterns, catalogues, compiled templates) loaded
# now and set aside from the garbage collector, before any request (portal/warm.py).
from portal.warm import warm_and_freeze  # noqa: E402

warm_and_freeze()
