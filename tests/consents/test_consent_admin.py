"""The practice admin's consent pages: who has signed what, chasing what is missing with a
content-free reminder, exporting the register, and writing and publishing new versions."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from consents.models import ConsentDocument, ConsentSignature, ConsentVersion, Requirement
from consents.register import build_register
from consents.services import consent_sign, consent_statuses, consent_withdraw, version_publish
from portal.audit.actions import Action
from portal.audit.models import AuditEvent
from portal.models import PracticeSettings, User
from portal.roles import Role
from tests.factories import UserFactory
from tests.helpers import body_bytes, delivered_mail, reauthenticate, sign_in

pytestmark = pytest.mark.django_db

DASHBOARD_URL = reverse("consent_dashboard")
OUTSTANDING_URL = reverse("consent_outstanding")
REMIND_URL = reverse("consent_remind")
CSV_URL = reverse("consent_register_csv")


# Documents, versions and people ---------------------------------------------------------------


@pytest.fixture
def treatment() -> ConsentDocument:
    return ConsentDocument.objects.create(kind="treatment", title="Consent to therapy",
                                          requirement=Requirement.BEFORE_INTAKE, position=1)


@pytest.fixture
def communication() -> ConsentDocument:
    return ConsentDocument.objects.create(kind="communication", title="Contact",
                                          requirement=Requirement.OPTIONAL, position=2)


def _publish(document: ConsentDocument, body: str, material: bool = False) -> ConsentVersion:
    draft = ConsentVersion.objects.create(document=document, summary="In short.", body=body,
                                          material_change=material)
    return version_publish(version=draft, actor=None)


def _sign(client: User, version: ConsentVersion) -> ConsentSignature:
    return consent_sign(client=client, version_id=version.pk, expected_sha256=version.sha256,
                        typed_name="Robin Example", agreed=True)


def _client(name: str) -> User:
    return UserFactory(role=Role.CLIENT, email=f"{name}@example.com")


@pytest.fixture
def population(treatment: ConsentDocument, communication: ConsentDocument) -> dict[str, User]:
    """Six clients of the treatment consent: v1, then v2 (a material change), then v3 (a
    clearer wording, not material). The optional "communication" document is published and
    signed by no one."""
    people = {name: _client(name) for name in (
        "signed", "withdrew", "never", "material", "nonmaterial", "inactive")}
    _sign(people["material"], _publish(treatment, "We work together.\n"))
    _sign(people["nonmaterial"], _publish(treatment, "We work together; fees.\n",
                                          material=True))
    third = _publish(treatment, "We work together; clearer fees.\n")
    for name in ("signed", "withdrew", "inactive"):
        _sign(people[name], third)
    consent_withdraw(client=people["withdrew"],
                     signature_id=ConsentSignature.objects.get(client=people["withdrew"]).pk)
    people["inactive"].is_active = False
    people["inactive"].save(update_fields=["is_active"])
    _publish(communication, "Email is fine.\n")
    return people


def _signed_in_again(http: Client) -> Client:
    reauthenticate(http)
    return http


# Dashboard ----------------------------------------------------------------------------------


def test_the_dashboard_counts_active_clients_by_state(
    as_admin: Client, population: dict[str, User], treatment: ConsentDocument
) -> None:
    response = as_admin.get(DASHBOARD_URL)
    assert response.status_code == HTTPStatus.OK
    summaries = {row[0].document.kind: row[0] for row in response.context["rows"]}
    therapy = summaries["treatment"]
    # Signed v3, or v2 with only a non-material change since; never signed, or signed
    # before the material v2; withdrew. The inactive account is not counted.
    assert (therapy.current.number, therapy.clients) == (3, 5)
    assert (therapy.signed, therapy.outstanding, therapy.withdrawn) == (2, 2, 1)
    html = response.content.decode()
    assert 'class="count-bar count-signed" value="2" max="5"' in html
    assert "style=" not in html
    assert f"{OUTSTANDING_URL}?document={treatment.pk}" in html


def test_an_optional_document_nobody_signed_is_not_counted_as_to_sign(
    as_admin: Client, population: dict[str, User], communication: ConsentDocument
) -> None:
    response = as_admin.get(DASHBOARD_URL)
    summaries = {row[0].document.kind: row[0] for row in response.context["rows"]}
    contact = summaries["communication"]
    assert (contact.signed, contact.outstanding, contact.not_signed) == (0, 0, 5)
    (row,) = (row for row in re.split(r"<tr[ >]", response.content.decode())
              if f">{communication.title}</th>" in row)
    assert "5 of 5</span> not signed (optional)" in row
    assert "to sign" not in row
    # Nobody is chased for it either.
    assert f"{OUTSTANDING_URL}?document={communication.pk}" not in row


def test_the_register_follows_the_same_rule_as_each_clients_own_status(
    population: dict[str, User],
) -> None:
    register = build_register()
    for name, person in population.items():
        if not person.is_active:
            assert person.pk not in register.emails
            continue
        theirs = {entry.document.kind: entry.state for entry in register.for_client(person.pk)}
        assert theirs == {s.document.kind: s.state for s in consent_statuses(person)}, name


def _clients_with_signatures(document: ConsentDocument, version: ConsentVersion,
                             count: int) -> None:
    for _ in range(count):
        client = UserFactory(role=Role.CLIENT)
        signature = _sign(client, version)
        if client.pk.int % 3 == 0:
            consent_withdraw(client=client, signature_id=signature.pk)


def test_the_dashboard_needs_the_same_number_of_queries_for_10_or_40_clients(
    as_admin: Client, treatment: ConsentDocument, communication: ConsentDocument,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    version = _publish(treatment, "Text.\n")
    _publish(communication, "Text.\n")
    # Two more than before couples and families: the consents signed for people by several
    # signers, and people's places in cases (``consents.audience``); still one each.
    bound = 17
    _clients_with_signatures(treatment, version, 10)
    with django_assert_max_num_queries(bound):
        assert as_admin.get(DASHBOARD_URL).status_code == HTTPStatus.OK
    _clients_with_signatures(treatment, _publish(treatment, "More.\n", material=True), 30)
    with django_assert_max_num_queries(bound):
        response = as_admin.get(DASHBOARD_URL)
    assert response.context["clients"] == 40


# Outstanding list ---------------------------------------------------------------------------


def _listed(http: Client, **filters: str) -> set[str]:
    response = http.get(OUTSTANDING_URL, filters)
    assert response.status_code == HTTPStatus.OK
    return {row.email.split("@")[0] for row in response.context["page"].object_list}


def test_the_outstanding_list_filters_by_document_and_state(
    as_admin: Client, population: dict[str, User], communication: ConsentDocument
) -> None:
    # Required documents only by default: never signed, or again after a material change.
    assert _listed(as_admin) == {"never", "material"}
    assert _listed(as_admin, state="resign") == {"material"}
    assert _listed(as_admin, state="withdrawn") == {"withdrew"}
    assert _listed(as_admin, document=str(communication.pk)) == {
        "signed", "withdrew", "never", "material", "nonmaterial"}
    # Invalid filters narrow nothing and say why.
    response = as_admin.get(OUTSTANDING_URL, {"state": "signed"})
    assert response.context["form"].errors
    html = as_admin.get(OUTSTANDING_URL).content.decode()
    timeline = reverse("consent_client_timeline", args=[population["never"].pk])
    assert f'href="{timeline}"' in html
    assert f'name="only" value="{population["never"].pk}"' in html


# Reminders ------------------------------------------------------------------------------------


def test_reminders_go_only_to_chosen_clients_with_something_to_sign(
    as_admin: Client, population: dict[str, User], admin_user: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    PracticeSettings.objects.update_or_create(pk=1, defaults={"name": "Harbour Therapy"})
    chosen = [str(population[name].pk) for name in population]
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(REMIND_URL, {"client": chosen})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == OUTSTANDING_URL
    assert sorted(m.to[0] for m in delivered_mail()) == ["material@example.com",
                                                    "never@example.com"]
    for message in delivered_mail():
        assert message.body.strip() == (
            "Hello,\n\nPlease sign in to the portal: there are documents waiting for you."
            "\n\nHarbour Therapy")
        assert "therapy" not in message.subject.lower().replace("harbour therapy", "")
    events = AuditEvent.objects.filter(action=Action.CONSENT_REMINDED)
    assert sorted(str(e.subject_id) for e in events) == sorted(
        [str(population["never"].pk), str(population["material"].pk)])
    assert all(e.actor_id == admin_user.pk and e.detail == {} for e in events)
    followed = as_admin.get(OUTSTANDING_URL)
    assert "Reminder sent to 2 clients." in followed.content.decode()


def test_a_rows_own_button_reminds_that_client_alone(
    as_admin: Client, population: dict[str, User],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        as_admin.post(REMIND_URL, {"client": [str(population["material"].pk)],
                                   "only": str(population["never"].pk),
                                   "state": "resign"})
    assert [m.to for m in delivered_mail()] == [["never@example.com"]]
    assert AuditEvent.objects.filter(action=Action.CONSENT_REMINDED).count() == 1


def test_no_reminder_for_a_client_who_signed_or_withdrew(
    as_admin: Client, population: dict[str, User],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        as_admin.post(REMIND_URL, {"client": [str(population[name].pk) for name in (
            "signed", "nonmaterial", "withdrew", "inactive")] + ["not-an-id"]})
    assert delivered_mail() == []
    assert not AuditEvent.objects.filter(action=Action.CONSENT_REMINDED).exists()


def test_a_client_is_reminded_at_most_once_a_day_however_often_the_admin_clicks(
    as_admin: Client, population: dict[str, User],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    never = population["never"]
    with django_capture_on_commit_callbacks(execute=True):
        as_admin.post(REMIND_URL, {"only": str(never.pk)})
        again = as_admin.post(REMIND_URL, {"client": [str(never.pk),
                                                      str(population["material"].pk)]},
                              follow=True)
    page = again.content.decode()
    assert "Reminder sent to 1 client." in page
    assert "1 had a reminder less than a day ago and was not reminded again." in page
    assert sorted(m.to[0] for m in delivered_mail()) == ["material@example.com",
                                                    "never@example.com"]
    # The list shows when each was last reminded, so nobody has to guess.
    before = as_admin.get(f"{OUTSTANDING_URL}?state=withdrawn").content.decode()
    assert "<td>Never</td>" in before  # the client who withdrew was never reminded
    listing = as_admin.get(OUTSTANDING_URL).content.decode()
    assert "Last reminded" in listing and "<td>Never</td>" not in listing

    # Once the interval has passed (shortened here: audit events cannot be backdated), the
    # same client can be reminded again.
    monkeypatch.setattr("consents.register.REMINDER_INTERVAL", timedelta(0))
    with django_capture_on_commit_callbacks(execute=True):
        as_admin.post(REMIND_URL, {"only": str(never.pk)})
    assert [m.to[0] for m in delivered_mail()].count("never@example.com") == 2


# Timeline -------------------------------------------------------------------------------------


def test_the_timeline_shows_a_clients_consent_events_oldest_first(
    as_admin: Client, population: dict[str, User], treatment: ConsentDocument,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = population["material"]
    with django_capture_on_commit_callbacks(execute=True):
        as_admin.post(REMIND_URL, {"only": str(client.pk)})
    current = treatment.versions.latest("number")
    signature = _sign(client, current)
    consent_withdraw(client=client, signature_id=signature.pk)
    response = as_admin.get(reverse("consent_client_timeline", args=[client.pk]))
    entries = response.context["entries"]
    assert [(e.what, e.version) for e in entries] == [
        ("Signed", 1), ("Consent reminder sent", None), ("Signed again", 3), ("Withdrew", 3)]
    assert entries[1].by == "Pat Admin"
    assert signature.reference in response.content.decode()
    assert "Robin Example" not in response.content.decode()


def test_the_timeline_is_for_clients_only(as_admin: Client, admin_user: User) -> None:
    for target in (admin_user.pk, "00000000-0000-0000-0000-000000000000"):
        response = as_admin.get(reverse("consent_client_timeline", args=[target]))
        assert response.status_code == HTTPStatus.NOT_FOUND


# Register export ------------------------------------------------------------------------------


def test_the_register_export_asks_for_the_password_again_first(
    as_admin: Client, population: dict[str, User]
) -> None:
    response = as_admin.get(CSV_URL)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not AuditEvent.objects.filter(action=Action.CONSENT_EXPORTED).exists()


def test_the_register_export_lists_every_active_client_and_document(
    as_admin: Client, population: dict[str, User], admin_user: User
) -> None:
    hostile = _client("=HYPERLINK(1)")
    response = _signed_in_again(as_admin).get(CSV_URL)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body_bytes(response).decode())))
    assert len(rows) == 6 * 2  # five active clients and the hostile one, two documents
    by_client = {(row["client_email"], row["document_kind"]): row for row in rows}
    signed = by_client[("signed@example.com", "treatment")]
    signature = ConsentSignature.objects.get(client=population["signed"])
    assert (signed["state"], signed["version_number"], signed["signature_reference"],
            signed["sha256"], signed["withdrawn_at"]) == (
        "signed", "3", signature.reference, signature.sha256, "")
    withdrew = by_client[("withdrew@example.com", "treatment")]
    assert withdrew["state"] == "withdrawn" and withdrew["withdrawn_at"]
    assert by_client[("material@example.com", "treatment")]["version_number"] == "1"
    never = by_client[("never@example.com", "treatment")]
    assert (never["state"], never["signed_at"], never["version_number"]) == (
        "outstanding", "", "")
    assert ("'=HYPERLINK(1)@example.com", "treatment") in by_client
    assert str(hostile.pk) in {row["client_id"] for row in rows}
    assert "inactive@example.com" not in {row["client_email"] for row in rows}
    (event,) = AuditEvent.objects.filter(action=Action.CONSENT_EXPORTED)
    assert (event.actor_id, event.detail, event.subject_id) == (admin_user.pk,
                                                                {"format": "csv"}, None)


# Versions ---------------------------------------------------------------------------------------


def test_a_new_version_is_drafted_previewed_with_its_changes_and_published(
    as_admin: Client, treatment: ConsentDocument, admin_user: User
) -> None:
    first = _publish(treatment, "# Our work\n\nWe meet weekly.\nFees are due.\n")
    new_url = reverse("consent_version_new", args=[treatment.pk])
    form = as_admin.get(new_url).context["form"]
    assert form.initial["body"] == first.body
    response = as_admin.post(new_url, {
        "summary": "In short.", "body": "# Our work\n\nWe meet weekly.\nFees are <b>due</b>.\n",
        "effective_date": "2030-01-01", "change_note": "Fees", "material_change": "on",
    })
    draft = ConsentVersion.objects.get(document=treatment, status="draft")
    assert response["Location"] == reverse("consent_version_preview", args=[draft.pk])
    edit_url = reverse("consent_version_edit", args=[draft.pk])
    as_admin.post(edit_url, {
        "summary": "In short.", "body": "# Our work\n\nWe meet weekly.\nFees <b>rise</b>.\n",
        "effective_date": "2030-01-01", "change_note": "Fees", "material_change": "on",
    })
    draft.refresh_from_db()
    assert "rise" in draft.body and draft.material_change and draft.number is None

    html = as_admin.get(response["Location"]).content.decode()
    assert "<p>We meet weekly.\nFees <b>rise</b>.</p>" not in html
    assert "We meet weekly." in html  # rendered as the client will read it
    assert "<b>rise</b>" not in html  # raw HTML never reaches the page
    # Line by line, and within a replaced line the words that changed stand out.
    # The compared text is marked with its language, so it is read out in it.
    assert 'diff-removed"><span class="visually-hidden">Removed: </span><span lang="en">' \
           '-Fees <del class="diff-word">are due.</del></span></span>' in html
    assert 'diff-added"><span class="visually-hidden">Added: </span><span lang="en">' \
           '+Fees <ins class="diff-word">&lt;b&gt;rise&lt;/b&gt;.</ins></span></span>' in html

    publish_url = reverse("consent_version_publish", args=[draft.pk])
    assert as_admin.post(publish_url)["Location"].startswith(reverse("account_reauthenticate"))
    draft.refresh_from_db()
    assert not draft.is_published
    _signed_in_again(as_admin)
    assert "Publish this draft?" in as_admin.get(publish_url).content.decode()
    assert as_admin.post(publish_url)["Location"] == DASHBOARD_URL
    draft.refresh_from_db()
    assert (draft.is_published, draft.number, draft.published_by_id) == (
        True, 2, admin_user.pk)
    assert AuditEvent.objects.filter(action=Action.DOCUMENT_PUBLISHED,
                                     actor_id=admin_user.pk).count() == 1


def test_a_published_version_cannot_be_edited(
    as_admin: Client, treatment: ConsentDocument
) -> None:
    version = _publish(treatment, "Fixed words.\n")
    edit_url = reverse("consent_version_edit", args=[version.pk])
    response = as_admin.post(edit_url, {"summary": "x", "body": "Quietly different.",
                                        "effective_date": "2030-01-01"})
    assert response["Location"] == reverse("consent_version_preview", args=[version.pk])
    assert ConsentVersion.objects.get(pk=version.pk).body == "Fixed words.\n"
    assert "never changes" in as_admin.get(response["Location"]).content.decode()


# Access ---------------------------------------------------------------------------------------


def test_clinicians_and_clients_get_404_on_every_admin_consent_page(
    population: dict[str, User], treatment: ConsentDocument, clinician_user: User,
    client_user: User,
) -> None:
    version = treatment.versions.latest("number")
    draft = ConsentVersion.objects.create(document=treatment, summary="s", body="b")
    pages = [
        ("get", DASHBOARD_URL), ("get", OUTSTANDING_URL), ("post", REMIND_URL),
        ("get", CSV_URL),
        ("get", reverse("consent_client_timeline", args=[population["never"].pk])),
        ("get", reverse("consent_version_new", args=[treatment.pk])),
        ("get", reverse("consent_version_edit", args=[draft.pk])),
        ("get", reverse("consent_version_preview", args=[version.pk])),
        ("post", reverse("consent_version_publish", args=[draft.pk])),
    ]
    for user in (clinician_user, client_user):
        http = Client()
        sign_in(http, user)
        for method, url in pages:
            assert getattr(http, method)(url).status_code == HTTPStatus.NOT_FOUND, (user, url)
    draft.refresh_from_db()
    assert not draft.is_published


# When a document is needed -------------------------------------------------------------------


def test_the_admin_decides_when_a_document_is_needed_and_the_intake_gate_follows(
    as_admin: Client, communication: ConsentDocument, client_user: User
) -> None:
    version = _publish(communication, "We may email you.\n")
    url = reverse("consent_document_requirement", args=[communication.id])
    assert url in as_admin.get(DASHBOARD_URL).content.decode()
    page = as_admin.get(url).content.decode()
    assert 'value="optional" checked' in page

    as_client = Client()
    sign_in(as_client, client_user)
    assert as_client.get(reverse("intake_home")).status_code == HTTPStatus.OK

    response = as_admin.post(url, {"requirement": "before_intake"})
    assert response["Location"] == DASHBOARD_URL
    communication.refresh_from_db()
    assert communication.requirement == Requirement.BEFORE_INTAKE
    assert as_client.get(reverse("intake_home"))["Location"] == reverse("consent_list")
    event = AuditEvent.objects.get(action=Action.DOCUMENT_REQUIREMENT_CHANGED)
    assert event.detail == {"requirement": "before_intake", "previous": "optional"}

    _sign(client_user, version)
    assert as_client.get(reverse("intake_home")).status_code == HTTPStatus.OK

    # The same choice again changes and records nothing; nonsense is refused, not saved.
    as_admin.post(url, {"requirement": "before_intake"})
    assert AuditEvent.objects.filter(action=Action.DOCUMENT_REQUIREMENT_CHANGED).count() == 1
    refused = as_admin.post(url, {"requirement": "always"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose from the list." in refused.content.decode()
    communication.refresh_from_db()
    assert communication.requirement == Requirement.BEFORE_INTAKE


def test_a_clinician_cannot_change_when_a_document_is_needed(
    as_clinician: Client, communication: ConsentDocument
) -> None:
    url = reverse("consent_document_requirement", args=[communication.id])
    assert as_clinician.post(url, {"requirement": "before_intake"}).status_code == 404
    communication.refresh_from_db()
    assert communication.requirement == Requirement.OPTIONAL
