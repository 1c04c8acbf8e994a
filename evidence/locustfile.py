"""Locust users for ``make evidence``: clients doing their whole intake, staff reading.

Started by ``evidence.load`` as ``locust -f evidence/locustfile.py --headless ...``, never
imported by the runner itself (importing Locust patches the standard library for gevent).
Environment: ``EVIDENCE_PLAN`` (the cast, ``evidence.plan``), ``EVIDENCE_OUT`` (a folder for
the request log and each client's outcome) and ``EVIDENCE_THINK`` (``min,max`` seconds a
person pauses between two actions).

Each request goes out as the reverse proxy would pass it on: ``X-Forwarded-Proto: https``
(the portal runs its production settings) and ``X-Forwarded-For`` with an address of the
person's own from the benchmarking range 198.18.0.0/15, so per-address sign-in limits see 50
people, not one. Redirects are not followed automatically: every request is timed and
checked on its own. A client stops at the first unexpected answer and reports how far it
got; the request log holds method, path pattern, status and time, never a form value.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import gevent
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from locust.exception import StopUser

from evidence.plan import form_fields, load_questionnaire, totp_code
from evidence.web import UUID, BehindTheProxy, JourneyFailed, Page, label
from evidence.web import location as redirect_target

PLAN: dict[str, Any] = (
    json.loads(Path(os.environ["EVIDENCE_PLAN"]).read_text(encoding="utf-8"))
    if os.environ.get("EVIDENCE_PLAN") else {"clients": [], "staff": []}
)
OUT = Path(os.environ.get("EVIDENCE_OUT", "."))
THINK = tuple(float(part) for part in os.environ.get("EVIDENCE_THINK", "1,3").split(","))
QUESTIONNAIRE = load_questionnaire()
_INTAKE_LINK = re.compile(r"/staff/intakes/" + UUID.pattern + "/")

_unclaimed_clients = iter(PLAN["clients"])
_unclaimed_staff = iter(PLAN["staff"])
_finished_clients = 0
_log: Any = None


def _location(response: Any) -> str:
    return redirect_target(response.headers)


@events.init.add_listener
def _open_log(environment: Environment, **_: Any) -> None:
    """The request log, opened once when Locust starts."""
    global _log
    OUT.mkdir(parents=True, exist_ok=True)
    _log = (OUT / "requests.csv").open("w", newline="", encoding="utf-8")
    csv.writer(_log).writerow(["start", "name", "status", "ms", "ok", "error"])


@events.request.add_listener
def _log_request(request_type: str, name: str, response_time: float, response_length: int,
                 response: Any = None, exception: Exception | None = None,
                 start_time: float = 0.0, **_: Any) -> None:
    """One line per request: start, name pattern, status, milliseconds, ok, error class."""
    status = getattr(response, "status_code", 0) or 0
    csv.writer(_log).writerow([f"{start_time:.3f}", name, status, f"{response_time:.2f}",
                               int(exception is None), type(exception).__name__
                               if exception else ""])


@events.quitting.add_listener
def _close_log(environment: Environment, **_: Any) -> None:
    if _log is not None:
        _log.close()


def _client_finished(environment: Environment, outcome: dict[str, Any]) -> None:
    """Record how far one client got; once every client is through, end the run."""
    global _finished_clients
    with (OUT / "outcomes.jsonl").open("a", encoding="utf-8") as file:
        file.write(json.dumps(outcome) + "\n")
    _finished_clients += 1
    if _finished_clients == len(PLAN["clients"]) and environment.runner is not None:
        gevent.spawn_later(1, environment.runner.quit)


class _Person(FastHttpUser):
    """What clients and staff share: timed, checked requests as a browser behind the
    proxy sends them, signing in, and pauses."""

    abstract = True
    wait_time = constant(0)
    think_factor = 1.0
    person: dict[str, Any]
    csrf = ""

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(BehindTheProxy())

    def think(self) -> None:
        gevent.sleep(random.uniform(*THINK) * self.think_factor)  # noqa: S311 - timing only

    def send(self, method: str, path: str, *, expect: tuple[int, ...],
             data: list[tuple[str, str]] | None = None,
             headers: dict[str, str] | None = None) -> Any:
        """One request; anything but an ``expect``ed status fails it and the journey."""
        netloc = urlsplit(str(self.host)).netloc
        sent = {"X-Forwarded-For": self.person["ip"], "X-Forwarded-Proto": "https",
                "Referer": f"https://{netloc}/", "User-Agent": "evidence-load/1",
                **(headers or {})}
        body = None
        if data is not None:
            body = urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.request(method, path, name=label(method, path), data=body,
                                 headers=sent, allow_redirects=False,
                                 catch_response=True) as response:
            status = response.status_code
            if status not in expect:
                response.failure(f"status {status}, expected {expect}")
            else:
                response.success()
        if status not in expect:
            raise JourneyFailed(f"{label(method, path)} answered {status}")
        if status == 200 and "text/html" in response.headers.get("Content-Type", ""):
            tokens = Page(response.text).values("csrfmiddlewaretoken")
            self.csrf = tokens[0] if tokens else self.csrf
        return response

    def follow(self, path: str) -> Any:
        """GET ``path`` and the redirects after it (at most five) to a page."""
        for _ in range(5):
            response = self.send("GET", path, expect=(200, 302))
            if response.status_code == 200:
                return response
            path = _location(response)
        raise JourneyFailed("too many redirects")

    def sign_in(self) -> str:
        """The allauth sign-in form: email and password. Returns where it redirects."""
        self.send("GET", "/accounts/login/", expect=(200,))
        self.think()
        response = self.send("POST", "/accounts/login/", expect=(302,), data=[
            ("csrfmiddlewaretoken", self.csrf), ("login", self.person["email"]),
            ("password", self.person["password"]),
        ])
        return _location(response)


class ClientUser(_Person):
    """One client, once: sign in, start the intake, fill every page (two autosaves, then
    the page's own post), review, submit, read the sent copy, sign out."""

    fixed_count = len(PLAN["clients"])

    @task
    def journey(self) -> None:
        self.person = next(_unclaimed_clients, {})
        if not self.person:
            raise StopUser
        outcome: dict[str, Any] = {"index": self.person["index"], "acknowledged": {},
                                   "submitted": False, "failed": "", "started": time.time()}
        try:
            self._journey(outcome)
        except JourneyFailed as failure:
            outcome["failed"] = str(failure)
        finally:
            outcome["finished"] = time.time()
            _client_finished(self.environment, outcome)
        raise StopUser

    def _journey(self, outcome: dict[str, Any]) -> None:
        self.follow(self.sign_in())
        self.think()
        self.send("GET", "/intake/", expect=(200,))
        self.think()
        location = _location(self.send("POST", "/intake/", expect=(302,),
                                       data=[("csrfmiddlewaretoken", self.csrf)]))
        while "/section/" in location:
            location = self._fill_page(location, outcome)
        if not location.endswith("/review/"):
            raise JourneyFailed("the last page did not lead to the review")
        review = Page(self.send("GET", location, expect=(200,)).text)
        self.think()
        sent = self.send("POST", location.replace("/review/", "/submit/"), expect=(302,),
                         data=[("csrfmiddlewaretoken", self.csrf),
                               ("revision", review.value("revision"))])
        outcome["submitted"] = True
        self.send("GET", _location(sent), expect=(200,))
        self.think()
        self.send("POST", "/accounts/logout/", expect=(302,),
                  data=[("csrfmiddlewaretoken", self.csrf)])

    def _fill_page(self, path: str, outcome: dict[str, Any]) -> str:
        """One intake page as autosave.js and the page's form send it; returns where the
        page's "Next" leads."""
        section_id = path.rstrip("/").rsplit("/", 1)[-1]
        page = Page(self.send("GET", path, expect=(200,)).text)
        revision = page.value("revision")
        listed = page.values("questions")
        common = [("csrfmiddlewaretoken", self.csrf), ("section", section_id),
                  *(("questions", name) for name in listed)]
        autosave = path.split("/section/")[0] + "/autosave/"
        for version in ("partial", "full"):
            self.think()
            source = self.person["partial" if version == "partial" else "answers"]
            reply = self.send("POST", autosave, expect=(200,), headers={
                "Accept": "application/json", "X-CSRFToken": self.csrf,
            }, data=[*common, ("revision", revision),
                     *form_fields(QUESTIONNAIRE, section_id, listed, source[section_id])])
            saved = reply.json()
            if saved.get("errors"):
                raise JourneyFailed(f"autosave refused {sorted(saved['errors'])} "
                                    f"on {section_id}")
            revision = str(saved["revision"])
            outcome["acknowledged"][section_id] = version
        self.think()
        response = self.send("POST", path, expect=(302,), data=[
            *common, ("revision", revision), ("action", "next"),
            *form_fields(QUESTIONNAIRE, section_id, listed,
                         self.person["answers"][section_id]),
        ])
        return _location(response)


class StaffUser(_Person):
    """A practice admin or clinician: signs in with a TOTP code once, then keeps opening
    the client list, the intake list and one of the intakes until the clients are done."""

    fixed_count = len(PLAN["staff"])
    think_factor = 2.0
    signed_in = False

    def on_start(self) -> None:
        super().on_start()
        self.person = next(_unclaimed_staff, {})
        if not self.person:
            raise StopUser
        try:
            challenge = self.sign_in()
            self.send("GET", challenge, expect=(200,))
            self.think()
            response = self.send("POST", challenge, expect=(302,), data=[
                ("csrfmiddlewaretoken", self.csrf),
                ("code", totp_code(self.person["totp_secret"])),
            ])
            self.follow(_location(response))
            self.signed_in = True
        except JourneyFailed:
            self.signed_in = False

    @task
    def browse(self) -> None:
        if not self.signed_in:
            raise StopUser
        try:
            self.send("GET", "/staff/clients/", expect=(200,))
            self.think()
            listing = Page(self.send("GET", "/staff/intakes/", expect=(200,)).text)
            intakes = [link for link in listing.links if _INTAKE_LINK.fullmatch(link)]
            if intakes:
                self.think()
                self.send("GET", random.choice(intakes), expect=(200,))  # noqa: S311
            self.think()
        except JourneyFailed:
            self.think()
