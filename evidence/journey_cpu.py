"""CPU per request over the client intake journey, and where it goes.

``python -m evidence.journey_cpu`` makes a fresh PostgreSQL database with fresh keys and the
load run's practice (``evidence.tasks.seed``), then, in one child process with the
production environment, walks clients one at a time through the same journey as the load
(``evidence/locustfile.py``: sign in, start, every page with two autosaves and its post,
review, submit, the sent copy, sign out) through Django's own request handler and every
middleware (``django.test.Client`` with CSRF checks on). One request at a time, nothing else
in the process, so the CPU each request costs is read exactly:

* the portal: this process's CPU time (``time.process_time``) around the request;
* PostgreSQL: the CPU time of this connection's server process (``/proc/<pid>/schedstat``,
  nanoseconds) around the request; the server runs on this machine.

Without ``--profile`` nothing else runs in the process. With it, a second walk runs under
``cProfile`` and its time is grouped by where it was spent (``CATEGORIES``): middleware,
sessions, database driver and ORM, templates and forms, crypto, audit, sign-in, the view's
own code. The profiler inflates Python's share; the groups are proportions, and the CPU
figures come from the walk without it.

The first client of each walk warms the process (imports, template compilation, the
connection) and is left out of the figures, as a long-running gunicorn worker has paid
those costs long before.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from evidence.context import PYTHON, Context, PartResult, Target, fresh_keys
from evidence.mailsink import MailSink
from evidence.plan import build_plan
from evidence.web import Page, label
from evidence.web import location as redirect_target
from evidence.yardstick import in_yardsticks, round_costs

DATABASE = "portal_journey_cpu"
YARDSTICK_BETWEEN_CLIENTS = 20  # yardstick rounds after each client's journey
# Which requests the profiled walk profiles: those whose label starts with this (all by
# default; e.g. ``JOURNEY_PROFILED="POST /intake/<id>/autosave/"``; a final ``$`` asks for
# exactly that label, e.g. ``"GET /$"``).
PROFILED = os.environ.get("JOURNEY_PROFILED", "")
SEED = 20240603

# Where a function's own time is counted, by the first matching part of its file's path.
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("sign-in (password hash)", ("argon2", "/passwords.py", "contrib/auth/hashers")),
    ("crypto (keys, fields)", ("portal/crypto/", "cryptography/")),
    ("audit", ("portal/audit/",)),
    ("sessions", ("contrib/sessions/",)),
    ("templates and forms", ("django/template/", "django/forms/", "crispy", "templatetags/",
                             "django/utils/html.py", "django/utils/safestring.py",
                             "django/utils/translation/", "django/utils/formats.py")),
    ("database (ORM and driver)", ("django/db/", "psycopg")),
    ("middleware", ("middleware", "csp/", "whitenoise/")),
    ("allauth", ("allauth/",)),
    ("url routing", ("django/urls/",)),
    ("the portal's views and services", ("/intake/", "/clients/", "/consents/",
                                          "/measures/", "/portal/")),
    ("the measuring client (django.test)", ("django/test/",)),
    ("Django, other", ("django/",)),
]


def category(filename: str) -> str:
    """The group a function's own time counts towards, by its source file."""
    for name, parts in CATEGORIES:
        if any(part in filename for part in parts):
            return name
    return "Python and other libraries"


# --- the child: the journey, in the portal's process ---------------------------------------

class Walker:
    """One client's journey through Django's handler, recording each request's CPU."""

    def __init__(self, http: Any, backend_pid: int, samples: list[dict[str, Any]],
                 profiler: Any = None) -> None:
        self.client = http
        self.client.cookies.clear()  # a new visitor, on the worker's loaded handler
        self.backend_pid = backend_pid
        self.samples = samples
        self.profiler = profiler
        self.csrf = ""

    def _database_ns(self) -> int:
        return int(Path(f"/proc/{self.backend_pid}/schedstat").read_text().split()[0])

    def send(self, method: str, path: str, *, expect: tuple[int, ...],
             data: list[tuple[str, str]] | None = None, ip: str,
             json_reply: bool = False) -> Any:
        """One request, timed by CPU; anything but an expected status stops the walk."""

        headers: dict[str, Any] = {"HTTP_X_FORWARDED_FOR": ip,
                                   "HTTP_REFERER": "https://127.0.0.1/"}
        if json_reply:
            headers.update(HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN=self.csrf)
        body = urlencode(data or [])
        name = label(method, path)
        profiling = self.profiler is not None and (
            name == PROFILED[:-1] if PROFILED.endswith("$") else name.startswith(PROFILED))
        database_before = self._database_ns()
        cpu_before = time.process_time()
        if profiling:
            self.profiler.enable()
        if method == "GET":
            response = self.client.get(path, secure=True, **headers)
        else:
            response = self.client.post(path, body, secure=True,
                                        content_type="application/x-www-form-urlencoded",
                                        **headers)
        if profiling:
            self.profiler.disable()
        portal = time.process_time() - cpu_before
        database = (self._database_ns() - database_before) / 1e9
        if response.status_code not in expect:
            raise RuntimeError(f"{label(method, path)} answered {response.status_code}")
        self.samples.append({"name": label(method, path), "portal": portal,
                             "database": database})
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            tokens = Page(response.content.decode()).values("csrfmiddlewaretoken")
            self.csrf = tokens[0] if tokens else self.csrf
        return response

    def follow(self, path: str, ip: str) -> Any:
        for _ in range(5):
            response = self.send("GET", path, expect=(200, 302), ip=ip)
            if response.status_code == 200:
                return response
            path = redirect_target(response)
        raise RuntimeError("too many redirects")

    def journey(self, person: dict[str, Any], questionnaire: Any) -> None:
        """The load run's client journey (``evidence/locustfile.py``), without the pauses."""
        from evidence.plan import form_fields

        ip = person["ip"]
        self.send("GET", "/accounts/login/", expect=(200,), ip=ip)
        signed_in = self.send("POST", "/accounts/login/", expect=(302,), ip=ip, data=[
            ("csrfmiddlewaretoken", self.csrf), ("login", person["email"]),
            ("password", person["password"])])
        self.follow(redirect_target(signed_in), ip)
        self.send("GET", "/intake/", expect=(200,), ip=ip)
        place = redirect_target(self.send("POST", "/intake/", expect=(302,), ip=ip,
                                          data=[("csrfmiddlewaretoken", self.csrf)]))
        while "/section/" in place:
            section_id = place.rstrip("/").rsplit("/", 1)[-1]
            page = Page(self.send("GET", place, expect=(200,), ip=ip).content.decode())
            revision = page.value("revision")
            listed = page.values("questions")
            common = [("csrfmiddlewaretoken", self.csrf), ("section", section_id),
                      *(("questions", name) for name in listed)]
            autosave = place.split("/section/")[0] + "/autosave/"
            for version in ("partial", "answers"):
                reply = self.send("POST", autosave, expect=(200,), ip=ip, json_reply=True,
                                  data=[*common, ("revision", revision),
                                        *form_fields(questionnaire, section_id, listed,
                                                     person[version][section_id])])
                revision = str(reply.json()["revision"])
            place = redirect_target(self.send("POST", place, expect=(302,), ip=ip, data=[
                *common, ("revision", revision), ("action", "next"),
                *form_fields(questionnaire, section_id, listed,
                             person["answers"][section_id])]))
        review = Page(self.send("GET", place, expect=(200,), ip=ip).content.decode())
        sent = self.send("POST", place.replace("/review/", "/submit/"), expect=(302,), ip=ip,
                         data=[("csrfmiddlewaretoken", self.csrf),
                               ("revision", review.value("revision"))])
        self.send("GET", redirect_target(sent), expect=(200,), ip=ip)
        self.send("POST", "/accounts/logout/", expect=(302,), ip=ip,
                  data=[("csrfmiddlewaretoken", self.csrf)])


def _walk(clients: list[dict[str, Any]], questionnaire: Any, profiler: Any = None,
          between: Callable[[], object] | None = None) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test import Client

    # One handler for the whole walk, as one gunicorn worker loads its middleware once.
    http = Client(enforce_csrf_checks=True, HTTP_X_FORWARDED_PROTO="https",
                  HTTP_HOST="127.0.0.1")
    samples: list[dict[str, Any]] = []
    for number, person in enumerate(clients):
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = int(cursor.fetchone()[0])
        walked: list[dict[str, Any]] = []
        Walker(http, backend, walked, profiler if number else None).journey(person, questionnaire)
        if number:  # the first client warms the process up
            samples.extend(walked)
        if between is not None:
            between()
    return samples


def _profile(clients: list[dict[str, Any]], questionnaire: Any) -> dict[str, float]:
    """Walk ``clients`` under cProfile; seconds of own time per category."""
    import cProfile
    import pstats

    profiler = cProfile.Profile(time.process_time)  # CPU, not waits on PostgreSQL
    _walk(clients, questionnaire, profiler)  # on only while a request is handled
    stats = pstats.Stats(profiler)
    if os.environ.get("JOURNEY_PSTATS"):
        stats.dump_stats(os.environ["JOURNEY_PSTATS"])
    return grouped(stats.stats)  # type: ignore[attr-defined]


def grouped(stats: dict[tuple[str, int, str], Any]) -> dict[str, float]:
    """Seconds of own time per category. A built-in function (``isinstance``, a driver's C
    call) has no file of its own: its time goes to its callers' categories, in proportion
    to the time each caller spent in it."""
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, own, _cum, callers) in stats.items():
        if filename != "~" or not callers:
            totals[category(filename)] += own
            continue
        spent = sum(row[2] for row in callers.values()) or 1.0
        for (caller_file, _l, _n), row in callers.items():
            totals[category(caller_file)] += own * row[2] / spent
    return dict(totals)


def _outlive_the_seeds_tombstone() -> None:
    """Wait until the seed's write to the practice settings no longer hides the shared copy.

    Writing the settings leaves a tombstone in the shared cache for a few seconds
    (``portal.practice``), during which every request reads the row from the database. A
    walk takes about two seconds, so without this wait it would measure that rare moment
    instead of a running portal (one query more on every request)."""
    from django.core.cache import cache

    from portal.models.practice import SHARED_KEY, TOMBSTONE, TOMBSTONE_SECONDS

    deadline = time.monotonic() + TOMBSTONE_SECONDS + 1
    while cache.get(SHARED_KEY) == TOMBSTONE and time.monotonic() < deadline:
        time.sleep(0.2)


def child(plan_path: str, profile: bool) -> dict[str, Any]:
    """Runs inside the portal's environment: the walk, and the profiled walk. The process
    starts as a gunicorn worker does, by loading ``portal.wsgi`` (set up, the keyring
    checked, warmed and frozen: ``portal.warm``)."""
    import importlib

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    importlib.import_module("portal.wsgi")
    from evidence.plan import load_questionnaire

    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    questionnaire = load_questionnaire()
    yardstick = round_costs()  # before the walk, and more rounds between its clients
    _outlive_the_seeds_tombstone()
    half = len(plan["clients"]) // 2 if profile else len(plan["clients"])
    samples = _walk(plan["clients"][:half], questionnaire,
                    between=lambda: yardstick.extend(round_costs(YARDSTICK_BETWEEN_CLIENTS)))
    profiled = _profile(plan["clients"][half:], questionnaire) if profile else {}
    return {"samples": samples, "profile": profiled,
            "yardstick_ms": statistics.median(yardstick)}


# --- the parent: database, keys, report ----------------------------------------------------

def summarise(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean CPU milliseconds per request, overall and per request type."""
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sample in samples:
        by_name[sample["name"]].append(sample)

    def mean(rows: list[dict[str, Any]]) -> dict[str, float]:
        portal = sum(row["portal"] for row in rows) / len(rows) * 1000
        database = sum(row["database"] for row in rows) / len(rows) * 1000
        return {"count": len(rows), "portal_ms": round(portal, 2),
                "database_ms": round(database, 2), "total_ms": round(portal + database, 2)}

    return {"all": mean(samples),
            "all_but_sign_in": mean([row for row in samples
                                     if row["name"] != "POST /accounts/login/"]),
            "by_request": {name: mean(rows) for name, rows in sorted(by_name.items())}}


def render(summary: dict[str, Any], profile: dict[str, float],
           yardstick: float = float("nan")) -> str:
    lines = ["| request | count | portal CPU ms | PostgreSQL CPU ms | total ms | "
             "total in yardsticks |", "|---|---:|---:|---:|---:|---:|"]
    for name, row in [*summary["by_request"].items(), ("**All requests**", summary["all"]),
                      ("**All but signing in**", summary["all_but_sign_in"])]:
        lines.append(f"| {name} | {row['count']} | {row['portal_ms']:.1f} | "
                     f"{row['database_ms']:.1f} | {row['total_ms']:.1f} | "
                     f"{in_yardsticks(row['total_ms'], yardstick):.1f} |")
    lines += ["", f"The yardstick (`evidence/yardstick.py`: a fixed piece of Django and "
              f"AES-GCM work, none of it the portal's code) cost {yardstick:.3f} ms of CPU "
              "on this machine in this run (the median of rounds before the walk and "
              "between its clients). A change in the portal's code moves the figures in "
              "yardsticks; a change of machine moves the yardstick."]
    if profile:
        total = sum(profile.values())
        lines += ["", "| where the portal's CPU went (cProfile, own time) | share |",
                  "|---|---:|"]
        for name, seconds in sorted(profile.items(), key=lambda item: -item[1]):
            lines.append(f"| {name} | {seconds / total:.0%} |")
    return "\n".join(lines)


def _passed_on() -> dict[str, str]:
    """``JOURNEY_PSTATS`` (a file for the raw profile) and ``JOURNEY_PROFILED`` (which
    requests to profile) reach the child."""
    return {name: os.environ[name] for name in ("JOURNEY_PSTATS", "JOURNEY_PROFILED")
            if name in os.environ}


TITLE = "CPU per request over the client journey"
WALKED = 11  # clients walked in `make evidence` (the first of each walk only warms up)
WANTED_ALL_MS = 12.0
WANTED_AUTOSAVE_MS = 5.0
AUTOSAVE = "POST /intake/<id>/autosave/"


def measure(ctx: Context, clients: int, profile: bool) -> dict[str, Any]:
    """Fresh database, the load run's practice and ``clients`` clients (twice as many with
    ``profile``), the walk in a child process: ``{"summary", "profile", "yardstick_ms"}``."""
    walked = clients * (2 if profile else 1)
    ctx.own_redis()
    ctx.create_database(DATABASE)
    ctx.manage(DATABASE, "migrate", "--noinput", record=False)
    ctx.collect_static(DATABASE)
    plan = build_plan(clients=walked, clinicians=2, seed=SEED)
    plan_path = ctx.workdir / "journey-cpu-plan.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    ctx.django_task(DATABASE, "seed", str(plan_path))
    completed = ctx.run([str(PYTHON), "-m", "evidence.journey_cpu", "--child",
                         str(plan_path), "1" if profile else "0"],
                        env={**ctx.portal_env(DATABASE), **_passed_on()}, timeout=1800,
                        record=f"python -m evidence.journey_cpu --clients {clients}"
                               f"{' --profile' if profile else ''}   # in-process walk")
    ctx.drop_database(DATABASE)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return {"summary": summarise(result["samples"]), "profile": result["profile"],
            "yardstick_ms": result["yardstick_ms"]}


def targets(summary: dict[str, Any]) -> list[Target]:
    """Issue 21's CPU targets (goals, reported): the journey's mean and an autosave's."""
    overall = summary["all"]["total_ms"]
    autosave = summary["by_request"].get(AUTOSAVE, {}).get("total_ms", float("nan"))
    return [
        Target("CPU per request, whole client journey (portal + PostgreSQL)",
               f"<= {WANTED_ALL_MS:g} ms", f"{overall:.1f} ms", overall <= WANTED_ALL_MS,
               fatal=False),
        Target("CPU per autosave (portal + PostgreSQL)", f"<= {WANTED_AUTOSAVE_MS:g} ms",
               f"{autosave:.1f} ms", autosave <= WANTED_AUTOSAVE_MS, fatal=False),
    ]


def run(ctx: Context) -> PartResult:
    """The ``cpu`` part of ``make evidence``: the walk and the profiled walk, its section of
    docs/evidence.md and its targets."""
    measured = measure(ctx, WALKED, profile=True)
    summary = measured["summary"]
    lines = [
        f"## {TITLE}", "",
        f"{WALKED - 1} clients (after one that warms the process up) walked one at a time "
        "through the load run's journey inside one production-settings process "
        "(`evidence/journey_cpu.py`, Django's handler and every middleware, CSRF checked): "
        "the portal's CPU is the process's own CPU time around each request, PostgreSQL's "
        "the CPU time of the connection's server process. The profile is of a second walk "
        "of as many clients under cProfile (own time, grouped by source file); "
        "docs/performance.md reads it.", "",
        render(summary, measured["profile"], measured["yardstick_ms"]), "",
    ]
    return PartResult(TITLE, "\n".join(lines), targets(summary))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evidence.journey_cpu",
                                     description=__doc__)
    parser.add_argument("--clients", type=int, default=WALKED,
                        help="clients walked (the first of each walk only warms up)")
    parser.add_argument("--profile", action="store_true",
                        help="walk as many clients again under cProfile, grouped")
    parser.add_argument("--child", nargs=2, metavar=("PLAN", "PROFILE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = child(args.child[0], args.child[1] == "1")
        print(json.dumps(result))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="portal-journey-cpu-"))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        mail = cleanup.enter_context(MailSink())
        ctx = Context(workdir=workdir, keys=fresh_keys(), mail=mail, clients=args.clients,
                      cleanup=cleanup, conn_max_age=60)
        measured = measure(ctx, args.clients, args.profile)
    print(render(measured["summary"], measured["profile"], measured["yardstick_ms"]))
    print(json.dumps(measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
