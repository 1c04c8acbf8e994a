"""Sign-ins refused by the failed-attempts limit are recorded (``auth.login_rate_limited``):
password guessing stays visible in the audit trail once the limit starts refusing it, with
the account named by id only, and the chain still verifies."""

from __future__ import annotations

from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import User
from tests.factories import PASSWORD
from tests.helpers import raw_audit_rows_containing, sign_in

pytestmark = pytest.mark.django_db

USER_AGENT = "RateLimitAudit/1.0 (pytest)"
LIMITED = b"Too many failed login attempts"
# settings.ACCOUNT_RATE_LIMITS: "login_failed" allows 5 failures per address in 5 minutes
# and 10 per network address a minute; "login" lets one network address post 30 a minute.
PER_ADDRESS, PER_NETWORK, LOGIN_POSTS_PER_MINUTE = 5, 10, 30
WRONG_PASSWORD = "Wrong-password-123"


def _browser(ip: str = "127.0.0.1") -> Client:
    return Client(HTTP_USER_AGENT=USER_AGENT, REMOTE_ADDR=ip)


def _try(browser: Client, login: str, password: str = WRONG_PASSWORD) -> bytes:
    response = browser.post(reverse("account_login"), {"login": login, "password": password})
    assert response.status_code == HTTPStatus.OK, response.status_code
    return response.content


def _events(action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action.value))


def _verify_audit_log() -> str:
    out = StringIO()
    call_command("verify_audit_log", stdout=out)  # raises CommandError when broken
    return out.getvalue()


def test_sixth_wrong_password_is_refused_and_recorded_once_against_the_account(
    client_user: User,
) -> None:
    browser = _browser()
    pages = [_try(browser, client_user.email, f"Wrong-{n}-password") for n in range(6)]
    assert not any(LIMITED in page for page in pages[:PER_ADDRESS])
    assert LIMITED in pages[PER_ADDRESS]

    assert len(_events(Action.AUTH_LOGIN_FAILED)) == PER_ADDRESS  # the refused one: not checked
    [event] = _events(Action.AUTH_LOGIN_RATE_LIMITED)
    assert event.actor_id is None and event.actor_role == "anonymous"
    assert (event.object_type, event.object_id) == ("portal.user", str(client_user.pk))
    assert event.subject_id == client_user.pk  # a client's own security event
    assert event.detail == {"account_exists": True, "limits": ["key"]}
    assert event.ip_address == "127.0.0.1" and event.user_agent == USER_AGENT
    # Neither the address typed nor any part of it, in any column of any event.
    assert raw_audit_rows_containing("client@example") == []
    assert raw_audit_rows_containing("example.com") == []
    assert "intact" in _verify_audit_log()


def test_every_refused_attempt_is_recorded_even_with_the_right_password(
    client_user: User,
) -> None:
    for n in range(PER_ADDRESS):
        _try(_browser(), client_user.email, f"Wrong-{n}-password")
    # Three more tries from other browsers, the last with the right password: all refused
    # unchecked (so the limit gives nothing away), and each one leaves a trace.
    for password in ("Wrong-again-1", "Wrong-again-2", PASSWORD):
        assert LIMITED in _try(_browser(), client_user.email, password)
    assert len(_events(Action.AUTH_LOGIN_RATE_LIMITED)) == 3
    assert not _events(Action.AUTH_LOGIN)


def test_rate_limited_unknown_address_names_no_account() -> None:
    browser = _browser()
    for _ in range(PER_ADDRESS):
        _try(browser, "nobody.here@example.com")
    assert LIMITED in _try(browser, "nobody.here@example.com")

    [event] = _events(Action.AUTH_LOGIN_RATE_LIMITED)
    assert event.actor_role == "anonymous" and event.subject_id is None
    assert (event.object_type, event.object_id) == ("", "")
    assert event.detail == {"account_exists": False, "limits": ["key"]}
    assert raw_audit_rows_containing("nobody") == []
    assert "intact" in _verify_audit_log()


def test_one_network_trying_many_addresses_is_refused_by_the_network_limit(
    client_user: User,
) -> None:
    # Password spraying: one attempt at each of many addresses, from one network address.
    browser = _browser("203.0.113.7")
    for n in range(PER_NETWORK):
        assert LIMITED not in _try(browser, f"person{n}@example.com")
    assert LIMITED in _try(browser, client_user.email)

    [event] = _events(Action.AUTH_LOGIN_RATE_LIMITED)
    assert event.detail == {"account_exists": True, "limits": ["ip"]}
    assert event.object_id == str(client_user.pk)
    assert event.ip_address == "203.0.113.7"
    # Another network can still sign in to the account: the limit was the network's.
    sign_in(_browser("198.51.100.2"), client_user)


def test_a_flood_from_one_network_is_cut_off_before_it_can_fill_the_trail(
    client_user: User,
) -> None:
    browser = _browser("203.0.113.9")
    statuses = [
        browser.post(reverse("account_login"),
                     {"login": client_user.email, "password": f"Flood-{n}"}).status_code
        for n in range(LOGIN_POSTS_PER_MINUTE + 10)
    ]
    # Every post answered (never a server error); past the login view's own limit the
    # view refuses before any password logic, so nothing more is written.
    assert set(statuses) == {HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS}
    assert statuses.count(HTTPStatus.OK) == LOGIN_POSTS_PER_MINUTE
    failed = _events(Action.AUTH_LOGIN_FAILED)
    limited = _events(Action.AUTH_LOGIN_RATE_LIMITED)
    assert len(failed) == PER_ADDRESS
    assert len(limited) == LOGIN_POSTS_PER_MINUTE - PER_ADDRESS  # one per refused attempt
    assert "intact" in _verify_audit_log()


def test_a_refused_attempt_costs_the_same_few_queries_however_long_the_attack(
    client_user: User,
) -> None:
    def queries_for_one_refusal(ip: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert LIMITED in _try(_browser(ip), client_user.email)
        return len(queries)

    # Five failures, then refusals, each from a different network address.
    for n in range(PER_ADDRESS):
        _try(_browser(f"192.0.2.{n}"), client_user.email)
    first = queries_for_one_refusal("192.0.2.100")
    for n in range(20):
        _try(_browser(f"198.51.100.{n}"), client_user.email)
    # An account lookup, one append to the chain and the page: no scan of earlier events.
    assert queries_for_one_refusal("192.0.2.200") == first <= 10


def test_refused_reauthentication_is_recorded_against_the_signed_in_user(
    client_user: User,
) -> None:
    # Someone at an unlocked, signed-in session guessing the password that guards
    # sensitive changes: re-authentication counts failures against the account's address.
    browser = _browser()
    sign_in(browser, client_user)
    url = reverse("account_reauthenticate")
    pages = [browser.post(url, {"password": f"Guess-{n}-password"}) for n in range(6)]
    assert all(page.status_code == HTTPStatus.OK for page in pages)
    assert LIMITED in pages[PER_ADDRESS].content

    failed = _events(Action.AUTH_LOGIN_FAILED)
    assert len(failed) == PER_ADDRESS
    [event] = _events(Action.AUTH_LOGIN_RATE_LIMITED)
    assert event.actor_id == client_user.pk and event.actor_role == "client"
    assert event.object_id == str(client_user.pk)
    assert event.detail == {"account_exists": True, "limits": ["key"]}
    assert raw_audit_rows_containing("client@example") == []
    assert "intact" in _verify_audit_log()
