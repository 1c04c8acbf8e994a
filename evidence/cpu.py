"""Where the machine's CPU time went during the load, read from ``/proc`` (Linux).

Latency on a shared machine says little on its own; CPU seconds per request do. A snapshot
sums, per group, each live process's own CPU time and that of its children it has already
reaped (so PostgreSQL's short-lived backends count through the postmaster, gunicorn's
workers through themselves): the app server (gunicorn's process group), PostgreSQL (every
``postgres`` process: all databases on the server, not only ours), and the whole machine
from ``/proc/stat``. The load generator is measured by its own resource usage (it is our
child). What is left is everything else that ran on the machine meanwhile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Snapshot:
    """CPU seconds so far: the whole machine (busy and all), the app server, PostgreSQL."""

    machine_busy: float
    machine_total: float
    server: float
    database: float


def _machine() -> tuple[float, float]:
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0]
              .split()[1:9]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / _TICK, sum(fields) / _TICK


def _process(pid: str) -> tuple[str, int, float] | None:
    """(command name, process group, CPU seconds incl. reaped children) of one process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1:raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2:].split()
    # After the name: state ppid pgrp ... utime(12) stime(13) cutime(14) cstime(15).
    return name, int(rest[2]), sum(int(value) for value in rest[11:15]) / _TICK


def snapshot(server_group: int) -> Snapshot:
    """CPU seconds used so far by the machine, gunicorn's group and PostgreSQL."""
    server = database = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        found = _process(pid)
        if found is None:
            continue
        name, group, seconds = found
        if group == server_group:
            server += seconds
        elif name == "postgres":
            database += seconds
    busy, total = _machine()
    return Snapshot(busy, total, server, database)


def between(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds per group between two snapshots, and the machine's capacity."""
    return {
        "capacity": after.machine_total - before.machine_total,
        "busy": after.machine_busy - before.machine_busy,
        "server": after.server - before.server,
        "database": after.database - before.database,
    }
