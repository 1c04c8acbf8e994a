"""When a periodic job runs, written as text in the settings (``SCHEDULE_<JOB>``):

- ``daily HH:MM``: once a day at that time in the practice's time zone (``TIME_ZONE``);
- ``every N minutes`` / ``every N hours`` (``every 15m``, ``every 2h`` too);
- ``off``: never.

Pure functions, so the settings can refuse a bad schedule at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

_DAILY = re.compile(r"^daily (?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)$")
_EVERY = re.compile(r"^every (?P<count>\d{1,4}) ?(?P<unit>m|min|minutes?|h|hours?)$")
_FORMS = "Write 'daily HH:MM', 'every N minutes', 'every N hours' or 'off'."


class BadSchedule(ValueError):
    """A schedule that is not one of the forms in the module's docstring."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: ``at`` (daily), ``interval`` (every), or neither (off)."""

    text: str
    at: time | None = None
    interval: timedelta | None = None

    @property
    def is_off(self) -> bool:
        return self.at is None and self.interval is None

    def first_run(self, now: datetime, zone: str) -> datetime | None:
        """When a job never run before first runs: an interval job at once, a daily job at
        its next time of day."""
        if self.interval is not None:
            return now
        return self.next_run(now, zone)

    def next_run(self, after: datetime, zone: str) -> datetime | None:
        """The first run strictly after ``after`` (aware), or ``None`` when off."""
        if self.interval is not None:
            return after + self.interval
        if self.at is None:
            return None
        local = after.astimezone(ZoneInfo(zone))
        candidate = datetime.combine(local.date(), self.at, tzinfo=local.tzinfo)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), self.at,
                                         tzinfo=local.tzinfo)
        return candidate


def parse_schedule(text: str) -> Schedule:
    """``text`` as a ``Schedule``; ``BadSchedule`` (saying what is allowed) otherwise."""
    cleaned = " ".join(text.lower().split())
    if cleaned == "off":
        return Schedule(cleaned)
    if daily := _DAILY.match(cleaned):
        return Schedule(cleaned, at=time(int(daily["hour"]), int(daily["minute"])))
    if every := _EVERY.match(cleaned):
        count = int(every["count"])
        if count < 1:
            raise BadSchedule(f"{text!r}: an interval must be at least 1. {_FORMS}")
        unit = timedelta(hours=1) if every["unit"].startswith("h") else timedelta(minutes=1)
        return Schedule(cleaned, interval=count * unit)
    raise BadSchedule(f"{text!r} is not a schedule. {_FORMS}")
