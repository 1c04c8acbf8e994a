"""``python -m evidence`` (``make evidence``): run the parts, write docs/evidence.md.

Exit status 0 when every correctness check held, 1 when one failed (differences between what
clients sent and what is stored, a restored database that does not read, a shredded client
that does, an email lost or sent twice in the mail drills), 2 on bad usage. A missed latency
goal is reported in the file, not fatal. Everything the run starts (servers, task workers,
the mail sink) and creates (databases, the work folder, Redis counters, collected static
files) is removed at the end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from evidence import (
    faults,
    journey_cpu,
    load,
    mail_outage,
    page_weight,
    restore,
    scale,
    worker_crash,
)
from evidence.context import ROOT, Context, PartResult, fresh_keys
from evidence.mailsink import MailSink
from evidence.report import machine, render


@dataclass(frozen=True)
class Part:
    name: str
    title: str
    run: Callable[[Context], PartResult]


# In order: the restore drill restores what the load wrote; the fault drills use a private
# PostgreSQL server of their own; the mail outage and worker crash drills (issue 16) each a
# database of their own. The CPU walk (issue 21) runs first, on a quiet machine and a
# database of its own. The page weight (issue 21) needs none of the others: one client in a
# database of its own, and the run's collected static files. The scale part (issue 21)
# seeds 10,000 clients and 1,000,000 audit events in a throwaway database of its own.
PARTS = [
    Part("cpu", journey_cpu.TITLE, journey_cpu.run),
    Part("load", load.TITLE, load.run),
    Part("restore", restore.TITLE, restore.run),
    Part("faults", faults.TITLE, faults.run),
    Part("mail_outage", mail_outage.TITLE, mail_outage.run),
    Part("worker_crash", worker_crash.TITLE, worker_crash.run),
    Part("page_weight", page_weight.TITLE, page_weight.run),
    Part("scale", scale.TITLE, scale.run),
]


def _terminate(signum: int, frame: object) -> NoReturn:
    """SIGTERM unwinds like Ctrl-C, so cleanup still runs."""
    raise SystemExit(128 + signum)


def _run_parts(parts: list[Part], ctx: Context) -> list[PartResult]:
    results = []
    for part in parts:
        print(f"[evidence] {part.name} …", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            result = part.run(ctx)
        except Exception as error:
            traceback.print_exc()
            crash = f"{type(error).__name__}: {str(error)[:300]}"
            result = PartResult(part.title, f"## {part.title}\n\nCrashed: `{crash}`",
                                crashed=crash)
        print(f"[evidence] {part.name}: {'ok' if result.ok else 'FAILED'} in "
              f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evidence", description=__doc__)
    parser.add_argument("--parts", default=",".join(part.name for part in PARTS),
                        help="comma-separated parts to run (default: all, in order)")
    # Issue 21's load: 200 clients mid-journey, arriving 2 a second.
    parser.add_argument("--clients", type=int, default=200, help="simulated clients")
    parser.add_argument("--think", default="2,6", metavar="MIN,MAX",
                        help="seconds a simulated person pauses between actions")
    parser.add_argument("--spawn-rate", type=float, default=2.0, metavar="PER_SECOND",
                        help="clients arriving per second (default 2; 20 makes the "
                             "sign-ins land nearly at once)")
    parser.add_argument("--conn-max-age", type=int, default=60, metavar="SECONDS",
                        help="DATABASE_CONN_MAX_AGE for the servers (default: 60, as shipped)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "evidence.md")
    parser.add_argument("--keep-workdir", action="store_true",
                        help="keep the work folder (plan, logs, dump) for inspection")
    args = parser.parse_args(argv)
    if os.environ.get("PORTAL_ENV", "production") != "production":
        print("The evidence runs the portal's production settings (docs/evidence.md says "
              "why); run it with PORTAL_ENV=production or unset.", file=sys.stderr)
        return 2
    chosen = [part for part in PARTS if part.name in args.parts.split(",")]
    if not chosen or args.clients < 1:
        parser.error("nothing to run")
    try:
        low, high = (float(value) for value in args.think.split(","))
    except ValueError:
        parser.error("--think takes two numbers of seconds, e.g. 2,6")
    if not 0 <= low <= high <= 60:
        parser.error("--think takes MIN,MAX with 0 <= MIN <= MAX <= 60")
    if not 0.1 <= args.spawn_rate <= 100:
        parser.error("--spawn-rate takes 0.1 to 100 clients a second")
    signal.signal(signal.SIGTERM, _terminate)
    info = machine()
    info["command"] = " ".join(["python -m evidence", *(argv if argv is not None
                                                        else sys.argv[1:])])
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="portal-evidence-"))
    ctx: Context | None = None
    try:
        with contextlib.ExitStack() as cleanup:
            mail = cleanup.enter_context(MailSink())
            ctx = Context(workdir=workdir, keys=fresh_keys(), mail=mail,
                          clients=args.clients, cleanup=cleanup, think=(low, high),
                          spawn_rate=args.spawn_rate,
                          conn_max_age=args.conn_max_age)
            results = _run_parts(chosen, ctx)
    finally:
        if args.keep_workdir:
            print(f"[evidence] work folder kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    info["load_end"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
    args.output.write_text(render(info, results, ctx, time.monotonic() - started),
                           encoding="utf-8")
    ok = all(result.ok for result in results)
    print(f"[evidence] wrote {args.output}; {'all checks passed' if ok else 'CHECK FAILED'}",
          file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
