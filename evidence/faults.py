"""Part "faults" (issue item 4): the database stopped mid-use, a missing or wrong keyring at
start-up, ``rotate_keys`` killed half-way, and two app servers sharing sessions and limits.

Everything runs on a private PostgreSQL server (``evidence.pgcluster``), since the first
drill stops it, with a small practice seeded through the portal's services. The drills run
in order on the same database: the outage leaves submitted intakes, the key drills read
them, the rotation leaves the keys the two app servers then use.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable

from evidence import keyfaults, outage, twoservers
from evidence.context import Context, PartResult, Target
from evidence.pgcluster import PrivateServer
from evidence.plan import build_plan

TITLE = "Faults: database outage, wrong keys, interrupted rotation, two app servers"
DATABASE = "portal_faults"
CLIENTS = 10
SEED = 20240917


def run(ctx: Context) -> PartResult:
    """Set up the private server and the practice, then the four drills."""
    ctx.own_redis()
    pg = PrivateServer(ctx)
    pg.create()
    pg.createdb(DATABASE)
    ctx.manage(DATABASE, "migrate", "--noinput", db_port=pg.port)
    ctx.collect_static(DATABASE, db_port=pg.port)
    plan = build_plan(clients=CLIENTS, clinicians=1, seed=SEED)
    plan_path = ctx.workdir / "faults-plan.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    ctx.django_task(DATABASE, "seed", str(plan_path), db_port=pg.port)

    lines = [f"## {TITLE}", "",
             f"A private PostgreSQL server (`initdb` into a temporary folder, port chosen at "
             f"run time; the shared server is never stopped), a practice of {CLIENTS} "
             "clients, an admin and a clinician seeded as in the load run, the run's Redis "
             "database, production settings.", ""]
    targets: list[Target] = []
    keys = ctx.keys
    outcomes = ctx.workdir / "outage-outcomes.jsonl"
    drills: list[tuple[str, Callable[[], tuple[list[str], list[Target]]]]] = [
        ("The database stopped in the middle of use",
         lambda: outage.run(ctx, pg, DATABASE, plan, plan_path)),
        ("A missing or wrong keyring", lambda: keyfaults.keyring(ctx, DATABASE, pg.port)),
        ("`rotate_keys` killed half-way", lambda: rotate()),
        ("Two app servers", lambda: twoservers.run(ctx, DATABASE, pg.port, keys, plan)),
    ]

    def rotate() -> tuple[list[str], list[Target]]:
        nonlocal keys
        more, found, keys = keyfaults.rotation(ctx, DATABASE, pg.port, plan_path, outcomes)
        return more, found

    for name, drill in drills:
        try:
            more, found = drill()
        except Exception as error:  # one drill's crash must not hide the others' figures
            traceback.print_exc()
            crash = f"{type(error).__name__}: {str(error)[:300]}"
            more = [f"### {name}", "", f"Crashed: `{crash}`"]
            found = [Target(name, "runs to the end", f"crashed: {crash}", False, fatal=True)]
        lines += [*more, ""]
        targets += found
    return PartResult(TITLE, "\n".join(lines), targets)
