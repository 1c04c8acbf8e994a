"""Open redirects: every place a URL from the request could decide where a browser goes next
(``next`` on sign-in, sign-out, sign-up, re-authentication, the second factor and the
account pages; the invitation link; the slash-appending middleware; the staff MFA gate)
sends hostile targets back to our own host.

A redirect is ours when a browser would stay on the portal: after the trimming and the
backslash-for-slash reading browsers do, the Location has no scheme or http(s), and no host
or one of ``ALLOWED_HOSTS``. Django's ``test_security_check`` is the model: hostile URLs as
a table.
"""

from __future__ import annotations

import ast
import re
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from portal.models import PracticeSettings
from tests.factories import PASSWORD, totp_secret_of
from tests.helpers import current_totp_code, sign_in
from tests.hostile import World, build_world

pytestmark = pytest.mark.django_db

EVIL = (
    "https://evil.example",
    "https://evil.example/accounts/login/",
    "http://evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https:evil.example",
    "https:/evil.example",
    "http:\\\\evil.example",
    " //evil.example",
    "\t//evil.example",
    "\x00//evil.example",
    "https://testserver@evil.example",
    "https://testserver.evil.example",
    "https://evil.example\\@testserver",
    "//evil.example/%2F..",
    "javascript:alert(1)",
    "JavaScript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
)
# One of each kind, for the flows that check a password each time (Argon2 is slow on
# purpose); every flow reads ``next`` through the same check (allauth's ``is_safe_url``),
# which the cheap flows meet with the whole table.
SAMPLE = ("https://evil.example", "//evil.example", "/\\evil.example", "https:evil.example",
          " //evil.example", "https://testserver@evil.example", "javascript:alert(1)")
REDIRECTS = (HTTPStatus.MOVED_PERMANENTLY, HTTPStatus.FOUND, HTTPStatus.SEE_OTHER,
             HTTPStatus.TEMPORARY_REDIRECT, HTTPStatus.PERMANENT_REDIRECT)
OUR_HOSTS = frozenset({"", "testserver", *settings.ALLOWED_HOSTS})


def is_ours(location: str) -> bool:
    """Whether a browser following ``location`` stays on the portal. Browsers drop leading
    and trailing spaces and control characters and read ``\\`` as ``/`` in http(s) URLs,
    so "/\\\\evil.example" leaves: read it the way they do."""
    read = re.sub(r"^[\x00-\x20]+|[\x00-\x20]+$", "", location)
    read = re.sub(r"[\t\r\n]", "", read).replace("\\", "/")
    parts = urlsplit(read)
    if parts.scheme not in ("", "http", "https"):
        return False
    if parts.scheme and not read.lower().startswith(f"{parts.scheme}://"):
        return False  # "https:evil.example": browsers treat it as a host, not a path
    return parts.netloc.lower() in OUR_HOSTS and not read.startswith("//")


def test_the_check_tells_ours_from_theirs() -> None:
    for location in ("/", "/intake/", "/accounts/login/?next=/staff/", "http://testserver/x"):
        assert is_ours(location), location
    for location in (*EVIL, *SAMPLE):
        assert not is_ours(location), location


def _stays_home(response: Any, label: str) -> None:
    assert response.status_code in REDIRECTS, (label, response.status_code,
                                               response.content[:200])
    assert is_ours(response["Location"]), (label, response["Location"])


@pytest.fixture
def world() -> World:
    return build_world(signed_in=())


def test_signing_in_never_follows_a_hostile_next(world: World) -> None:
    for target in SAMPLE:
        cache.clear()  # failed and repeated sign-ins count towards the rate limits
        http = Client()
        page = http.get(reverse("account_login"), {"next": target})
        assert page.status_code == HTTPStatus.OK
        response = http.post(reverse("account_login"),
                             {"login": "client@example.com", "password": PASSWORD,
                              "next": target})
        _stays_home(response, f"login next={target!r}")
        assert http.session.get("_auth_user_id") == str(world.people["client"].pk)
        response = http.post(f"{reverse('account_login')}?next={quote(target)}",
                             {"login": "client@example.com", "password": PASSWORD})
        _stays_home(response, f"login ?next={target!r} when signed in")


def test_the_second_factor_never_follows_a_hostile_next(world: World) -> None:
    """Staff: password with a hostile next, then the code (where allauth resumes the
    sign-in and would honour a stored next)."""
    staff = world.people["clinician"]
    for target in SAMPLE[:4]:
        cache.clear()  # a TOTP code is refused the second time within its window
        http = Client()
        response = http.post(f"{reverse('account_login')}?next={quote(target)}",
                             {"login": staff.email, "password": PASSWORD, "next": target})
        _stays_home(response, f"staff password next={target!r}")
        response = http.post(reverse("mfa_authenticate"),
                             {"code": current_totp_code(totp_secret_of(staff)), "next": target})
        _stays_home(response, f"staff code next={target!r}")
        assert http.session.get("_auth_user_id") == str(staff.pk)


def test_signing_out_never_follows_a_hostile_next(world: World) -> None:
    for target in EVIL:
        http = Client()
        http.force_login(world.people["client"])
        response = http.post(f"{reverse('account_logout')}?next={quote(target)}",
                             {"next": target})
        _stays_home(response, f"logout next={target!r}")
        assert "_auth_user_id" not in http.session


def test_confirming_the_password_or_code_never_follows_a_hostile_next(world: World) -> None:
    client, clinician = Client(), Client()
    sign_in(client, world.people["client"])
    sign_in(clinician, world.people["clinician"])
    for target in SAMPLE:
        cache.clear()
        response = client.post(f"{reverse('account_reauthenticate')}?next={quote(target)}",
                               {"password": PASSWORD, "next": target})
        _stays_home(response, f"reauthenticate next={target!r}")
    for target in SAMPLE[:4]:
        cache.clear()
        response = clinician.post(f"{reverse('mfa_reauthenticate')}?next={quote(target)}",
                                  {"code": current_totp_code(totp_secret_of(
                                                      world.people["clinician"])),
                                   "next": target})
        _stays_home(response, f"mfa reauthenticate next={target!r}")


def test_the_staff_mfa_gate_only_sends_people_to_our_own_pages(world: World) -> None:
    """A staff session without its second factor is sent to confirm it, carrying the page
    asked for as ``next``: our path, whatever was in the URL."""
    http = Client()
    http.force_login(world.people["admin"])
    for target in EVIL:
        response = http.get(reverse("staff_home"), {"next": target})
        _stays_home(response, f"mfa gate next={target!r}")
        assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_signing_up_never_follows_a_hostile_next(world: World) -> None:
    practice = PracticeSettings.load()
    practice.self_signup_enabled = True
    practice.save()
    for number, target in enumerate(SAMPLE):
        cache.clear()
        http = Client()
        assert http.get(reverse("account_signup"), {"next": target}).status_code == 200
        response = http.post(f"{reverse('account_signup')}?next={quote(target)}", {
            "email": f"new.person{number}@example.com", "password1": PASSWORD,
            "password2": PASSWORD, "next": target,
        })
        _stays_home(response, f"signup next={target!r}")


def test_an_invitation_link_only_leads_to_our_sign_up(world: World) -> None:
    token = world.objects["token"]
    for target in EVIL:
        response = Client().get(reverse("invitation_accept", args=[token]), {"next": target})
        _stays_home(response, f"invitation next={target!r}")
        assert response["Location"] == reverse("account_signup")
    # Redeeming it (once: it is used afterwards) with a hostile next as well.
    http = Client()
    http.get(reverse("invitation_accept", args=[token]))
    response = http.post(f"{reverse('account_signup')}?next={quote(EVIL[0])}", {
        "email": "invitee@example.com", "password1": PASSWORD, "password2": PASSWORD,
        "next": EVIL[0],
    })
    _stays_home(response, "invited signup")


def test_the_account_pages_never_follow_a_hostile_next(world: World) -> None:
    http = Client()
    sign_in(http, world.people["client"])
    for target in SAMPLE:
        cache.clear()
        response = http.post(f"{reverse('account_change_password')}?next={quote(target)}", {
            "oldpassword": PASSWORD, "password1": PASSWORD, "password2": PASSWORD,
            "next": target,
        })
        _stays_home(response, f"change password next={target!r}")
        response = http.post(f"{reverse('account_email')}?next={quote(target)}", {
            "email": "client@example.com", "action_send": "", "next": target,
        })
        _stays_home(response, f"email next={target!r}")


def test_a_path_that_looks_like_another_host_is_never_redirected_off_site(
    world: World,
) -> None:
    """The slash-appending middleware and the sign-in gate see the raw path: one that
    starts with two slashes (or a backslash) must not become a Location to another host.
    The path goes in as the server would hand it over (``PATH_INFO``), so the test client
    does not read "//evil.example" as a host name itself."""
    signed_in = Client()
    signed_in.force_login(world.people["client"])
    for http in (Client(), signed_in):
        for path in ("//evil.example", "//evil.example/", "///evil.example",
                     "/\\evil.example", "/\\/evil.example", "//evil.example/staff",
                     "/staff//evil.example", "/.//evil.example", "//evil.example/%2E%2E",
                     "//evil.example/intake", "/\tevil.example"):
            response = http.get("/", PATH_INFO=path)
            if response.status_code in REDIRECTS:
                assert is_ours(response["Location"]), (path, response["Location"])
            else:
                assert response.status_code == HTTPStatus.NOT_FOUND, (path,
                                                                       response.status_code)


def test_the_reminder_form_builds_its_way_back_from_ids_only(world: World) -> None:
    """``consent_remind`` is the one view of ours that builds a redirect from posted values:
    the filters are refused unless they are a document id and a state code."""
    http = Client()
    sign_in(http, world.people["admin"])
    for target in EVIL:
        response = http.post(reverse("consent_remind"),
                             {"client": str(world.people["client"].pk), "document": target,
                              "state": target})
        _stays_home(response, f"remind document={target!r}")
        assert response["Location"] == reverse("consent_outstanding")


def test_the_language_buttons_never_follow_a_hostile_next(world: World) -> None:
    """``portal.i18n.views.choose_language`` sends the person back to the page the button
    was on: checked with ``url_has_allowed_host_and_scheme``, for a visitor and a client."""
    signed_in = Client()
    sign_in(signed_in, world.people["client"])
    for http in (Client(), signed_in):
        for target in EVIL:
            response = http.post(reverse("choose_language"),
                                 {"language": "es", "next": target})
            _stays_home(response, f"language next={target!r}")
        back = http.post(reverse("choose_language"), {"language": "en", "next": "/intake/"})
        assert back["Location"] == "/intake/"


# The views that check a URL taken from the request, each with its hostile cases above.
CHECKED_REDIRECTS = ("portal/i18n/views.py",)


def test_no_view_of_ours_redirects_to_a_url_taken_straight_from_the_request() -> None:
    """A tripwire for new code: no ``redirect(...)`` or ``HttpResponseRedirect(...)`` in the
    apps is given anything read from ``request`` directly (GET, POST, headers). A view that
    needs to must check it with ``url_has_allowed_host_and_scheme`` and be tested here."""
    root = Path(settings.BASE_DIR)
    offenders = []
    for app in ("portal", "intake", "consents"):
        for source in (root / app).rglob("*.py"):
            if "migrations" in source.parts:
                continue
            tree = ast.parse(source.read_text(), filename=str(source))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in ("redirect", "HttpResponseRedirect",
                                "HttpResponsePermanentRedirect"):
                    continue
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    if any(isinstance(n, ast.Name) and n.id == "request"
                           for n in ast.walk(arg)):
                        offenders.append(f"{source.relative_to(root)}:{node.lineno}")
    assert offenders == []
    assert "url_has_allowed_host_and_scheme" not in "".join(
        p.read_text() for app in ("portal", "intake", "consents")
        for p in (root / app).rglob("*.py")
        if str(p.relative_to(root)) not in CHECKED_REDIRECTS
    ), "A view now checks a URL from the request itself: add its hostile cases here."
