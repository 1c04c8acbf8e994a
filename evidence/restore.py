"""Part "restore drill" (issue item 6): a backup restored, read with and without the keys.

After the load: one client is crypto-shredded (``client_erase``), the audit trail's anchor
is taken, the database is dumped with ``pg_dump`` (plain SQL) and restored into a new empty
database. With the run's keys everything reads and matches, ``verify_audit_log --expect
<anchor>`` passes, and the shredded client stays unreadable. With other keys (freshly
generated) nothing personal reads. The dump itself is searched for every client's canaries
(legal names, phone numbers, free-text tokens) as plain text, hex (how ``bytea`` columns are
dumped) and base64: none may be there.
"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path
from typing import Any

from evidence.context import PG_ARGS, Context, PartResult, Target, fresh_keys

TITLE = "Restore drill: pg_dump, restore, read with and without the keys"
RESTORED = "portal_evidence_restored"


def encodings(text: str) -> list[bytes]:
    """How ``text`` could sit in a plain-SQL dump: as itself, as hex (``bytea``), and as
    standard or URL-safe base64 at each of the three byte alignments (the edges, which mix
    with neighbouring bytes, left out)."""
    raw = text.encode()
    forms = [raw, raw.hex().encode()]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        middle = encoded[4 if shift else 0:-4]
        forms += [middle, middle.replace(b"+", b"-").replace(b"/", b"_")]
    return [form for form in forms if len(form) >= 8]


def search_dump(dump: bytes, plan: dict[str, Any]) -> dict[str, Any]:
    """Every client's canaries in every encoding (should find none), with positive
    controls: login emails (plaintext by design) and the hex of the wrapped data keys'
    envelope header (``01 03 'mk1'``), which only a search inside ``bytea`` finds."""
    found: list[str] = []
    searched = 0
    for client in plan["clients"]:
        for canary in [client["profile"]["phone"], *client["canaries"]]:
            searched += 1
            if any(form in dump for form in encodings(canary)):
                found.append(f"client {client['index']:03d}")
    return {
        "canaries": searched,
        "found": sorted(set(found)),
        "emails_found": sum(client["email"].encode() in dump for client in plan["clients"]),
        "key_headers_found": dump.count(b"\x01\x03mk1".hex().encode()),
    }


def _anchor(ctx: Context, database: str) -> tuple[str, str]:
    """``verify_audit_log --anchor``: (the anchor, the "intact" line)."""
    output = ctx.manage(database, "verify_audit_log", "--anchor").stdout
    match = re.search(r"Anchor: (\d+:[0-9a-f]+)", output)
    if match is None:
        raise RuntimeError("verify_audit_log printed no anchor.")
    return match.group(1), output.strip().splitlines()[0]


def run(ctx: Context) -> PartResult:
    """Shred, anchor, dump, restore, read with and without the keys, search the dump."""
    if "outcomes_path" not in ctx.state:
        return PartResult(TITLE, f"## {TITLE}\n\nNot run: it restores what the load part "
                          "wrote, and the load part did not finish.",
                          [Target("Restore drill ran", "yes", "no", met=False, fatal=True)])
    source, plan = ctx.state["database"], ctx.state["plan"]
    plan_path, outcomes_path = ctx.state["plan_path"], ctx.state["outcomes_path"]
    shredded = plan["clients"][-1]["index"]
    erased = ctx.django_task(source, "erase", plan_path, shredded)
    anchor, intact_before = _anchor(ctx, source)

    dump_path: Path = ctx.workdir / "backup.sql"
    started = time.monotonic()
    ctx.run(["pg_dump", *PG_ARGS, "--format=plain", "--no-owner", "--no-privileges",
             "--file", str(dump_path), source], timeout=300,
            record=f"pg_dump -h 127.0.0.1 -U postgres --format=plain --no-owner "
                   f"--no-privileges --file backup.sql {source}")
    dumped = time.monotonic() - started
    ctx.create_database(RESTORED)
    started = time.monotonic()
    ctx.run(["psql", *PG_ARGS, "--quiet", "--no-psqlrc", "--set", "ON_ERROR_STOP=1",
             "--single-transaction", "--file", str(dump_path), "--dbname", RESTORED],
            timeout=300,
            record=f"createdb {RESTORED} && psql -h 127.0.0.1 -U postgres --set "
                   f"ON_ERROR_STOP=1 --single-transaction --file backup.sql "
                   f"--dbname {RESTORED}")
    restored_in = time.monotonic() - started

    with_keys = ctx.django_task(RESTORED, "check", plan_path, outcomes_path, [shredded])
    verified = ctx.manage(RESTORED, "verify_audit_log", "--expect", anchor, check=False)
    other_keys = fresh_keys()
    without = ctx.django_task(RESTORED, "probe", plan_path, keys=other_keys)
    verified_other = ctx.manage(RESTORED, "verify_audit_log", keys=other_keys, check=False,
                                record=False)
    grep = search_dump(dump_path.read_bytes(), plan)
    size_mb = dump_path.stat().st_size / 1e6

    differences = (with_keys.get("differences", 0) + with_keys.get("profile_differences", 0)
                   + with_keys.get("signature_differences", 0))
    reads_ok = (differences == 0 and with_keys.get("decrypt_failures", 0) == 0
                and with_keys.get("intakes", 0) >= len(plan["clients"]) - 1
                and with_keys.get("searches_found") == with_keys.get("searches"))
    readable_without = (without.get("values_read", 0) + without.get("totp_read", 0)
                        + without.get("searches_found", 0))
    targets = [
        Target("With the keys, the restored database reads and matches",
               "0 differences, 0 decryption failures",
               f"{with_keys.get('intakes', 0)} intakes, {with_keys.get('profile_fields', 0)} "
               f"profile fields, {with_keys.get('signatures', 0)} signatures: {differences} "
               f"differences, {with_keys.get('decrypt_failures', 0)} failures",
               reads_ok, fatal=True),
        Target("Audit trail verifies after restore", "`verify_audit_log --expect <anchor>` "
               "exit 0", f"exit {verified.returncode}", verified.returncode == 0, fatal=True),
        Target("Without the keys nothing personal reads", "0 values, 0 TOTP secrets, 0 "
               "search hits", f"{without.get('values_read', 0)} of "
               f"{without.get('values_read', 0) + without.get('values_refused', 0)} values, "
               f"{without.get('totp_read', 0)} TOTP secrets, {without.get('searches_found', 0)} "
               "search hits", readable_without == 0 and without.get("values_refused", 0) > 0,
               fatal=True),
        Target("Shredded client unreadable after restore, with the keys",
               "0 values readable", f"{with_keys.get('erased_readable', 0)} of "
               f"{with_keys.get('erased_readable', 0) + with_keys.get('erased_refused', 0)}",
               with_keys.get("erased_readable", 0) == 0
               and with_keys.get("erased_refused", 0) > 0, fatal=True),
        Target("No canary in the raw dump", "0 found (controls found)",
               f"{len(grep['found'])} clients' canaries found; controls: "
               f"{grep['emails_found']} emails, {grep['key_headers_found']} key headers",
               not grep["found"] and grep["emails_found"] > 0
               and grep["key_headers_found"] > 0, fatal=True),
    ]
    error_names = ", ".join(f"`{name}` x{count}" for name, count in
                            sorted(without.get("errors", {}).items())) or "none"
    shred_errors = ", ".join(f"`{name}`" for name in sorted(with_keys.get("errors", {})))
    lines = [
        f"## {TITLE}", "",
        f"1. **Crypto-shred** client {shredded:03d} with `client_erase` (the service behind "
        f"`manage.py erase_client`): {erased['keys_destroyed']} data key destroyed.",
        f"2. **Anchor** the audit trail: `verify_audit_log --anchor` → \"{intact_before}\".",
        f"3. **Dump** `{source}` with `pg_dump --format=plain`: {size_mb:.1f} MB in "
        f"{dumped:.1f} s. **Restore** into the new empty database `{RESTORED}` with `psql "
        f"--single-transaction`: {restored_in:.1f} s.",
        "4. **With the keys** (same environment as the servers), against the restored "
        f"database: {with_keys.get('intakes', 0)} intakes decrypted and compared with what "
        f"the clients sent: {with_keys.get('differences', 0)} differences, "
        f"{with_keys.get('decrypt_failures', 0)} decryption failures; "
        f"{with_keys.get('profile_fields', 0)} profile fields "
        f"({with_keys.get('profile_differences', 0)} differences) and "
        f"{with_keys.get('signatures', 0)} consent signatures "
        f"({with_keys.get('signature_differences', 0)} differences); blind-index search "
        f"found {with_keys.get('searches_found', 0)}/{with_keys.get('searches', 0)} clients. "
        f"`verify_audit_log --expect {anchor.split(':')[0]}:…` → exit "
        f"{verified.returncode}: \"{(verified.stdout or verified.stderr).strip()[:160]}\".",
        f"5. **The shredded client**, with the keys: {with_keys.get('erased_readable', 0)} of "
        f"{with_keys.get('erased_readable', 0) + with_keys.get('erased_refused', 0)} "
        f"encrypted values readable; the portal refused with {shred_errors or 'no error'}.",
        "6. **Without the keys** (a freshly generated `SECRET_KEY`, master keyring with the "
        "same id `mk1` but another key, blind-index and audit keys): "
        f"{without.get('values_read', 0)} of "
        f"{without.get('values_read', 0) + without.get('values_refused', 0)} encrypted "
        f"values readable (every row of every encrypted model), "
        f"{without.get('totp_read', 0)} of "
        f"{without.get('totp_read', 0) + without.get('totp_refused', 0)} staff TOTP secrets, "
        f"{without.get('searches_found', 0)} of {without.get('searches', 0)} blind-index "
        f"searches found anyone. Errors raised: {error_names}. `verify_audit_log` under the "
        f"other audit key exits {verified_other.returncode} (the chain is keyed: it cannot "
        "be verified, or forged, without the key).",
        f"7. **Raw dump search** (like `grep -F`, over the whole file): {grep['canaries']} "
        "canaries (every client's phone number, legal name and free-text tokens) in plain "
        "text, hex and base64: found for "
        f"{', '.join(grep['found']) if grep['found'] else 'no client'}. Controls, to show "
        f"the search sees what is there: {grep['emails_found']} of {len(plan['clients'])} "
        "login emails (plaintext by design) found as text, and the hex of the wrapped data "
        f"keys' envelope header found {grep['key_headers_found']} times inside `bytea` "
        "columns.",
    ]
    if with_keys.get("details"):
        lines += ["", "Differences (question ids only):", "",
                  *(f"- {detail}" for detail in with_keys["details"])]
    return PartResult(TITLE, "\n".join(lines), targets)
