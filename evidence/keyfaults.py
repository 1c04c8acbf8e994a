"""Fault drills on the keys: gunicorn started with a missing or wrong keyring, and
``rotate_keys`` killed half-way and run again.

Both run against the database the outage drill left (its clients submitted, so every kind
of encrypted value is there). Nothing here prints a key: the logs are searched for the key
material instead, which must not be in them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from evidence.context import BIN, PYTHON, ROOT, Context, Target, free_port, new_key
from evidence.outage import _healthz

START_LIMIT = 60


def _start_refused(ctx: Context, env: dict[str, str], log: Path) -> dict[str, Any]:
    """Start gunicorn with ``env``; it must exit on its own, never answering ``/healthz``
    with 200. Returns the exit status, the seconds it took and the log's reason line."""
    port = free_port()
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own argv, never a shell
            [str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "2"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
        healthy = False
        while process.poll() is None and time.monotonic() - started < START_LIMIT:
            healthy = healthy or _healthz(port) == 200
            time.sleep(0.3)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    text = log.read_text(encoding="utf-8", errors="replace")
    reason = next((line.split("ImproperlyConfigured: ", 1)[1] for line in text.splitlines()
                   if "ImproperlyConfigured: " in line), "")
    secrets_in_log = [name for name in ("PORTAL_MASTER_KEYS",) if env.get(name) and any(
        part.split(":", 1)[1] in text for part in env[name].split(","))]
    return {"code": process.returncode, "seconds": time.monotonic() - started,
            "healthy": healthy, "reason": reason, "key_in_log": bool(secrets_in_log)}


def keyring(ctx: Context, database: str, db_port: int) -> tuple[list[str], list[Target]]:
    """Three keyrings that must not start: none, the right id with other bytes, and only a
    new key (the one that wrapped the data keys left out)."""
    good = ctx.portal_env(database, db_port=db_port)
    missing = {name: value for name, value in good.items() if name != "PORTAL_MASTER_KEYS"}
    missing.pop("PORTAL_ACTIVE_MASTER_KEY_ID", None)
    cases = {
        "no `PORTAL_MASTER_KEYS`": missing,
        "`mk1` with other key material": {**good, "PORTAL_MASTER_KEYS": f"mk1:{new_key()}"},
        "only a new key `mk9` (the old `mk1` left out)": {
            **good, "PORTAL_MASTER_KEYS": f"mk9:{new_key()}",
            "PORTAL_ACTIVE_MASTER_KEY_ID": "mk9"},
    }
    lines = ["### gunicorn started with a missing or wrong keyring", "",
             "| keyring | gunicorn | `/healthz` 200 ever | what the log says | key in the log |",
             "|---|---|---|---|---|"]
    refused = 0
    for number, (name, env) in enumerate(cases.items()):
        ctx.commands.append(f"gunicorn portal.wsgi ...   # keyring: {name}")
        outcome = _start_refused(ctx, env, ctx.workdir / f"gunicorn-keyring-{number}.log")
        ok = (outcome["code"] not in (None, 0) and not outcome["healthy"]
              and bool(outcome["reason"]) and not outcome["key_in_log"])
        refused += ok
        lines.append(f"| {name} | exited {outcome['code']} after {outcome['seconds']:.1f} s | "
                     f"{'yes' if outcome['healthy'] else 'no'} | {outcome['reason'][:300]} | "
                     f"{'**yes**' if outcome['key_in_log'] else 'no'} |")
    lines += ["", "Each refusal names the variable or the key id and what is wrong with it, "
              "never key material (the log was searched for each key given)."]
    return lines, [Target("Wrong or missing keyring refuses to start", "3/3 refused with a "
                          "clear reason, never served, no key in the log",
                          f"{refused}/{len(cases)}", refused == len(cases), fatal=True)]


def _status(ctx: Context, database: str, db_port: int, keys: dict[str, str]) -> list[str]:
    """``manage.py encryption_status``'s lines."""
    out = ctx.manage(database, "encryption_status", keys=keys, db_port=db_port,
                     record=False).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def _kill_half_way(ctx: Context, env: dict[str, str]) -> dict[str, Any]:
    """Run ``rotate_keys --reencrypt --batch-size 1`` and SIGKILL it as soon as it reports
    re-encrypting some owners but not all."""
    ctx.commands.append("python manage.py rotate_keys --reencrypt --batch-size 1   "
                        "# SIGKILL half-way")
    process = subprocess.Popen(  # noqa: S603 - our own argv, never a shell
        [str(PYTHON), "manage.py", "rotate_keys", "--reencrypt", "--batch-size", "1"],
        cwd=ROOT, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    killed_at = ""
    assert process.stdout is not None  # noqa: S101 - set by stdout=PIPE
    for line in process.stdout:
        if line.startswith("re-encrypt owners"):
            done, total = (int(n) for n in line.rsplit(" ", 1)[1].split("/"))
            if 0 < done < total:
                process.send_signal(signal.SIGKILL)
                killed_at = f"{done}/{total}"
                break
    process.wait(60)
    return {"killed_at": killed_at, "code": process.returncode}


def rotation(ctx: Context, database: str, db_port: int, plan_path: Path,
             outcomes_path: Path) -> tuple[list[str], list[Target], dict[str, str]]:
    """A new master key ``mk2`` made active; ``rotate_keys --reencrypt`` killed half-way;
    the data read in that state; the command run again to the end; then everything read
    with ``mk2`` alone. Returns the keys to go on with (``mk2`` only)."""
    both = {**ctx.keys, "PORTAL_MASTER_KEYS": f"{ctx.keys['PORTAL_MASTER_KEYS']},"
                                              f"mk2:{new_key()}",
            "PORTAL_ACTIVE_MASTER_KEY_ID": "mk2"}
    only_new = {**both, "PORTAL_MASTER_KEYS": both["PORTAL_MASTER_KEYS"].split(",")[1]}
    env = ctx.portal_env(database, keys=both, db_port=db_port)
    killed = _kill_half_way(ctx, env)
    half = _status(ctx, database, db_port, both)
    mid = ctx.django_task(database, "check", str(plan_path), str(outcomes_path), [],
                          keys=both, db_port=db_port)
    resumed = ctx.manage(database, "rotate_keys", "--reencrypt", keys=both, db_port=db_port,
                         check=False)
    done = _status(ctx, database, db_port, both)
    after = ctx.django_task(database, "check", str(plan_path), str(outcomes_path), [],
                            keys=only_new, db_port=db_port)
    audit = ctx.manage(database, "verify_audit_log", keys=only_new, db_port=db_port,
                       check=False)

    def differences(result: dict[str, Any]) -> int:
        return sum(result.get(name, 0) for name in ("differences", "profile_differences",
                                                     "signature_differences",
                                                     "decrypt_failures"))

    retirable = any("Master key 'mk1' wraps no data key" in line for line in done)
    killed_done, total = (int(n) for n in (killed["killed_at"] or "0/0").split("/"))
    resumed_line = next((line for line in resumed.stdout.splitlines()
                         if line.startswith("re-encrypted the data of")), "")
    resumed_done = int(resumed_line.split()[4]) if resumed_line else -1
    ok = (0 < killed_done < total and killed["code"] == -signal.SIGKILL
          and killed_done + resumed_done == total and differences(mid) == 0
          and resumed.returncode == 0 and retirable and differences(after) == 0
          and after.get("intakes", 0) > 0 and audit.returncode == 0)
    lines = [
        "### `rotate_keys` killed half-way", "",
        "A new master key `mk2` was added to the keyring and made active, and "
        "`rotate_keys --reencrypt --batch-size 1` (re-wrap every data key, then give every "
        f"owner a new data key and re-encrypt their values) was killed with SIGKILL when it "
        f"had reported {killed['killed_at'] or 'nothing (it was not killed)'} owners "
        f"re-encrypted (exit {killed['code']}).", "",
        "`encryption_status` at that moment:", "", "```", *half, "```", "",
        f"Read in that half-rotated state (keys `mk1` and `mk2`): {mid.get('intakes', 0)} "
        f"intakes, {mid.get('profile_fields', 0)} profile fields and "
        f"{mid.get('signatures', 0)} signatures compared, **{differences(mid)} differences "
        "or unreadable values**. `rotate_keys --reencrypt` run again: exit "
        f"{resumed.returncode}, \"{resumed_line}\": it went on where the killed run had "
        f"stopped ({killed_done} + {resumed_done} = {killed_done + resumed_done} of {total} "
        "owners, none twice, none left out).", "",
        "`encryption_status` after it:", "", "```", *done, "```", "",
        f"Then with **`mk2` alone** in the keyring: {after.get('intakes', 0)} intakes, "
        f"{after.get('profile_fields', 0)} profile fields and {after.get('signatures', 0)} "
        f"signatures compared, **{differences(after)} differences or unreadable values**; "
        f"`verify_audit_log`: exit {audit.returncode}.",
    ]
    target = Target("`rotate_keys` killed half-way resumes to completion",
                    "killed mid-way, readable meanwhile, completes, old key retirable, all "
                    "data read with the new key alone",
                    f"killed at {killed['killed_at'] or '—'}, resumed {resumed_done} more, "
                    f"{differences(mid)} then "
                    f"{differences(after)} differences, mk1 "
                    f"{'retirable' if retirable else 'still needed'}", ok, fatal=True)
    return lines, [target], only_new
