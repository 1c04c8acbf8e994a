"""Fault drill: PostgreSQL stopped while clients are saving their intakes.

Visitors (``evidence.visitor``) do their intake through gunicorn against the drill's private
PostgreSQL server. Once every one of them has had a save acknowledged, the server is stopped
(``pg_ctl stop -m fast``: sessions ended, open transactions rolled back) for a while; the
visitors keep trying, and ``/healthz`` is polled once a second. Then the visitors are held,
the server is started again, and before anyone writes, each intake is compared with what its
visitor had been told was saved (``evidence.tasks.drafts``). Then the visitors go on, finish
and submit, and everything is compared once more (``evidence.tasks.check``) and the audit
chain verified. gunicorn is never restarted: recovery is the portal's own.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from evidence.context import BIN, Context, Target, free_port, wait_until_healthy
from evidence.pgcluster import PrivateServer
from evidence.visitor import Seen, Visitor

OUTAGE_SECONDS = 12
WORKERS = 2


def _healthz(port: int) -> int:
    """``/healthz``'s status, 0 when nothing answers."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310  # nosec B310 - fixed http://127.0.0.1 URL
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def _wait_for(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def run(ctx: Context, pg: PrivateServer, database: str, plan: dict[str, Any],
        plan_path: Path) -> tuple[list[str], list[Target]]:
    """The drill; its lines of docs/evidence.md and its targets."""
    port = free_port()
    server = ctx.start([str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}",
                        "--workers", str(WORKERS)],
                       env=ctx.portal_env(database, db_port=pg.port),
                       log=ctx.workdir / "gunicorn-outage.log",
                       record=f"gunicorn portal.wsgi --bind 127.0.0.1:<port> --workers {WORKERS}"
                              "   # on the private server")
    wait_until_healthy(port, server, 60)
    seen, gate = Seen(), threading.Event()
    gate.set()
    visitors = [Visitor(f"http://127.0.0.1:{port}", person, seen, gate=gate)
                for person in plan["clients"]]
    threads = [threading.Thread(target=visitor.run, daemon=True) for visitor in visitors]
    for thread in threads:
        thread.start()
    _wait_for(lambda: all(len(v.acknowledged) >= 2 or v.failed for v in visitors), 120)
    in_use = sum(thread.is_alive() for thread in threads)

    pg.stop()
    stopped = time.monotonic()
    health_during: list[int] = []
    while time.monotonic() - stopped < OUTAGE_SECONDS:
        health_during.append(_healthz(port))
        time.sleep(1)
    gate.clear()
    _wait_for(lambda: all(v.parked or not t.is_alive() for v, t in zip(visitors, threads,
                                                                          strict=True)), 60)
    during = {"503": seen.count(503), "500": seen.count(500), "none": seen.count(0),
              "calm": seen.calm_pages, "uncalm": seen.uncalm_503}
    restarting = time.monotonic()
    pg.start()
    restart_seconds = time.monotonic() - restarting
    recovered_after = wait_until_healthy(port, server, 120)
    snapshots = [visitor.snapshot() for visitor in visitors]
    drafts = ctx.django_task(database, "drafts", str(plan_path), snapshots, db_port=pg.port)
    gate.set()
    for thread in threads:
        thread.join(300)
    outcomes_path = ctx.workdir / "outage-outcomes.jsonl"
    outcomes_path.write_text("".join(json.dumps(v.snapshot()) + "\n" for v in visitors),
                             encoding="utf-8")
    checked = ctx.django_task(database, "check", str(plan_path), str(outcomes_path), [],
                              db_port=pg.port)
    audit = ctx.manage(database, "verify_audit_log", db_port=pg.port, check=False)
    audit_said = ((audit.stdout + audit.stderr).strip().splitlines() or ["no output"])[-1]
    finished = sum(v.submitted and not v.failed for v in visitors)
    failures = sorted({v.failed for v in visitors if v.failed})
    after_500 = seen.count(500) - during["500"]
    differences = sum(checked.get(name, 0) for name in
                      ("differences", "profile_differences", "signature_differences"))
    health_503 = sum(code == 503 for code in health_during)
    clients = len(visitors)

    targets = [
        Target("Database down: calm 503 pages", "every answer a 503 with the calm page and "
               "`Retry-After`, none a 500",
               f"{during['503']} answers 503 ({during['calm']} calm, {during['uncalm']} not), "
               f"{during['500']} answers 500, {during['none']} unanswered",
               during["503"] > 0 and during["uncalm"] == 0 and during["500"] == 0
               and during["none"] == 0, fatal=True),
        Target("Database down: `/healthz` 503", "503 on every poll",
               f"{health_503} of {len(health_during)} polls 503",
               bool(health_during) and health_503 == len(health_during), fatal=True),
        Target("No half-written drafts", "each draft as acknowledged, or with the one "
               "unanswered save applied in full",
               f"{drafts.get('as_acknowledged', 0)} as acknowledged, "
               f"{drafts.get('in_flight_applied_in_full', 0)} with the unanswered save in full,"
               f" {drafts.get('half_written', 0)} half-written, "
               f"{drafts.get('decrypt_failures', 0)} unreadable",
               drafts.get("half_written", 0) == 0 and drafts.get("decrypt_failures", 0) == 0
               and drafts.get("as_acknowledged", 0) + drafts.get("in_flight_applied_in_full",
                                                                 0) == clients, fatal=True),
        Target("Recovery without a restart", "every journey finished after the database came "
               "back, 0 differences, audit chain intact",
               f"{finished}/{clients} submitted, {differences} differences, audit "
               f"{'intact' if audit.returncode == 0 else 'NOT intact'}",
               finished == clients and differences == 0 and audit.returncode == 0
               and after_500 == 0, fatal=True),
    ]
    lines = [
        "### The database stopped in the middle of use", "",
        f"{clients} clients did their intake (two autosaves and the page's post on every "
        f"page, as in the load run) through gunicorn ({WORKERS} workers, production settings, "
        "persistent database connections) on a private PostgreSQL server. When each had had "
        f"at least two saves acknowledged ({in_use} still mid-journey), the server was "
        f"stopped with `pg_ctl stop -m fast` for {OUTAGE_SECONDS} s. The clients kept trying "
        "(every second, as `autosave.js` and a patient person do) and `/healthz` was polled "
        "once a second.", "",
        f"- While it was down: {during['503']} answers were 503, {during['calm']} of them the "
        f"calm page (\"can't reach its records just now\", nothing half-saved) with "
        f"`Retry-After: 60`; {during['500']} were 500; {during['none']} went unanswered. "
        f"`/healthz` answered 503 to {health_503} of {len(health_during)} polls.",
        f"- The server was started again (`pg_ctl start -w` took {restart_seconds:.1f} s); "
        f"`/healthz` answered 200 {recovered_after:.1f} s after that, without restarting "
        "gunicorn: the workers' old connections are noticed as broken by Django's "
        "connection health checks and replaced.",
        f"- Before anyone wrote again, each draft was decrypted and compared with what its "
        f"client had been told was saved: {drafts.get('as_acknowledged', 0)} exactly as "
        f"acknowledged, {drafts.get('in_flight_applied_in_full', 0)} with the save whose "
        f"answer was lost applied in full, **{drafts.get('half_written', 0)} half-written**, "
        f"{drafts.get('decrypt_failures', 0)} unreadable.",
        f"- Then the clients went on: {finished}/{clients} submitted their intake "
        f"({sum(v.retries for v in visitors)} requests sent again in all; {after_500} 500s "
        f"after the restart; {sum(v.paused_for_limit for v in visitors)} autosaves held by "
        "the autosave limit). Every intake, profile and signature compared: "
        f"**{differences} differences**. `verify_audit_log`: \"{audit_said}\".",
    ]
    if failures:
        lines += ["- Journeys that stopped: " + "; ".join(failures[:5])]
    if drafts.get("details"):
        lines += ["- Half-written (question ids): " + "; ".join(drafts["details"][:10])]
    return lines, targets
