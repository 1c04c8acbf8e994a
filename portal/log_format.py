"""Server log lines say their time in UTC, and say so.

Pages show the practice's time zone (``portal.formatting``); logs are read next to the
load balancer's, the database's and other servers' logs, so they keep one zone that needs no
setting and never jumps at daylight saving: UTC, written with its ``Z`` so no one has to
guess (``2026-12-02T19:05:00.123Z``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class UTCFormatter(logging.Formatter):
    """``logging.Formatter`` whose ``asctime`` is ISO 8601 in UTC, ending in ``Z``."""

    converter: Callable[[float | None], time.struct_time] = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"
