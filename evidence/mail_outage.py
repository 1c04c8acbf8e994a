"""Part "mail_outage" (issue 16, Proof): the mail server down while clients submit their
intakes and invitations go out.

A fresh PostgreSQL database, gunicorn and two task workers (``manage.py db_worker``) as
production runs them, the run's mail sink as the mail server. The same actions twice:

1. **Baseline**, the sink up: clients do their whole intake (``evidence.visitor``: sign in,
   every page with its autosaves, review, submit) while a practice admin, signed in with
   password and TOTP, sends invitations one by one through the invitations page.
2. **Outage**: the sink stops listening (its port refuses connections) for at least
   ``OUTAGE_SECONDS`` and until every client of this phase has submitted and every invitation
   was sent; then it listens again on the same port.

Every request is timed. Reported: failed requests (none may fail: the request only queues
the email), the p95 of each phase and of the requests that queue email (submit, invite), with
a "within noise" judgement, and, once the workers have emptied the outbox, the emails at the
sink counted by Message-ID against the outbox rows: every one exactly once.

The drill's servers and workers retry on the shipped schedule (``MAIL_RETRY_FIRST_SECONDS``
60, doubling, at most ``MAIL_RETRY_LONGEST_SECONDS`` 1800): an email queued during the 60 s
outage is tried at once, again about a minute later, and at the latest two minutes after
that, so the outbox empties within about three minutes of the sink's return. A compressed
schedule (retrying every few seconds) would measure a retry storm production never makes,
not the outage.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests

from evidence.context import BIN, Context, PartResult, Target, free_port, wait_until_healthy
from evidence.load import percentile
from evidence.plan import EMAIL_DOMAIN, build_plan, totp_code
from evidence.visitor import Seen, Visitor
from evidence.web import JourneyFailed, label, location
from evidence.workers import (
    count_deliveries,
    message_ids,
    outbox,
    start_workers,
    stop_workers,
    wait_for_outbox,
)

TITLE = "Mail outage: the mail server down while clients submit and invitations go out"
DATABASE = "portal_evidence_mail"
CLIENTS = 20
INVITATIONS = 10
OUTAGE_SECONDS = 60
# Longest the outage is held open for the phase's journeys to finish.
OUTAGE_CAP_SECONDS = 300
WEB_WORKERS = 4
TASK_WORKERS = 2
RETRY = {"MAIL_RETRY_FIRST_SECONDS": "60", "MAIL_RETRY_LONGEST_SECONDS": "1800"}  # shipped
DRAIN_TIMEOUT = 360
INVITE_PAUSE = 2.0
SEED = 20241116
# "Within noise": the outage's p95 at most this much above the baseline's (a factor, or
# milliseconds, whichever allows more), a margin fixed beforehand for a machine shared with
# other work, where one run of the same actions is not timed like the next.
NOISE_FACTOR, NOISE_MS = 1.25, 50.0
# The requests whose work includes queuing an email.
QUEUING = ("POST /intake/<id>/submit/", "POST /staff/invitations/")


@dataclass(frozen=True)
class Timed:
    """One request as a visitor saw it."""

    phase: str
    name: str
    status: int
    ms: float


class Clock:
    """Every request of the drill, timed, by phase (thread-safe)."""

    def __init__(self) -> None:
        self.phase = ""
        self.samples: list[Timed] = []
        self._lock = threading.Lock()

    def add(self, name: str, status: int, ms: float) -> None:
        with self._lock:
            self.samples.append(Timed(self.phase, name, status, ms))

    def of(self, phase: str, names: tuple[str, ...] = ()) -> list[Timed]:
        return [s for s in self.samples if s.phase == phase and (not names or s.name in names)]


class TimedVisitor(Visitor):
    """A visitor whose every request (retries included) is timed on ``clock``."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def _once(self, method: str, path: str, data: list[tuple[str, str]] | None,
              headers: dict[str, str]) -> requests.Response | None:
        started = time.perf_counter()
        response = super()._once(method, path, data, headers)
        self.clock.add(label(method, path), response.status_code if response is not None
                       else 0, 1000 * (time.perf_counter() - started))
        return response


def _sign_in_admin(admin: TimedVisitor) -> None:
    """Password, then the TOTP code; the session is kept for both phases (a TOTP code is
    accepted once, so the admin signs in once)."""
    admin.send("GET", "/accounts/login/", expect=(200,))
    challenge = location(admin.send("POST", "/accounts/login/", expect=(302,), data=[
        ("csrfmiddlewaretoken", admin.csrf), ("login", admin.person["email"]),
        ("password", admin.person["password"])]).headers)
    admin.send("GET", challenge, expect=(200,))
    admin.send("POST", challenge, expect=(302,), data=[
        ("csrfmiddlewaretoken", admin.csrf), ("code", totp_code(admin.person["totp_secret"]))])


def _invite(admin: TimedVisitor, addresses: list[str], failures: list[str]) -> None:
    """Send each invitation through the invitations page, a pause between them."""
    for address in addresses:
        try:
            admin.send("GET", "/staff/invitations/", expect=(200,))
            admin.send("POST", "/staff/invitations/", expect=(302,), data=[
                ("csrfmiddlewaretoken", admin.csrf), ("email", address)])
        except JourneyFailed as failure:  # its message names the request, no value
            failures.append(f"invitation: {failure}")
        except Exception as error:
            failures.append(f"invitation: {type(error).__name__}")
        time.sleep(INVITE_PAUSE)


def _phase(base: str, clients: list[dict[str, Any]], admin: TimedVisitor,
           invitations: list[str], clock: Clock, seen: Seen) -> dict[str, Any]:
    """The clients' journeys and the invitations at once; waits for all of them."""
    gate = threading.Event()
    gate.set()
    visitors = [TimedVisitor(base, person, seen, gate=gate, clock=clock) for person in clients]
    failures: list[str] = []
    threads = [threading.Thread(target=visitor.run, daemon=True) for visitor in visitors]
    threads.append(threading.Thread(target=_invite, args=(admin, invitations, failures),
                                    daemon=True))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(OUTAGE_CAP_SECONDS)
    failures += [visitor.failed for visitor in visitors if visitor.failed]
    return {"seconds": time.monotonic() - started,
            "submitted": sum(visitor.submitted for visitor in visitors),
            "failures": failures, "still_running": sum(t.is_alive() for t in threads)}


def _p95(samples: list[Timed]) -> float:
    return percentile(sorted(sample.ms for sample in samples), 95)


def within_noise(baseline_ms: float, outage_ms: float) -> bool:
    """The outage's p95 no more than ``NOISE_FACTOR`` times, or ``NOISE_MS`` above, the
    baseline's (whichever allows more)."""
    return outage_ms <= max(baseline_ms * NOISE_FACTOR, baseline_ms + NOISE_MS)


def _prepare(ctx: Context, clients: int) -> dict[str, Any]:
    ctx.own_redis()
    ctx.create_database(DATABASE)
    ctx.manage(DATABASE, "migrate", "--noinput")
    ctx.collect_static(DATABASE)
    plan = build_plan(clients=2 * clients, clinicians=1, seed=SEED)
    plan_path = ctx.workdir / "mail-outage-plan.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    ctx.django_task(DATABASE, "seed", str(plan_path))
    return plan


def run(ctx: Context) -> PartResult:
    """Baseline, outage, drain, count; the section and its targets."""
    clients = min(CLIENTS, ctx.clients)
    invitations = min(INVITATIONS, ctx.clients)
    plan = _prepare(ctx, clients)
    port = free_port()
    env = {**ctx.portal_env(DATABASE), **RETRY}
    server = ctx.start([str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}",
                        "--workers", str(WEB_WORKERS)], env=env,
                       log=ctx.workdir / "gunicorn-mail-outage.log",
                       record=f"gunicorn portal.wsgi --bind 127.0.0.1:<port> --workers "
                              f"{WEB_WORKERS}   # MAIL_RETRY_FIRST_SECONDS=60 "
                              "MAIL_RETRY_LONGEST_SECONDS=1800 (as shipped)")
    wait_until_healthy(port, server, 60)
    workers = start_workers(ctx, DATABASE, TASK_WORKERS, prefix="mail", settings=RETRY)
    base = f"http://127.0.0.1:{port}"
    mark = len(ctx.mail.messages)
    clock, seen = Clock(), Seen()
    gate = threading.Event()
    gate.set()
    admin = TimedVisitor(base, plan["staff"][0], seen, gate=gate, clock=clock)
    clock.phase = "sign-in"
    _sign_in_admin(admin)

    def addresses(phase: str) -> list[str]:
        return [f"invited.{phase}.{n:03d}@{EMAIL_DOMAIN}" for n in range(invitations)]

    clock.phase = "baseline"
    baseline = _phase(base, plan["clients"][:clients], admin, addresses("baseline"), clock,
                      seen)
    wait_for_outbox(DATABASE, timeout=DRAIN_TIMEOUT)
    before_outage = len(ctx.mail.messages)

    ctx.mail.stop()
    stopped = time.monotonic()
    clock.phase = "outage"
    try:
        during = _phase(base, plan["clients"][clients:], admin, addresses("outage"), clock,
                        seen)
        while time.monotonic() - stopped < OUTAGE_SECONDS:
            time.sleep(0.5)
        held = outbox(DATABASE)
        received_during = len(ctx.mail.messages) - before_outage
    finally:
        ctx.mail.start()
    outage_seconds = time.monotonic() - stopped
    drained, drain_seconds = wait_for_outbox(DATABASE, timeout=DRAIN_TIMEOUT)
    stop_workers(workers)
    counted = count_deliveries(message_ids(DATABASE), ctx.mail.message_ids(since=mark))

    server_errors = (ctx.workdir / "gunicorn-mail-outage.log").read_text(
        encoding="utf-8", errors="replace").count("Traceback")
    bad = {phase: sum(1 for s in clock.of(phase) if s.status == 0 or s.status >= 500)
           for phase in ("baseline", "outage")}
    failures = baseline["failures"] + during["failures"]
    p95 = {phase: _p95(clock.of(phase)) for phase in ("baseline", "outage")}
    p95_queuing = {phase: _p95(clock.of(phase, QUEUING)) for phase in ("baseline", "outage")}
    calm = within_noise(p95["baseline"], p95["outage"]) and within_noise(
        p95_queuing["baseline"], p95_queuing["outage"])
    exactly_once = (counted["missing"] == 0 and counted["duplicated"] == 0
                    and counted["unexplained"] == 0 and drained.waiting == 0
                    and drained.count("failed") == 0 and counted["expected"] > 0)
    targets = [
        Target("Mail down: no request fails", "0 failed requests, every intake submitted and "
               "every invitation sent, in both phases",
               f"{bad['outage']} failed during the outage, {bad['baseline']} in the baseline; "
               f"{baseline['submitted'] + during['submitted']}/{2 * clients} submitted; "
               f"{len(failures)} journeys or invitations stopped; {server_errors} server "
               "tracebacks",
               bad["outage"] == 0 and bad["baseline"] == 0 and not failures
               and server_errors == 0
               and baseline["submitted"] + during["submitted"] == 2 * clients, fatal=True),
        Target("Mail down: no slower at p95", "outage p95 within noise of the baseline's "
               f"(at most x{NOISE_FACTOR:g} or +{NOISE_MS:.0f} ms)",
               f"all requests {p95['outage']:.0f} ms vs {p95['baseline']:.0f} ms; submit and "
               f"invite {p95_queuing['outage']:.0f} ms vs {p95_queuing['baseline']:.0f} ms",
               calm, fatal=False),
        Target("Mail back: every email exactly once", "each outbox row's Message-ID at the "
               "sink once, none missing, none unexplained",
               f"{counted['once']} of {counted['expected']} once, {counted['missing']} "
               f"missing, {counted['duplicated']} twice or more, {counted['unexplained']} "
               f"unexplained; outbox {drained.waiting} waiting, {drained.count('failed')} "
               "given up", exactly_once, fatal=True),
    ]
    lines = [
        f"## {TITLE}", "",
        f"A fresh database with {2 * clients} clients (seeded as in the load run), a practice "
        f"admin and a clinician; gunicorn ({WEB_WORKERS} workers) and {TASK_WORKERS} task "
        "workers (`manage.py db_worker`), production settings, retrying email as shipped: "
        "after 60 s, doubling, at most 30 min (`MAIL_RETRY_FIRST_SECONDS`, "
        "`MAIL_RETRY_LONGEST_SECONDS`). The same actions twice: "
        f"{clients} clients doing their whole intake (a second's pause between actions, as in "
        f"the fault drills) while the admin sends {invitations} invitations through the "
        f"invitations page, one every {INVITE_PAUSE:g} s.", "",
        f"- **Baseline**, the mail sink up: {baseline['submitted']}/{clients} submitted in "
        f"{baseline['seconds']:.0f} s; p95 {p95['baseline']:.0f} ms over "
        f"{len(clock.of('baseline'))} requests, submit and invite "
        f"{p95_queuing['baseline']:.0f} ms over {len(clock.of('baseline', QUEUING))}.",
        f"- **Outage**: the sink stopped listening (connections refused) for "
        f"{outage_seconds:.0f} s (at least {OUTAGE_SECONDS} s, and until the phase was "
        f"done). {during['submitted']}/{clients} submitted in {during['seconds']:.0f} s; p95 "
        f"{p95['outage']:.0f} ms over {len(clock.of('outage'))} requests, submit and invite "
        f"{p95_queuing['outage']:.0f} ms over {len(clock.of('outage', QUEUING))}; "
        f"{bad['outage']} requests failed. When the sink came back the outbox held "
        f"{held.waiting} emails waiting ({held.count('sent')} sent before the outage), "
        f"{received_during} had reached the sink meanwhile.",
        f"- **After**: the workers emptied the outbox {drain_seconds:.0f} s after the sink "
        f"returned. The sink received {sum(ctx.mail.message_ids(since=mark).values())} "
        f"emails for {counted['expected']} outbox rows: **{counted['once']} exactly once**, "
        f"{counted['missing']} missing, {counted['duplicated']} more than once, "
        f"{counted['unexplained']} no row explains (counted by Message-ID, which is each "
        "row's id).",
        f"- Judged within noise when the outage's p95 is at most x{NOISE_FACTOR:g} the "
        f"baseline's or {NOISE_MS:.0f} ms above it (a margin fixed beforehand for a shared "
        "machine; the run reports, it does not fail, on this): "
        f"**{'within noise' if calm else 'NOT within noise'}**.",
    ]
    if failures:
        lines += ["- Stopped: " + "; ".join(failures[:5])]
    if during["still_running"] or baseline["still_running"]:
        lines += [f"- Still running at the cap ({OUTAGE_CAP_SECONDS} s): "
                  f"{baseline['still_running'] + during['still_running']}"]
    return PartResult(TITLE, "\n".join(lines), targets)
