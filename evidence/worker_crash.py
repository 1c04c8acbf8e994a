"""Part "worker_crash" (issue 16, Proof): a worker SIGKILLed in the middle of a batch of
emails, another finishes it, no email lost and none sent twice.

A fresh database; ``BATCH`` emails queued through ``notify`` in one transaction
(``evidence.tasks.queue_emails``). Worker A starts; once the sink has received a third of
the batch (and a random moment up to ``KILL_JITTER_SECONDS`` more), A is killed with
SIGKILL (no clean-up of any kind: its task stays ``RUNNING`` in
the queue, its outbox row perhaps ``sending``). Worker B starts at once and works through
what is left. The task A had in hand comes back after the lease (``TASK_LEASE_SECONDS``, 5 s
here in place of 300): the scheduler's tick, every second here, puts a task running for
longer than the lease back in the queue, and ``deliver_message`` finds the outbox row's state
before sending.

Counted at the sink by Message-ID against the outbox rows. A missing email fails the run.
An email may arrive twice in one case only, which ``portal.mail.delivery`` documents: the
kill landed after the mail server accepted it and before its row was marked sent. So a
duplicate is accepted when it is the row A was sending when killed (``sending`` at the kill)
and the sink already had it at the kill; any other duplicate, or more than one, fails the
run.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time

from evidence.context import Context, PartResult, Target
from evidence.workers import (
    count_deliveries,
    ids_in_status,
    message_ids,
    outbox,
    start_worker,
    stop_workers,
    tasks_in_status,
    wait_for_outbox,
)

TITLE = "Worker crash: a worker killed in the middle of a batch of emails"
DATABASE = "portal_evidence_crash"
BATCH = 100
KILL_AFTER = BATCH // 3
# Once the sink has a third of the batch, the kill waits a random moment up to this long
# (a few emails' worth): right after an arrival it would land, nearly always, in the one
# window where a duplicate is possible, which is not a kill "in the middle of a batch".
KILL_JITTER_SECONDS = 0.1
FAST = {"TASK_LEASE_SECONDS": "5", "SCHEDULER_TICK_SECONDS": "1",
        "MAIL_RETRY_FIRST_SECONDS": "1", "MAIL_RETRY_LONGEST_SECONDS": "5"}
DRAIN_TIMEOUT = 120


def where_it_landed(sending: set[str], received_at_kill: set[str],
                    running: dict[str, int]) -> str:
    """Where in its work the kill found worker A, from the queue and outbox just after."""
    if sending & received_at_kill:
        return ("after the mail server accepted an email and before its row was marked "
                "sent (the one window for a duplicate)")
    if sending:
        return "in the middle of sending an email, before the mail server accepted it"
    if running:
        return ("holding a task (" + ", ".join(sorted(running)) + ") whose email was not "
                "being sent: claiming it, or marking it done")
    return "between two tasks"


def duplicates_explained(duplicated: set[str], sending: set[str],
                         received_at_kill: set[str]) -> bool:
    """The rule for duplicates after one SIGKILL: none, or one that is the email A was
    sending when killed (its row ``sending``) and that the mail server had already accepted
    (at the sink at the kill). Anything else no window explains."""
    return len(duplicated) <= 1 and duplicated <= (sending & received_at_kill)


def run(ctx: Context) -> PartResult:
    """Queue, start A, kill A, start B, drain, count; the section and its targets."""
    ctx.create_database(DATABASE)
    ctx.manage(DATABASE, "migrate", "--noinput")
    mark = len(ctx.mail.messages)
    queued = ctx.django_task(DATABASE, "queue_emails", BATCH, "crash")["queued"]

    first = start_worker(ctx, DATABASE, "crash-a", settings=FAST)
    started = time.monotonic()
    while len(ctx.mail.messages) - mark < KILL_AFTER:
        if first.poll() is not None:
            raise RuntimeError("Worker A ended before it was killed (see its log).")
        if time.monotonic() - started > DRAIN_TIMEOUT:
            raise RuntimeError("Worker A sent too little to be killed mid-batch.")
        time.sleep(0.005)
    time.sleep(random.uniform(0, KILL_JITTER_SECONDS))  # noqa: S311 - timing, not a secret
    with contextlib.suppress(ProcessLookupError):
        os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    ctx.commands.append("kill -KILL <worker A>   # a third of the batch at the sink, then "
                        f"a random 0 to {KILL_JITTER_SECONDS * 1000:.0f} ms")
    time.sleep(0.5)  # whatever A had written to the sink's socket is read by now
    received_at_kill = ctx.mail.message_ids(since=mark)
    sending = ids_in_status(DATABASE, "sending")
    running = dict(tasks_in_status(DATABASE, "RUNNING"))
    at_kill = outbox(DATABASE)
    landed = where_it_landed(sending, set(received_at_kill), running)

    second = start_worker(ctx, DATABASE, "crash-b", settings=FAST)
    drained, drain_seconds = wait_for_outbox(DATABASE, timeout=DRAIN_TIMEOUT)
    live_ticks = tasks_in_status(DATABASE, "READY")["scheduler_tick"]
    stop_workers([second])

    received = ctx.mail.message_ids(since=mark)
    expected = message_ids(DATABASE)
    counted = count_deliveries(expected, received)
    duplicated = {mid for mid in expected if received[mid] > 1}
    explained = duplicates_explained(duplicated, sending, set(received_at_kill))
    targets = [
        Target("Worker killed: every email arrives", f"all {BATCH} at the sink",
               f"{counted['expected'] - counted['missing']} of {counted['expected']} "
               f"arrived; outbox {drained.waiting} waiting, {drained.count('failed')} given "
               "up", counted["missing"] == 0 and counted["expected"] == BATCH == queued
               and drained.waiting == 0 and drained.count("failed") == 0, fatal=True),
        Target("Worker killed: none twice", "0 duplicates, or 1 when the kill landed between "
               "the mail server's acceptance and the row's commit",
               f"{counted['duplicated']} duplicated, {counted['unexplained']} unexplained; "
               f"the kill landed {landed}",
               explained and counted["unexplained"] == 0, fatal=True),
    ]
    lines = [
        f"## {TITLE}", "",
        f"A fresh database; {queued} emails queued through `notify` in one transaction "
        "(consent reminders to addresses without accounts). Worker A "
        f"(`manage.py db_worker`) started; once the sink had received {KILL_AFTER}, and a "
        f"random moment up to {KILL_JITTER_SECONDS * 1000:.0f} ms later, it was killed with "
        f"SIGKILL ({sum(received_at_kill.values())} had arrived by then). At that "
        f"moment the outbox held {at_kill.count('sent')} sent, {at_kill.count('sending')} "
        f"being sent and {at_kill.count('pending')} waiting, and the queue "
        f"{sum(running.values())} task(s) left `RUNNING` "
        f"({', '.join(f'{name} {count}' for name, count in sorted(running.items())) or 'none'}"
        f"): the kill landed {landed}.", "",
        "Worker B started at once, with `TASK_LEASE_SECONDS=5` and "
        "`SCHEDULER_TICK_SECONDS=1` (shipped: 300 and 60), so that a task A left `RUNNING` "
        "is put back after 5 s rather than 5 minutes"
        f"{'' if running else ' (this time A left none)'}. B emptied the outbox "
        f"{drain_seconds:.0f} s after it started; the scheduler's chain was "
        f"{'alive' if live_ticks else 'NOT alive'} at the end.", "",
        f"At the sink, by Message-ID: **{counted['once']} of {counted['expected']} exactly "
        f"once**, {counted['missing']} missing, {counted['duplicated']} more than once, "
        f"{counted['unexplained']} no outbox row explains. A duplicate is possible only when "
        "the kill lands between the mail server's \"250 accepted\" and the commit that "
        "marks the row sent (milliseconds; the commit does not wait for the disk, "
        "`synchronous_commit = off`); then the next attempt sends it again with the same "
        "Message-ID, which mail programs show once. The drill accepts one such duplicate, "
        "of the row A was sending, and fails on any other.",
    ]
    return PartResult(TITLE, "\n".join(lines), targets)
