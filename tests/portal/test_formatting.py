"""One date and time format, in the practice's time zone, wherever a person reads it.

The same known moment, 13:05 UTC on 2 December 2026, must read "2 Dec 2026, 14:05" on the
pages, in the PDFs and in the emails of a practice in Berlin (UTC+1 in winter): not the
server's UTC, not the default New York zone, not a second style. And no template may format
a date by hand any more, so a new page cannot forget."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from consents.defaults import install_default_documents
from consents.exports.pdf import signature_lines
from consents.models import ConsentDocument, DocumentKind
from consents.services import consent_sign
from intake.exports.pdf import intake_blocks
from intake.models import Intake
from portal.formatting import format_clock, format_day, format_iso, format_when
from portal.log_format import UTCFormatter
from portal.models import Invitation, User
from portal.services.invitations import invitation_send
from tests.factories import fill_practice_settings
from tests.helpers import delivered_mail, mail_body, published_version, sign_in
from tests.intake_data import submitted_intake

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 12, 2, 13, 5, tzinfo=UTC)
WHEN = "2 Dec 2026, 14:05"  # in Berlin
ISO = "2026-12-02T14:05:00+01:00"
TEMPLATES_DIR = Path(django_settings.BASE_DIR) / "templates"
HAND_FORMATTING = re.compile(r"\|\s*(date|time|naturaltime|naturalday|timesince|timeuntil)\b")


@pytest.fixture(autouse=True)
def _practice_in_berlin(settings: Settings) -> None:
    settings.TIME_ZONE = "Europe/Berlin"


def _flat(html: str) -> str:
    return re.sub(r"\s+", " ", html)


# --- The formatter itself -----------------------------------------------------------------


@pytest.mark.parametrize(("formatter", "value", "expected"), [
    (format_when, MOMENT, WHEN),
    (format_day, MOMENT, "2 Dec 2026"),
    (format_clock, MOMENT, "14:05"),
    (format_iso, MOMENT, ISO),
    # Late evening UTC is already the next day in Berlin: the day is the practice's.
    (format_day, datetime(2026, 12, 2, 23, 30, tzinfo=UTC), "3 Dec 2026"),
    # A date alone (a date of birth) is shown as it is, never shifted by a zone.
    (format_day, date(1990, 4, 21), "21 Apr 1990"),
    (format_iso, date(1990, 4, 21), "1990-04-21"),
    # Summer time is the zone's too.
    (format_when, datetime(2026, 7, 1, 8, 0, tzinfo=UTC), "1 Jul 2026, 10:00"),
    (format_when, None, ""),
])
def test_the_formatter_reads_in_the_practice_zone(
    formatter: Callable[[object], str], value: object, expected: str
) -> None:
    assert formatter(value) == expected


def test_the_template_filters_are_built_in_and_say_the_same() -> None:
    template = Template("{{ m|when }}|{{ m|day }}|{{ m|clock }}|{{ m|iso }}|{{ m|zone }}"
                        "|{{ nothing|when }}")
    assert template.render(Context({"m": MOMENT})) == f"{WHEN}|2 Dec 2026|14:05|{ISO}|CET|"


# --- The same moment on pages, PDFs and emails --------------------------------------------


def _submitted_at_moment(client: User) -> Intake:
    intake = submitted_intake(client)
    Intake.objects.filter(pk=intake.pk).update(submitted_at=MOMENT)
    intake.refresh_from_db()
    return intake


def test_the_staff_intake_page_says_it(client: Client, admin_user: User,
                                       client_user: User) -> None:
    intake = _submitted_at_moment(client_user)
    sign_in(client, admin_user)
    html = _flat(client.get(reverse("staff_intake_detail", args=[intake.pk])).content.decode())
    assert f'<time datetime="{ISO}">{WHEN}</time>' in html


def test_the_staff_intake_list_says_its_day(client: Client, admin_user: User,
                                            client_user: User) -> None:
    _submitted_at_moment(client_user)
    sign_in(client, admin_user)
    html = _flat(client.get(reverse("staff_intake_list")).content.decode())
    assert f'datetime="{ISO}">2 Dec 2026</time>' in html


def test_the_clients_own_copy_says_it(client: Client, client_user: User) -> None:
    intake = _submitted_at_moment(client_user)
    sign_in(client, client_user)
    html = _flat(client.get(reverse("intake_submitted", args=[intake.pk])).content.decode())
    assert f'You sent these answers on <time datetime="{ISO}">{WHEN}</time>' in html


def test_the_intake_pdf_says_it(client_user: User) -> None:
    intake = _submitted_at_moment(client_user)
    texts = [block.text for block in intake_blocks(intake, "Calm Practice")]
    assert f"Submitted on {WHEN}" in texts


def test_the_consent_pdf_says_it_and_the_exact_utc_time(client_user: User) -> None:
    fill_practice_settings()
    install_default_documents(publish=True)
    version = published_version(ConsentDocument.objects.get(kind=DocumentKind.TREATMENT))
    signature = consent_sign(client=client_user, version_id=version.pk,
                             expected_sha256=version.sha256, typed_name="Robin Example",
                             agreed=True)
    signature.signed_at = MOMENT  # in memory only: the stored evidence is not touched
    texts = [line.text for line in signature_lines(signature, "Calm Practice")]
    assert f"{WHEN} CET (2026-12-02 13:05:00 UTC)" in texts


def test_the_invitation_email_says_it(admin_user: User, monkeypatch: pytest.MonkeyPatch,
                                      settings: Settings,
                                      django_capture_on_commit_callbacks:
                                      DjangoCaptureOnCommitCallbacks) -> None:
    settings.INVITATION_VALID_DAYS = 7
    sent_at = MOMENT - timedelta(days=7)
    monkeypatch.setattr(timezone, "now", lambda: sent_at)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_send(email="new.person@example.com", invited_by=admin_user)
    assert invitation.expires_at == MOMENT
    (message,) = delivered_mail()
    assert f"expires on {WHEN} (CET)" in _flat(mail_body(message))


def test_the_invitation_list_says_it(client: Client, admin_user: User) -> None:
    sign_in(client, admin_user)
    invitation_send(email="new.person@example.com", invited_by=admin_user)
    Invitation.objects.update(created_at=MOMENT, last_sent_at=MOMENT)
    html = _flat(client.get(reverse("invitation_list")).content.decode())
    assert f'<time class="text-nowrap" datetime="{ISO}">2 Dec 2026</time>' in html
    assert (f'<time datetime="{ISO}"><span class="text-nowrap">2 Dec 2026,</span> '
            f'<span class="cell-detail">14:05</span></time>') in html


# --- Nothing formats a date by hand -------------------------------------------------------


def test_no_template_formats_a_date_by_hand() -> None:
    """Every template goes through the when / day / clock / zone / iso filters."""
    offenders = []
    for path in sorted(TEMPLATES_DIR.rglob("*")):
        relative = path.relative_to(TEMPLATES_DIR).as_posix()
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if HAND_FORMATTING.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_log_lines_say_utc() -> None:
    record = logging.LogRecord("portal", logging.INFO, __file__, 1, "hello", None, None)
    record.created = MOMENT.timestamp()
    record.msecs = 0
    formatter = UTCFormatter("%(asctime)s %(message)s")
    assert formatter.format(record) == "2026-12-02T13:05:00.000Z hello"
    formatters = django_settings.LOGGING["formatters"]
    assert isinstance(formatters, dict)
    assert formatters["plain"]["()"] == "portal.log_format.UTCFormatter"
