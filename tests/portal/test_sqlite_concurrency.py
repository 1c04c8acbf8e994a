"""The embedded default holds under concurrent use: on a SQLite file, several clients
saving from two tabs each at once (autosaves and page posts, against gunicorn with several
processes and threads, as a person trying the portal might run it) never get a server
error, in particular never "database is locked"; every save the portal acknowledged is in
the database afterwards, and the audit trail's chain is intact.

Before WAL, IMMEDIATE transactions and a busy timeout (portal/settings.py), two
transactions that read and then write failed at once on the file lock (a 503 here).
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.subprocesses import fixed_key_environ, gunicorn, run_manage, run_python

CLIENTS = 4
SAVES_PER_TAB = 8
# Each tab writes its own questions, so the last value it saw acknowledged for each must be
# the one stored. Tab 0 autosaves and posts the first page, tab 1 the relationships page.
TABS = (("about_you", ("preferred_name", "pronouns", "address")),
        ("relationships", ("family_growing_up", "friends_support", "who_helps")))
CSRF_TOKEN = "c" * 32

SET_UP = """
import django, json
django.setup()
from django.test import Client
from consents.defaults import install_default_documents
from consents.selectors import blocking_before_intake
from consents.services import consent_sign, current_version
from intake.services import intake_start
from portal.roles import Role
from tests.factories import UserFactory, fill_practice_settings
fill_practice_settings()
install_default_documents(publish=True)
people = []
for n in range({clients}):
    user = UserFactory(role=Role.CLIENT, email=f"tab.person{{n}}@example.com")
    for status in blocking_before_intake(user):
        version = current_version(status.document)
        consent_sign(client=user, version_id=version.pk, expected_sha256=version.sha256,
                     typed_name="Robin Example", agreed=True)
    browser = Client()
    browser.force_login(user)
    people.append({{"intake": str(intake_start(client=user).pk),
                    "session": browser.cookies["sessionid"].value}})
print(json.dumps(people))
"""

READ_BACK = """
import django, json
django.setup()
from intake.models import Intake
print(json.dumps({{str(i.pk): i.answers for i in Intake.objects.filter(pk__in={ids})}}))
"""

REVISION = re.compile(r'name="revision" value="(\d+)"')


class Tab:
    """One browser tab of one client: posts with the client's cookies, and keeps the
    revision the portal last gave it (re-reading it from its page after a 409)."""

    def __init__(self, base: str, person: dict[str, str], number: int) -> None:
        self.base, self.intake, self.number = base, person["intake"], number
        self.cookies = f"sessionid={person['session']}; csrftoken={CSRF_TOKEN}"
        self.revision = 0
        self.acknowledged: dict[str, str] = {}
        self.problems: list[str] = []

    def _request(self, path: str, data: dict[str, Any] | None = None) -> tuple[int, bytes]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 - a local test server
            f"{self.base}{path}", data=body,
            headers={"Cookie": self.cookies, "X-CSRFToken": CSRF_TOKEN,
                     "Accept": "application/json" if "autosave" in path else "text/html"},
        )
        opener = urllib.request.build_opener(_NoRedirects)
        try:
            with opener.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def _refresh_revision(self) -> None:
        section = TABS[self.number][0]
        status, page = self._request(f"/intake/{self.intake}/section/{section}/")
        found = REVISION.search(page.decode()) if status == 200 else None
        if found is None:
            self.problems.append(f"page: {status}")
            return
        self.revision = int(found.group(1))

    def save(self, step: int) -> None:
        section, questions = TABS[self.number]
        values = {question: f"tab {self.number} save {step} {question}"
                  for question in questions}
        autosave = step % 2 == 0
        for _attempt in range(20):
            data = {"section": section, "revision": str(self.revision),
                    "questions": list(questions), "action": "later", **values}
            if autosave:
                status, body = self._request(f"/intake/{self.intake}/autosave/", data)
            else:
                status, body = self._request(f"/intake/{self.intake}/section/{section}/", data)
            if status >= 500:
                self.problems.append(f"{'autosave' if autosave else 'page'}: {status}")
                return
            if status == 409:  # the other tab saved first: read the revision, try again
                self._refresh_revision()
                continue
            if autosave and status == 200:
                self.revision = json.loads(body)["revision"]
                self.acknowledged.update(values)
                return
            if not autosave and status == 302:
                self.acknowledged.update(values)
                self._refresh_revision()
                return
            self.problems.append(f"{'autosave' if autosave else 'page'}: {status}")
            return
        self.problems.append("never got a turn")

    def run(self) -> None:
        try:
            self._refresh_revision()
            for step in range(SAVES_PER_TAB):
                self.save(step)
        except Exception as error:  # reported by the test, not lost in a thread
            self.problems.append(f"{type(error).__name__}: {error}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_tabs_saving_at_once_on_sqlite_never_fail_and_nothing_acknowledged_is_lost(
    tmp_path: Path,
) -> None:
    environ = fixed_key_environ(DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}")
    migrated = run_manage(["migrate", "--noinput"], environ)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    made = run_python(SET_UP.format(clients=CLIENTS), environ)
    assert made.returncode == 0, made.stderr[-2000:]
    people = json.loads(made.stdout.strip().splitlines()[-1])

    log = tmp_path / "gunicorn.log"
    with gunicorn(environ, workers=3, threads=4, log=log) as base:
        tabs = [Tab(base, person, number) for person in people for number in range(2)]
        threads = [threading.Thread(target=tab.run) for tab in tabs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    server_output = log.read_text()
    assert "database is locked" not in server_output
    problems = [f"tab {tab.number} of {tab.intake}: {p}" for tab in tabs for p in tab.problems]
    assert not problems, "\n".join(problems)

    ids = [person["intake"] for person in people]
    read = run_python(READ_BACK.format(ids=ids), environ)
    assert read.returncode == 0, read.stderr[-2000:]
    stored = json.loads(read.stdout.strip().splitlines()[-1])
    for tab in tabs:
        assert len(tab.acknowledged) == len(TABS[tab.number][1])
        for question, value in tab.acknowledged.items():
            assert stored[tab.intake].get(question) == value, (tab.intake, question)
    verified = run_manage(["verify_audit_log"], environ)
    assert verified.returncode == 0, verified.stdout[-2000:] + verified.stderr[-2000:]
