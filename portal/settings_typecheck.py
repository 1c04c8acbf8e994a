"""Settings for type checking only: mypy's Django plugin imports the settings to learn the
models. The production default refuses to start without secrets, so type checking reads the
test environment's settings (generated throwaway keys, no secrets), whatever the shell has."""

from __future__ import annotations

import os

os.environ.setdefault("PORTAL_ENV", "test")

from portal.settings import *  # noqa: F403
