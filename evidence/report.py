"""docs/evidence.md: when, on what, with which versions, how, and every figure measured.

``machine()`` is read at the start of a run (and the load average again at the end);
``render`` puts the parts' sections together under a table of every target.
"""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from importlib import metadata
from typing import Any

from evidence.context import PG_ARGS, REDIS_URL, ROOT, Context, PartResult

PACKAGES = ("Django", "django-allauth", "gunicorn", "locust", "psycopg", "cryptography",
            "argon2-cffi", "redis")

ENVIRONMENT_CHOICE = """\
The servers run **`PORTAL_ENV=production`**: the settings we ship, every key from the
environment, `DEBUG` off, Argon2 passwords, database sessions, Redis for rate limits,
WhiteNoise serving the `collectstatic` output, `__Host-` secure cookies, HSTS and the HTTPS
redirect. Production expects a TLS proxy in front of gunicorn (docs/deployment.md); here the
load generator plays that proxy's part. It talks plain HTTP to gunicorn on 127.0.0.1 and
sends `X-Forwarded-Proto: https` (trusted because `BEHIND_TLS_PROXY` is on, its default), the
secure cookies (as a proxy passes them on), and an `X-Forwarded-For` address of each simulated
person's own (`TRUSTED_PROXY_COUNT=1`, the default), so the HTTPS-only settings behave as
behind the real proxy and the per-address sign-in limits count each person on their own. TLS
itself is not measured: it is the proxy's cost. Mail goes over SMTP, as in production, to a
sink inside the runner on 127.0.0.1 (`EMAIL_USE_TLS=false`), sent by task workers
(`manage.py db_worker`) running beside gunicorn: a request only queues its emails.

Why not `PORTAL_ENV=development` on plain HTTP: it would have been easier (no proxy headers),
but it measures another program: console email instead of SMTP inside the submission,
static files looked up by the finders, no secure cookies or HSTS, no Redis requirement and
no proxy-aware rate limits. Evidence about production should run production's settings.

The database is a new `portal_evidence` (dropped and re-created each run), migrated and seeded
through the portal's own services. The keys (`SECRET_KEY`, `PORTAL_MASTER_KEYS` with one key
`mk1`, `PORTAL_BLIND_INDEX_KEY`, `PORTAL_AUDIT_KEY`) are generated afresh for each run, held
only in the runner's memory and its children's environments, and never written to disk.
Redis database 12 is the run's own, emptied before and after."""



def limits(ctx: Context | None) -> str:
    """What the figures do not show (the pause between actions as run)."""
    low, high = ctx.think if ctx else (0.0, 0.0)
    rate = ctx.spawn_rate if ctx else 0.0
    return f"""\
- One machine runs PostgreSQL, Redis, gunicorn and Locust together, and while this was
  measured also whatever else ran on it ("everything else on the machine" in the load
  section). The latencies are what this shared machine gave, not a capacity figure for
  production hardware; the CPU time per request is the figure that carries over.
- Simulated people pause {low:g} to {high:g} s between actions, where a person reads and types
  for minutes on a page: each produces the traffic of several real ones. They arrive
  {rate:g} a second; a sign-in costs one Argon2id hash at OWASP's minimum (its time here is
  in the load section; docs/threat-model.md gives the parameters), by design, so a much
  faster arrival queues every request behind the sign-ins while it lasts.
  Browsers would also fetch CSS and JavaScript (cached after the first page); Locust fetches
  only the pages and posts.
- Percentiles are exact (nearest rank over every request), from Locust's own timings, which
  include waiting for a CPU on the shared machine, on both sides.
- The restore drill restores onto the same PostgreSQL server and version; a cross-version
  restore and continuous archiving (PITR) are not exercised.
- The mail drills shorten the waits the shipped settings use (email retries after 2 s up to
  10 s, a 5 s task lease, a 1 s scheduler tick), so they finish in minutes; the code paths
  are those of production. The mail server is the runner's sink: stopped, its port refuses
  connections; a mail server that accepts connections and then hangs costs each attempt
  `EMAIL_TIMEOUT_SECONDS` instead, which is not measured here. One SIGKILL lands where it
  lands: the worker crash section says where, and a single run shows that one case."""


def _command(argv: list[str]) -> str:
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=20,  # noqa: S603
                                   check=False, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return completed.stdout.strip() or "unknown"


def _meminfo_gib() -> str:
    try:
        for line in open("/proc/meminfo", encoding="ascii"):  # noqa: SIM115 - tiny file
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="ascii", errors="replace"):  # noqa: SIM115
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _redis_version() -> str:
    try:
        import redis

        info: Any = redis.Redis.from_url(REDIS_URL).info("server")  # a dict: a sync client
        return str(info["redis_version"])
    except Exception:
        return "unknown"


def machine() -> dict[str, Any]:
    """Date, machine and versions, read at the start of the run."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    dirty = _command(["git", "status", "--porcelain"]) not in ("", "unknown")
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory": _meminfo_gib(),
        "kernel": f"{platform.system()} {platform.release()}",
        "load_start": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "python": platform.python_version(),
        "postgres": _command(["psql", *PG_ARGS, "-d", "postgres", "-Atc", "show server_version"]),
        "redis": _redis_version(),
        "commit": _command(["git", "rev-parse", "--short", "HEAD"])
        + (" with uncommitted changes" if dirty else ""),
        "versions": versions,
    }


def render(info: dict[str, Any], results: list[PartResult], ctx: Context | None,
           seconds: float) -> str:
    """The whole of docs/evidence.md."""
    ok = all(result.ok for result in results)
    lines = [
        "# Evidence: load, restore drill, faults, mail outage and worker crash", "",
        "Written by `make evidence` (`python -m evidence`); do not edit by hand, run it again. "
        "Issue \"Proof that it holds\": item 3 (load), item 6 (restore drill) and item 4 "
        "(faults); item 8 is the one command itself. Issue 16 (background work on a real "
        "queue): the mail outage and worker crash drills. The code: `evidence/`.", "",
        f"**Result: {'all correctness checks passed' if ok else 'A CORRECTNESS CHECK FAILED'}"
        f".** Run on {info['date']}, {seconds / 60:.1f} minutes in all.", "",
        "## Machine and versions", "",
        "| | |", "|---|---|",
        f"| CPUs | {info['cpus']} x {info['cpu']} |",
        f"| Memory | {info['memory']} |",
        f"| System | {info['kernel']} |",
        f"| Load average (1, 5, 15 min) | {info['load_start']} at the start, "
        f"{info.get('load_end', '?')} at the end |",
        f"| Python | {info['python']} |",
        f"| PostgreSQL (server) | {info['postgres']} |",
        f"| Redis (server) | {info['redis']} |",
        *(f"| {name} | {version} |" for name, version in info["versions"].items()),
        f"| Code | commit {info['commit']} |",
        "",
        "## How it was run", "",
        "```sh", "make evidence", "# = .venv/bin/pip install -q \".[dev,evidence]\" (when "
        "Locust is missing), then", f"PORTAL_ENV=production .venv/bin/{info['command']}",
        "```", "",
        ENVIRONMENT_CHOICE, "",
        "Commands the runner ran, in order (each `manage.py` command with the run's "
        "environment):", "",
        "```sh", *(ctx.commands if ctx else []), "```", "",
        "## Targets", "",
        "| part | target | wanted | measured | met | kind |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        for target in result.targets:
            lines.append(
                f"| {result.title.split(':')[0]} | {target.name} | {target.wanted} | "
                f"{target.measured} | {'yes' if target.met else '**no**'} | "
                f"{'correctness (fails the run)' if target.fatal else 'goal (reported)'} |")
        if result.crashed:
            lines.append(f"| {result.title.split(':')[0]} | ran to the end | yes | crashed: "
                         f"{result.crashed} | **no** | correctness (fails the run) |")
    lines.append("")
    for result in results:
        lines += [result.markdown, ""]
    lines += ["## What this does not show", "", limits(ctx), ""]
    return "\n".join(lines)
