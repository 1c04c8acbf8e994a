"""A simulated client for the fault drills: the intake journey of the load run (sign in,
start, two autosaves and the page's own post on every page, review, submit), done by a
person who does not give up when the portal is briefly away.

Unlike the Locust users it runs in a thread of the runner (``requests``, one session each)
and, when the portal answers 503 or not at all, keeps what it was sending and tries the same
request again, as ``autosave.js`` and a patient person do. A save whose answer was lost may
nonetheless have been applied; when the retry is then refused as stale (409), the visitor
reloads the page for the current revision and sends its answers once more. The visitor
remembers which version of each page the portal acknowledged, and which one it had sent
without an answer (``in_flight``): after the outage the database must hold exactly one of
the two, never a mixture. Nothing here logs a form value.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from evidence.plan import form_fields, load_questionnaire
from evidence.web import JourneyFailed, Page, label, location

QUESTIONNAIRE = load_questionnaire()
UNAVAILABLE = 503
TOO_MANY = 429


@dataclass
class Seen:
    """Every answer visitors got, by request name and status, with the 503 pages' text
    checked for the calm message and ``Retry-After``."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    calm_pages: int = 0
    uncalm_503: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, response: requests.Response | None) -> None:
        status = response.status_code if response is not None else 0
        with self.lock:
            self.statuses[(name, status)] += 1
            if response is not None and status == UNAVAILABLE:
                calm = ("can't reach its records just now" in response.text.replace("&#x27;",
                                                                                    "'")
                        and response.headers.get("Retry-After") == "60")
                self.calm_pages += calm
                self.uncalm_503 += not calm

    def count(self, status: int) -> int:
        return sum(count for (_, code), count in self.statuses.items() if code == status)


class Visitor:
    """One client of the plan doing their intake against ``base`` (gunicorn's address)."""

    def __init__(self, base: str, person: dict[str, Any], seen: Seen, *,
                 gate: threading.Event, pause: float = 1.0, host: str = "") -> None:
        """``host``: the ``Host`` the load balancer passes on (default: ``base``'s)."""
        self.base, self.person, self.seen, self.gate, self.pause = base, person, seen, gate, \
            pause
        self.host = host or base.split("//", 1)[1]
        self.session = requests.Session()
        self.csrf = ""
        self.acknowledged: dict[str, str] = {}
        self.in_flight: dict[str, Any] | None = None
        self.submitted = False
        self.failed = ""
        self.retries = 0
        self.paused_for_limit = 0
        self.parked = False

    # --- requests -------------------------------------------------------------------

    def _once(self, method: str, path: str, data: list[tuple[str, str]] | None,
              headers: dict[str, str]) -> requests.Response | None:
        sent = {"Host": self.host, "X-Forwarded-For": self.person["ip"],
                "X-Forwarded-Proto": "https", "Referer": f"https://{self.host}/",
                "User-Agent": "evidence-faults/1", **headers}
        try:
            response = self.session.request(method, self.base + path, data=data,
                                            headers=sent, allow_redirects=False, timeout=30)
        except requests.RequestException:
            response = None
        # The TLS proxy passes the browser's Secure cookies on over plain HTTP; requests
        # (which builds a fresh cookie jar per request, so no cookie policy reaches it)
        # only does so when they are not marked Secure in the jar.
        for cookie in self.session.cookies:
            cookie.secure = False
        self.seen.add(label(method, path), response)
        return response

    def send(self, method: str, path: str, *, expect: tuple[int, ...],
             data: list[tuple[str, str]] | None = None,
             headers: dict[str, str] | None = None,
             on_stale: Callable[[], list[tuple[str, str]]] | None = None) -> requests.Response:
        """One request, sent again (after a pause, and only while the gate is open) for as
        long as the portal answers 503 or nothing. A 409 after such a retry calls
        ``on_stale`` for a fresh form and sends that. Any other unexpected status fails the
        journey."""
        retried = False
        while True:
            if not self.gate.is_set():
                self.parked = True
                self.gate.wait()
                self.parked = False
            response = self._once(method, path, data, headers or {})
            status = response.status_code if response is not None else 0
            if response is None or status == UNAVAILABLE:
                retried = True
                self.retries += 1
                time.sleep(1.0)
                continue
            if status == TOO_MANY and "retry_after" in response.text:
                # The autosave limit (a person never meets it): wait as autosave.js does.
                self.paused_for_limit += 1
                time.sleep(min(float(response.json()["retry_after"]), 60.0))
                continue
            if status == 409 and retried and on_stale is not None:
                data, retried = on_stale(), False
                continue
            if status not in expect:
                raise JourneyFailed(f"{label(method, path)} answered {status}")
            if status == 200 and "text/html" in response.headers.get("Content-Type", ""):
                tokens = Page(response.text).values("csrfmiddlewaretoken")
                self.csrf = tokens[0] if tokens else self.csrf
            return response

    def _follow(self, path: str) -> requests.Response:
        for _ in range(5):
            response = self.send("GET", path, expect=(200, 302))
            if response.status_code == 200:
                return response
            path = location(response.headers)
        raise JourneyFailed("too many redirects")

    # --- the journey ----------------------------------------------------------------

    def run(self) -> None:
        """The whole journey; a failure is kept in ``failed`` (no form value in it)."""
        try:
            self._journey()
        except JourneyFailed as failure:
            self.failed = str(failure)

    def _journey(self) -> None:
        self.send("GET", "/accounts/login/", expect=(200,))
        signed_in = self.send("POST", "/accounts/login/", expect=(302,), data=[
            ("csrfmiddlewaretoken", self.csrf), ("login", self.person["email"]),
            ("password", self.person["password"])])
        self._follow(location(signed_in.headers))
        self.send("GET", "/intake/", expect=(200,))
        where = location(self.send("POST", "/intake/", expect=(302,),
                                   data=[("csrfmiddlewaretoken", self.csrf)]).headers)
        while "/section/" in where:
            where = self._fill_page(where)
        if not where.endswith("/review/"):
            raise JourneyFailed("the last page did not lead to the review")
        review_path = where

        def review_form() -> list[tuple[str, str]]:
            review = Page(self.send("GET", review_path, expect=(200,)).text)
            return [("csrfmiddlewaretoken", self.csrf), ("revision", review.value("revision"))]

        self.in_flight = {"submit": True}
        sent = self.send("POST", review_path.replace("/review/", "/submit/"), expect=(302,),
                         data=review_form(), on_stale=review_form)
        self.submitted, self.in_flight = True, None
        self.send("GET", location(sent.headers), expect=(200,))

    def _fill_page(self, path: str) -> str:
        """Two autosaves and the page's post, each retried through an outage; returns
        where "Next" leads."""
        section_id = path.rstrip("/").rsplit("/", 1)[-1]
        autosave = path.split("/section/")[0] + "/autosave/"
        revision, listed = self._open(path)

        def fields(version: str) -> list[tuple[str, str]]:
            source = self.person["partial" if version == "partial" else "answers"]
            return [("csrfmiddlewaretoken", self.csrf), ("section", section_id),
                    *(("questions", name) for name in listed),
                    *form_fields(QUESTIONNAIRE, section_id, listed, source[section_id])]

        for version in ("partial", "full"):
            time.sleep(self.pause)

            def fresh(version: str = version) -> list[tuple[str, str]]:
                return [("revision", self._open(path)[0]), *fields(version)]

            self.in_flight = {"section": section_id, "version": version}
            reply = self.send("POST", autosave, expect=(200,), data=[
                ("revision", revision), *fields(version)], headers={
                "Accept": "application/json", "X-CSRFToken": self.csrf}, on_stale=fresh)
            saved = reply.json()
            if saved.get("errors"):
                raise JourneyFailed(f"autosave refused {sorted(saved['errors'])}")
            revision = str(saved["revision"])
            self.acknowledged[section_id], self.in_flight = version, None
        time.sleep(self.pause)

        def fresh_full() -> list[tuple[str, str]]:
            return [("revision", self._open(path)[0]), ("action", "next"), *fields("full")]

        self.in_flight = {"section": section_id, "version": "full"}
        response = self.send("POST", path, expect=(302,), data=[
            ("revision", revision), ("action", "next"), *fields("full")], on_stale=fresh_full)
        self.acknowledged[section_id], self.in_flight = "full", None
        return location(response.headers)

    def _open(self, path: str) -> tuple[str, list[str]]:
        """GET a page: (its revision, the questions it lists)."""
        page = Page(self.send("GET", path, expect=(200,)).text)
        return page.value("revision"), page.values("questions")

    def snapshot(self) -> dict[str, Any]:
        """What this visitor knows the portal holds (as ``evidence.tasks`` reads it)."""
        return {"index": self.person["index"], "acknowledged": dict(self.acknowledged),
                "in_flight": self.in_flight, "submitted": self.submitted,
                "failed": self.failed}
