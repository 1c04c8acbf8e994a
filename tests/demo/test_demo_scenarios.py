"""The demo practice shows the product: after ``seed_demo``, every staff page has something
on it, seen through real HTTP as the demo account the printed table names, and a second run
changes nothing."""

from __future__ import annotations

import re
from datetime import date
from io import StringIO

import pytest
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from consents.models import (
    ConsentDocument,
    ConsentSignature,
    ConsentVersion,
    DocumentKind,
    ReleaseAuthorization,
)
from intake.models import Intake, SafetyAlert, SafetyAlertAcknowledgement
from measures.models import MeasureResponse, ReviewFlag
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import CareAssignment, ClientProfile, Invitation, User
from tests.factories import remember_totp_secret
from tests.helpers import sign_in

PASSWORD = "Demo-password-for-tests-1"
DOMAIN = "demo.example.org"


@pytest.fixture
def demo(db: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo practice, seeded once; its printed table."""
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _as(browser: Client, name: str) -> Client:
    """Sign in as a demo account through the real pages: the demo password, then (for an
    account with two-step sign-in) a code from the secret the seed printed."""
    user = User.objects.get(email=f"{name}@{DOMAIN}")
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is not None:
        remember_totp_secret(user, get_mfa_adapter().decrypt(totp.data["secret"]))
    sign_in(browser, user, PASSWORD)
    return browser


def _intake_of(name: str) -> Intake:
    return Intake.objects.get(client__email=f"{name}@{DOMAIN}")


def _page(browser: Client, url: str) -> str:
    response = browser.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_printed_table_says_what_each_demo_account_shows(demo: str) -> None:
    lines = {line.split()[0]: line for line in demo.splitlines() if f"@{DOMAIN}" in line}
    assert "safety alert, not yet acknowledged" in lines[f"client.alert@{DOMAIN}"]
    assert "moderate scores" in lines[f"client.moderate@{DOMAIN}"]
    assert "withdrew" in lines[f"client.withdrew@{DOMAIN}"]
    assert "must sign again" in lines[f"client.outdated@{DOMAIN}"]
    assert "has not joined yet" in lines[f"invited.client@{DOMAIN}"]
    assert PASSWORD in demo and "TOTP secret" in demo


def test_clinicians_see_their_caseload_alert_first_and_no_one_elses(
    demo: str, client: Client
) -> None:
    rivera = _as(client, "clinician.rivera")
    home = _page(rivera, reverse("staff_home"))
    assert "1 intake needs prompt review" in home
    assert reverse("staff_intake_detail", args=[_intake_of("client.alert").pk]) in home
    assert f"client.acknowledged@{DOMAIN}" not in home  # acknowledged: no longer waiting

    listing = _page(rivera, reverse("staff_intake_list"))
    order = [listing.index(f"client.{name}@{DOMAIN}")
             for name in ("alert", "acknowledged", "moderate", "mfa")]
    assert order[0] == min(order) and order[-1] == max(order)  # alert first, draft last
    assert "Acknowledged by Dr. Sam Rivera" in listing
    assert "Reviewed by Dr. Sam Rivera" in listing
    assert "(page 2 of 7)" in listing
    assert f"client.withdrew@{DOMAIN}" not in listing  # Jordan Chen's client

    moderate = _page(rivera, reverse("staff_intake_detail",
                                     args=[_intake_of("client.moderate").pk]))
    assert "12 out of 27" in moderate and "11 out of 21" in moderate
    assert "<td>Moderate</td>" in moderate
    assert "Needs prompt review" not in moderate
    acknowledged = _page(rivera, reverse("staff_intake_detail",
                                         args=[_intake_of("client.acknowledged").pk]))
    assert "Safety alert reviewed" in acknowledged and "Safety plan agreed" in acknowledged
    assert "Intake opened" in _page(rivera, reverse("audit_log"))

    # Jordan Chen's caseload is the other two: Dr. Rivera's clients are a 404 to him.
    chen = _as(Client(), "clinician.chen")
    clients = _page(chen, reverse("client_list"))
    assert f"client.withdrew@{DOMAIN}" in clients and f"client.outdated@{DOMAIN}" in clients
    assert f"client.alert@{DOMAIN}" not in clients
    assert "No intake is waiting for a safety review." in _page(chen, reverse("staff_home"))
    for name in ("client.moderate", "client.alert"):
        intake = _intake_of(name)
        assert chen.get(reverse("staff_intake_detail", args=[intake.pk])).status_code == 404
        assert chen.get(reverse("client_profile", args=[intake.client_id])).status_code == 404


def test_admin_pages_show_every_story(demo: str, client: Client) -> None:
    admin = _as(client, "admin")
    assert "1 invitation is waiting for a client." in _page(admin, reverse("staff_home"))
    listing = _page(admin, reverse("client_list"))
    for name in ("ready", "mfa", "unverified", "moderate", "alert", "acknowledged",
                 "withdrew", "outdated"):
        assert f"client.{name}@{DOMAIN}" in listing
    moderate = User.objects.get(email=f"client.moderate@{DOMAIN}")
    record = _page(admin, reverse("client_profile", args=[moderate.pk]))
    assert "Priya Natarajan" in record and "Dr. Sam Rivera" in record
    assert "Authorization to release information: Signed" in record

    dashboard = _page(admin, reverse("consent_dashboard"))
    fees = ConsentDocument.objects.get(kind=DocumentKind.FEES)
    telehealth = ConsentDocument.objects.get(kind=DocumentKind.TELEHEALTH)
    fees_row = dashboard.split(f'id="doc-{fees.pk}"')[1].split("</tr>")[0]
    telehealth_row = dashboard.split(f'id="doc-{telehealth.pk}"')[1].split("</tr>")[0]
    assert "Version 2<" in fees_row
    withdrawn_cell = re.findall(r"<td>(.*?)</td>", telehealth_row, re.S)[1]
    # Every client record counts: the eleven clients and the six people of the two cases.
    assert "count-withdrawn" in withdrawn_cell and "1 of 17" in withdrawn_cell

    renew = _page(admin, reverse("consent_outstanding") + "?state=resign")
    assert f"client.outdated@{DOMAIN}" in renew
    assert f"client.moderate@{DOMAIN}" not in renew  # signed the fees after the change

    withdrew = User.objects.get(email=f"client.withdrew@{DOMAIN}")
    timeline = _page(admin, reverse("consent_client_timeline", args=[withdrew.pk]))
    assert "I would rather come to the office for my sessions." in timeline
    authorization = _page(admin, reverse("consent_client_timeline", args=[moderate.pk]))
    assert "Authorization to release information" in authorization

    trail = _page(admin, reverse("audit_log"))
    for label in ("Intake opened", "Client profile opened", "Consent record opened",
                  "Consent withdrawn", "Consent document published"):
        assert label in trail, label


def test_clients_see_their_own_story(demo: str, client: Client) -> None:
    moderate = _as(client, "client.moderate")
    opened = _page(moderate, reverse("record_access"))
    assert "Dr. Sam Rivera (Clinician) opened your intake" in opened
    assert "Maple Street Family Medicine" in _page(moderate, reverse("consent_list"))
    untouched = _page(_as(Client(), "client.alert"), reverse("record_access"))
    assert "No one at the practice has opened your record yet." in untouched
    outdated = " ".join(_page(_as(Client(), "client.outdated"), reverse("client_home")).split())
    assert "Fees and cancellation policy</a> — updated, please sign the new version" in outdated


def _counts() -> dict[str, int]:
    models = (User, ClientProfile, CareAssignment, Invitation, Intake, MeasureResponse,
              ReviewFlag,
              SafetyAlert, SafetyAlertAcknowledgement, ConsentVersion, ConsentSignature,
              ReleaseAuthorization, AuditEvent, Authenticator)
    return {model.__name__: model.objects.count() for model in models}


def test_seeding_twice_changes_nothing_and_keeps_the_chain_intact(
    demo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == before
    # Seven individual intakes, the couple's two and the teenager's.
    assert before["Intake"] == 10 and before["ReleaseAuthorization"] == 1
    # The two histories: PHQ-9 and GAD-7 at intake and at each check-in (12 and 11), and
    # the worsening client's two series flagged once each.
    assert before["ReviewFlag"] == 2
    assert AuditEvent.objects.filter(action=Action.INTAKE_VIEWED).count() == 3
    call_command("verify_audit_log", stdout=StringIO())  # raises on a broken chain


def test_scores_over_time_tell_an_improving_and_a_worsening_story(demo: str,
                                                                  client: Client) -> None:
    rivera = _as(client, "clinician.rivera")
    caseload = _page(rivera, reverse("measures_caseload"))
    worsening = caseload.index(f"client.worsening@{DOMAIN}")
    assert worsening < caseload.index(f"client.improving@{DOMAIN}")  # flagged first
    assert "Worsened: review" in caseload

    improving = User.objects.get(email=f"client.improving@{DOMAIN}")
    trend = _page(rivera, reverse("measures_staff_trend", args=[improving.pk]))
    phq9 = trend.split('id="trend-phq9-heading"')[1].split("</section>")[0]
    assert phq9.count('class="trend-point') == 13  # the intake and twelve check-ins
    assert "Response:" in phq9 and "Remission:" in phq9
    first, last = re.findall(r'<time datetime="([0-9-]+)', phq9.split("<table")[1])[::12]
    assert (date.fromisoformat(last) - date.fromisoformat(first)).days >= 150

    own = _page(_as(Client(), "client.improving"), reverse("measures_progress"))
    assert "Your latest score is 4 out of 27" in own
