"""Fault drill: two app servers behind one load balancer, one PostgreSQL, one Redis.

Two gunicorn processes on two ports, as two hosts would run them. A client signs in on one
and carries on on the other, then signs out there and is signed out on the first too. A staff
member enters the password on one and the TOTP code on the other; the same code is refused
when used again on the first (allauth keeps used codes in the shared cache). Wrong passwords
sent to the two servers in turn hit the one failed-sign-in limit (``5/5m/key``) after five
tries in all, not five on each; the right password is then refused on both.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from evidence.context import BIN, Context, Target, free_port, wait_until_healthy
from evidence.plan import totp_code
from evidence.visitor import Seen, Visitor
from evidence.web import location

LIMITED = "Too many failed login attempts"
WRONG = "not correct"
KEY_LIMIT = 5
PUBLIC_HOST = "127.0.0.1"  # the run's ALLOWED_HOSTS


def _server(ctx: Context, name: str, database: str, db_port: int,
            keys: dict[str, str]) -> str:
    port = free_port()
    process = ctx.start([str(BIN / "gunicorn"), "portal.wsgi", "--bind", f"127.0.0.1:{port}",
                         "--workers", "2"],
                        env=ctx.portal_env(database, keys=keys, db_port=db_port),
                        log=ctx.workdir / f"gunicorn-{name}.log",
                        record=f"gunicorn portal.wsgi --bind 127.0.0.1:<port {name}> "
                               "--workers 2   # on the private server")
    wait_until_healthy(port, process, 60)
    return f"http://127.0.0.1:{port}"


def _person(base: str, person: dict[str, Any]) -> Visitor:
    """A browser talking to ``base`` through the load balancer: whichever server answers,
    the ``Host`` is the portal's one public name (allauth's failed-sign-in count is keyed
    by it)."""
    gate = threading.Event()
    gate.set()
    return Visitor(base, person, Seen(), gate=gate, host=PUBLIC_HOST)


def _sign_in_form(visitor: Visitor, password: str) -> Any:
    visitor.send("GET", "/accounts/login/", expect=(200,))
    return visitor.send("POST", "/accounts/login/", expect=(200, 302), data=[
        ("csrfmiddlewaretoken", visitor.csrf), ("login", visitor.person["email"]),
        ("password", password)])


def _client_session(a: str, b: str, client: dict[str, Any]) -> dict[str, bool]:
    """Sign in on A, read on B, sign out on B, signed out on A."""
    visitor = _person(a, client)
    signed_in = _sign_in_form(visitor, client["password"]).status_code == 302
    visitor.base = b
    on_b = visitor.send("GET", "/me/", expect=(200, 302))
    continued = on_b.status_code == 200
    visitor.send("POST", "/accounts/logout/", expect=(302,),
                 data=[("csrfmiddlewaretoken", visitor.csrf)])
    visitor.base = a
    after = visitor.send("GET", "/me/", expect=(200, 302))
    signed_out = after.status_code == 302 and "/accounts/login/" in location(after.headers)
    return {"signed_in_on_a": signed_in, "continued_on_b": continued,
            "signed_out_on_a": signed_out}


def _staff_code(a: str, b: str, staff: dict[str, Any]) -> dict[str, bool]:
    """Password on A, TOTP code on B; the same code again on A is refused."""
    while time.time() % 30 > 20:  # both uses inside one 30-second code period
        time.sleep(1)
    code = totp_code(staff["totp_secret"])
    first = _person(a, staff)
    challenge = location(_sign_in_form(first, staff["password"]).headers)
    first.base = b
    first.send("GET", challenge, expect=(200,))
    accepted = first.send("POST", challenge, expect=(200, 302), data=[
        ("csrfmiddlewaretoken", first.csrf), ("code", code)])
    second = _person(a, staff)
    again = location(_sign_in_form(second, staff["password"]).headers)
    second.send("GET", again, expect=(200,))
    reused = second.send("POST", again, expect=(200, 302), data=[
        ("csrfmiddlewaretoken", second.csrf), ("code", code)])
    return {"code_accepted_on_b": accepted.status_code == 302,
            "code_refused_again_on_a": reused.status_code == 200}


def _shared_limit(a: str, b: str, client: dict[str, Any]) -> dict[str, Any]:
    """Wrong passwords to A and B in turn until one is refused as rate-limited."""
    bases = (a, b)
    wrong = 0
    limited_after = 0
    for attempt in range(2 * KEY_LIMIT + 2):
        answer = _sign_in_form(_person(bases[attempt % 2], client), "not-the-password-1")
        if LIMITED in answer.text:
            limited_after = wrong
            break
        wrong += WRONG in answer.text
    right = [LIMITED in _sign_in_form(_person(base, client), client["password"]).text
             for base in bases]
    return {"wrong_before_limit": limited_after, "right_refused_on_both": all(right)}


def run(ctx: Context, database: str, db_port: int, keys: dict[str, str],
        plan: dict[str, Any]) -> tuple[list[str], list[Target]]:
    """The drill; its lines of docs/evidence.md and its targets."""
    a = _server(ctx, "A", database, db_port, keys)
    b = _server(ctx, "B", database, db_port, keys)
    session = _client_session(a, b, plan["clients"][0])
    mfa = _staff_code(a, b, plan["staff"][0])
    limit = _shared_limit(a, b, plan["clients"][1])
    session_ok = all(session.values()) and all(mfa.values())
    limit_ok = limit["wrong_before_limit"] == KEY_LIMIT and limit["right_refused_on_both"]

    def said(flag: bool) -> str:
        return "yes" if flag else "**no**"

    lines = [
        "### Two app servers, one PostgreSQL, one Redis", "",
        "Two gunicorn processes (A and B, 2 workers each) on the private server and the "
        "run's Redis database, as two hosts behind a load balancer would run them; every "
        "request carries the one public `Host`, as the load balancer passes it on.", "",
        f"- A client signed in on A: {said(session['signed_in_on_a'])}; opened their page "
        f"on B still signed in: {said(session['continued_on_b'])}; signed out on B and was "
        f"then signed out on A too: {said(session['signed_out_on_a'])}.",
        f"- A practice admin gave the password on A and the TOTP code on B, and was let in: "
        f"{said(mfa['code_accepted_on_b'])}; the same code used again on A was refused: "
        f"{said(mfa['code_refused_again_on_a'])}.",
        f"- Wrong passwords for one account, sent to A and B in turn: the "
        f"{limit['wrong_before_limit'] + 1}th try was refused as \"{LIMITED}\" after "
        f"{limit['wrong_before_limit']} wrong ones in all (the limit is {KEY_LIMIT} per "
        f"account per 5 minutes, so the servers shared one count); the right password was "
        f"then refused on both: {said(limit['right_refused_on_both'])}.",
    ]
    return lines, [
        Target("A session continues on a second app server", "sign-in, MFA step and "
               "sign-out carry across; a used TOTP code is refused on the other server",
               f"{sum(session.values()) + sum(mfa.values())}/5 checks held", session_ok,
               fatal=True),
        Target("Rate limits shared between app servers", f"refused after {KEY_LIMIT} wrong "
               "passwords in all", f"refused after {limit['wrong_before_limit']}", limit_ok,
               fatal=True),
    ]
