"""Browser journeys: a real Chromium (Debian's, never a downloaded one) against the live server.

Every test gets fresh browser contexts (no shared cookies or storage) from one browser
process per session. Nothing leaves the machine: any request for a host other than the live
server (the quick-exit site, say) is answered locally. When a test fails, a full-page
screenshot of each of its pages lands in ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from allauth.mfa import app_settings as mfa_settings
from django.contrib.auth.signals import user_logged_out
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Route, sync_playwright
from pytest_django.live_server_helper import LiveServer

from portal.models import User
from tests.factories import PASSWORD, totp_secret_of
from tests.helpers import current_totp_code

# Playwright's sync API keeps an asyncio event loop running in this thread, so Django would
# refuse every ORM call the tests make (SynchronousOnlyOperation) although none of them is
# actually made from async code. This is Django's documented escape hatch for that case.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# Generous for a loaded CI machine, short enough that a hang fails the test quickly.
ACTION_TIMEOUT_MS = 10_000
TOTP_MARGIN_SECONDS = 4
NEUTRAL_PAGE = "<html><head><title>Weather</title></head><body><h1>Weather</h1></body></html>"

Device = Literal["phone", "desktop"]
_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Keep each phase's report on the item so fixtures can tell, at teardown, whether the
    # test itself failed (and so whether a screenshot is worth taking).
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def _test_failed(item: pytest.Item) -> bool:
    return any(report.failed for report in item.stash.get(_reports, {}).values())


# --- The browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium. Missing: a skip on a workstation, a failure in CI (where a skipped
    journey would look like a passing one)."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "Chromium not installed: CI must install chromium (apt-get install chromium) "
                "so the browser journeys run.",
                pytrace=False,
            )
        pytest.skip("Chromium not installed: apt-get install chromium to run the browser journeys")
    return path


@pytest.fixture(scope="session")
def _one_database_connection_for_the_test_thread() -> Iterator[None]:
    """Keep Django on the test thread's own database connection while Playwright runs.

    Playwright's sync API marks its event loop as running in this thread between calls.
    Django then keeps database connections per asyncio context instead of per thread, and
    the test thread's context does not stay put across Playwright calls: the test ended up
    on fresh connections, not the one pytest-django set up (so no serialized rollback data,
    and a second SQLite connection beside the live server's, which locks tables). Pointing
    the per-context storage at the per-thread one restores plain thread-local behaviour,
    for this thread only (the live server's threads never have a loop).
    """
    # Private to Django (asgiref's Local behind the handler), so not in django-stubs.
    local = connections._connections  # type: ignore[attr-defined]
    storage = getattr(local, "_storage", None)
    if not isinstance(storage, threading.local):
        pytest.fail(
            "Django's connection storage changed shape (asgiref upgrade?): update "
            "_one_database_connection_for_the_test_thread in tests/browser/conftest.py.",
            pytrace=False,
        )
    storage.cvar = storage
    yield
    del storage.cvar


@pytest.fixture(scope="session")
def browser(
    chromium_path: str, _one_database_connection_for_the_test_thread: None
) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


# --- The live server ----------------------------------------------------------------------


class ServerActivity:
    """Knows when the live server is busy, so the test can keep out of its way.

    With SQLite, the live server's threads and the test share one in-memory database
    connection, and Django warns that queries from both at once fail at random. Browsers
    also keep talking after a test has moved on (the quick exit's sign-out beacon follows
    its redirect even after the page is gone). So the test touches the database only when
    the server has been quiet for a moment, and waits for that before the database is
    emptied between tests. (Chromium sends the beacon's redirected request only when the
    browser context closes, so that wait counts from the closing.)
    """

    QUIET_SECONDS = 0.5

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._in_flight = 0
        self._last_start = 0.0
        self._sign_outs = 0

    def watch(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        """Wrap the server's WSGI application to count requests in flight. Counting here,
        rather than with Django's request signals, also counts requests that fail."""

        def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            with self._changed:
                self._in_flight += 1
                self._last_start = time.monotonic()
            try:
                return _OnClose(app(environ, start_response), self._request_done)
            except BaseException:
                self._request_done()
                raise

        return counted

    def _request_done(self) -> None:
        with self._changed:
            self._in_flight -= 1
            self._changed.notify_all()

    def signed_out(self, **kwargs: object) -> None:
        with self._changed:
            self._sign_outs += 1
            self._changed.notify_all()

    @property
    def sign_outs(self) -> int:
        with self._changed:
            return self._sign_outs

    def wait_until_quiet(self, timeout: float = 5.0, *, since: float | None = None) -> bool:
        """True once no request is in flight and none has started for a moment (counted
        from ``since``, a ``time.monotonic()`` value, if that is later)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                now = time.monotonic()
                quiet_for = now - max(self._last_start, since or 0.0)
                if self._in_flight == 0 and quiet_for >= self.QUIET_SECONDS:
                    return True
                if now >= deadline:
                    return False
                wait = self.QUIET_SECONDS - quiet_for if self._in_flight == 0 else deadline - now
                self._changed.wait(min(max(wait, 0.01), deadline - now))

    def wait_for_sign_out(self, *, after: int, timeout: float = 5.0) -> bool:
        """True once more than ``after`` sign-outs have happened and the server is quiet
        again (so the session row is gone and the redirect that followed is served)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._sign_outs > after, timeout):
                return False
        return self.wait_until_quiet(timeout)


class _OnClose:
    """A WSGI response that calls ``callback`` once the server has closed it."""

    def __init__(self, response: Iterable[bytes], callback: Callable[[], None]) -> None:
        self._response = response
        self._callback = callback

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._response)

    def close(self) -> None:
        try:
            close = getattr(self._response, "close", None)
            if close is not None:
                close()
        finally:
            self._callback()


@pytest.fixture(scope="session")
def live_server(django_db_setup: None, live_server: LiveServer) -> LiveServer:
    """pytest-django's live server, started only once the test database exists.

    Started earlier (as happens when the browser tests run alone), it would not see the
    in-memory test database and would open a second SQLite connection of its own, which
    locks tables under the test's feet.
    """
    return live_server


@pytest.fixture(scope="session")
def server_activity(live_server: LiveServer) -> Iterator[ServerActivity]:
    activity = ServerActivity()
    httpd = live_server.thread.httpd
    original_app = httpd.get_app()
    assert original_app is not None, "the live server runs Django's WSGI application"
    httpd.set_app(activity.watch(original_app))
    user_logged_out.connect(activity.signed_out, weak=False, dispatch_uid="browser-sign-outs")
    yield activity
    user_logged_out.disconnect(dispatch_uid="browser-sign-outs")
    httpd.set_app(original_app)


@pytest.fixture
def portal_url(
    live_server: LiveServer,
    django_db_serialized_rollback: None,
) -> str:
    """The live server's address.

    The live server needs a transactional database, which is emptied after each test;
    serialized rollback puts back what migrations created (the role groups) before the next
    test, so browser tests can run in any order and leave the database as they found it.
    """
    return live_server.url


# --- Pages --------------------------------------------------------------------------------


@pytest.fixture
def open_page(
    browser: Browser,
    portal_url: str,
    server_activity: ServerActivity,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context: ``open_page("phone")`` or
    ``open_page("desktop")``. ``fake_clock=True`` installs Playwright's clock (time still
    flows) so a test can fast-forward the page's timers."""
    contexts: list[BrowserContext] = []

    def keep_off_the_network(route: Route) -> None:
        route.fulfill(status=200, body=NEUTRAL_PAGE, content_type="text/html")

    def is_foreign(url: str) -> bool:
        return not url.startswith(portal_url)

    def _open(device: Device, *, fake_clock: bool = False) -> Page:
        options = PHONE if device == "phone" else DESKTOP
        context = browser.new_context(base_url=portal_url, **options)
        contexts.append(context)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.route(is_foreign, keep_off_the_network)
        if fake_clock:
            context.clock.install()
        return context.new_page()

    yield _open

    if _test_failed(request.node):
        _save_screenshots(request.node, contexts)
    for context in contexts:
        context.close()
    # Closing a context releases requests the browser was still holding; let the server
    # finish them before the database is emptied under them.
    server_activity.wait_until_quiet(since=time.monotonic())


def _save_screenshots(item: pytest.Item, contexts: list[BrowserContext]) -> None:
    artifacts = Path(item.config.rootpath) / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", item.name)
    pages = [page for context in contexts for page in context.pages]
    for number, page in enumerate(pages, start=1):
        suffix = "" if number == 1 else f"-{number}"
        try:
            page.screenshot(path=artifacts / f"{name}{suffix}.png", full_page=True)
        except Exception as error:  # a crashed page must not hide the test's own failure
            print(f"Could not save a screenshot of {page.url}: {error}")


@pytest.fixture
def phone_page(open_page: Callable[..., Page]) -> Page:
    return open_page("phone")


@pytest.fixture
def desktop_page(open_page: Callable[..., Page]) -> Page:
    return open_page("desktop")


# --- Doing things as a person would -----------------------------------------------------


def field(page: Page, name: str) -> Locator:
    """A text field by the name a screen reader announces: the visible label, without the
    "(required)" marker crispy-forms fields carry (templates/bootstrap5/field.html). The
    marker is aria-hidden, so it is not part of the accessible name, but Playwright's
    ``get_by_label`` matches the label's whole text and would include it."""
    return page.get_by_role("textbox", name=name, exact=True)


def sign_in(page: Page, user: User, *, password: str = PASSWORD) -> None:
    """Sign in through allauth's pages; enter the authenticator code too when the account
    has one. Leaves the page wherever the portal sends the person next."""
    page.goto("/accounts/login/")
    submit_password(page, user.email, password)
    if totp_secret_of(user):
        submit_totp_code(page, fresh_totp_code(totp_secret_of(user)))


def submit_password(page: Page, email: str, password: str) -> None:
    field(page, "Email").fill(email)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def fresh_totp_code(secret: str) -> str:
    """The code an authenticator app shows now, with time left to type it in.

    allauth accepts only the current 30-second window (no tolerance), so a code read in the
    last moments of its window would be stale by the time the server checks it. Waiting
    for the next window is what a person would do too.
    """
    period = mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < TOTP_MARGIN_SECONDS:
        time.sleep(left + 0.1)
    return current_totp_code(secret)


def submit_totp_code(page: Page, code: str) -> None:
    field(page, "Code").fill(code)
    page.get_by_role("button", name=re.compile(r"^\s*sign in\s*$", re.IGNORECASE)).click()
