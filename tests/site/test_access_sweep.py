"""Strangers find nothing: every URL that names an object (an intake, a signature, a version,
a client, an invitation, an authenticator, and the PDF, FHIR, signed-text and CSV downloads)
is tried on client A's objects (A is on clinician A's care team) by everyone who has no
business there: client B, clinician B (on no care team of A's), the other role where the
page is not theirs, and an anonymous visitor. Each gets exactly what a made-up id gets
(404, or 405 for a method the page never takes), anonymous visitors are sent to sign in, and
the database does not change: no row written, no audit event recorded.

The list comes from the URL conf: ``test_every_object_url_is_swept`` fails when a URL with a
path argument is neither swept here nor exempt with a reason.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clients.cases import case_assign, case_participant_invite, guardian_link
from intake.models import Intake
from intake.services import intake_submit
from portal.models import Guardianship, User
from tests.helpers import body_bytes, client_account, reauthenticate, sign_in
from tests.hostile import World, allowed_methods, build_world, db_changes, db_snapshot, routes
from tests.intake_data import filled_couple_draft

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
# Whose pages an object URL belongs to decides who the strangers are.
CLIENT_PAGE = ("other_client", "clinician", "other_clinician", "admin", ANONYMOUS)
CARE_TEAM_PAGE = ("client", "other_client", "other_clinician", ANONYMOUS)
ADMIN_PAGE = ("client", "other_client", "clinician", "other_clinician", ANONYMOUS)
SIGNABLE = ("clinician", "other_clinician", "admin", ANONYMOUS)
# Couples and families (issue 17): the people of client A's cases who are not the owner.
# "partner" is A's partner in a couple case; "co_guardian" the other guardian of A's ward
# in a family case; "adolescent" a young person with their own account in that family.
CASE_MEMBERS = ("partner", "co_guardian", "adolescent")
# A's case pages (staff): A and everyone in A's cases are strangers there, as is a
# clinician on no care team of the case.
CASE_STAFF_PAGE = (*CARE_TEAM_PAGE, *CASE_MEMBERS)
CASE_ADMIN_PAGE = (*ADMIN_PAGE, *CASE_MEMBERS)
# A's own pages of the couple case, and of their intake in it: the family's people and
# staff are strangers (the partner reads only what A shares, on the shared-answers page).
CASE_CLIENT_PAGE = (*CLIENT_PAGE, "co_guardian", "adolescent")
OWN_CASE_INTAKE = (*CLIENT_PAGE, *CASE_MEMBERS)


@dataclass(frozen=True)
class Sweep:
    url_name: str
    args: Callable[[World], list[Any]]
    strangers: tuple[str, ...]
    # What a stranger posts: what would do the page's action if they were allowed.
    post: Callable[[World], dict[str, Any]] = lambda world: {}
    label: str = ""


def _a(name: str) -> Callable[[World], list[Any]]:
    return lambda world: [world.objects[name].id]


def _client_a(world: World) -> list[Any]:
    return [world.people["client"].id]


def _intake_post(world: World) -> dict[str, Any]:
    draft = world.objects["draft_intake"]
    return {"section": "about_you", "revision": str(draft.revision), "questions": "legal_name",
            "legal_name": "Taken over", "action": "next"}


def _check_in_post(world: World) -> dict[str, Any]:
    """Client A's PHQ-9 page, answered with item 9 (would raise an alert if it were saved)."""
    answers = {f"phq9_{n}": "3" for n in range(1, 10)}
    return {**answers, "revision": str(world.objects["check_in"].revision), "action": "next"}


SWEEPS = [
    # Client A's record, for staff.
    Sweep("client_profile", _client_a, CARE_TEAM_PAGE),
    Sweep("care_team_add", _client_a, ADMIN_PAGE,
          lambda w: {"clinician": str(w.people["other_clinician"].pk)}),
    Sweep("care_team_remove", _client_a, ADMIN_PAGE,
          lambda w: {"clinician": str(w.people["clinician"].pk)}),
    # The right email: only the 404 stands between a stranger and the erasure.
    Sweep("client_erase", _client_a, ADMIN_PAGE,
          lambda w: {"confirm_email": w.people["client"].email}),
    Sweep("consent_client_timeline", _client_a, ADMIN_PAGE),
    # The practice's invitations and documents, for admins.
    Sweep("invitation_resend", _a("invitation"), ADMIN_PAGE),
    Sweep("invitation_revoke", _a("invitation"), ADMIN_PAGE),
    Sweep("consent_document_requirement", _a("consent_document"), ADMIN_PAGE,
          lambda w: {"requirement": "optional"}),
    Sweep("consent_version_new", _a("consent_document"), ADMIN_PAGE,
          lambda w: {"summary": "Changed", "body": "Changed", "effective_date": "2030-01-01"}),
    Sweep("consent_version_preview", _a("draft_version"), ADMIN_PAGE),
    Sweep("consent_version_edit", _a("draft_version"), ADMIN_PAGE,
          lambda w: {"summary": "Changed", "body": "Changed", "effective_date": "2030-01-01"}),
    Sweep("consent_version_publish", _a("draft_version"), ADMIN_PAGE),
    # The questionnaire builder's drafts and versions (issue 20): practice admins only.
    Sweep("questionnaire_draft_preview", _a("questionnaire_draft"), ADMIN_PAGE),
    Sweep("questionnaire_draft_diff", _a("questionnaire_draft"), ADMIN_PAGE),
    Sweep("questionnaire_draft_publish", _a("questionnaire_draft"), ADMIN_PAGE,
          lambda w: {"use_for": "individual"}),
    Sweep("questionnaire_version_preview", _a("questionnaire_version"), ADMIN_PAGE),
    # A published questionnaire as FHIR (issue 20): practice admins only.
    Sweep("questionnaire_fhir_download", _a("questionnaire_version"), ADMIN_PAGE),
    # The questionnaire builder's editor (issue 20): the practice's draft, for admins.
    Sweep("builder_draft_start", lambda w: [w.objects["builder_draft"].based_on_id],
          ADMIN_PAGE),
    Sweep("builder_draft", _a("builder_draft"), ADMIN_PAGE),
    Sweep("builder_draft_texts", _a("builder_draft"), ADMIN_PAGE,
          lambda w: {"revision": str(w.objects["builder_draft"].revision),
                     "title-en": "Taken over"}),
    Sweep("builder_draft_change", _a("builder_draft"), ADMIN_PAGE,
          lambda w: {"revision": str(w.objects["builder_draft"].revision),
                     "op": "section_remove", "section": "health"}),
    Sweep("builder_section_edit", lambda w: [w.objects["builder_draft"].id, "health"],
          ADMIN_PAGE, lambda w: {"revision": str(w.objects["builder_draft"].revision),
                                 "id": "taken", "title-en": "Taken over"}),
    Sweep("builder_question_edit", lambda w: [w.objects["builder_draft"].id, "tried_so_far"],
          ADMIN_PAGE, lambda w: {"revision": str(w.objects["builder_draft"].revision),
                                 "id": "taken", "label-en": "Taken over"}),
    # An email to client A the worker gave up on: only practice admins send it again.
    Sweep("outgoing_message_retry", _a("given_up_message"), ADMIN_PAGE),
    # Client A's intake: their own pages (the draft) and the copies.
    Sweep("intake_section", lambda w: [w.objects["draft_intake"].id, "about_you"], CLIENT_PAGE,
          _intake_post),
    Sweep("intake_autosave", _a("draft_intake"), CLIENT_PAGE, _intake_post),
    Sweep("intake_review", _a("draft_intake"), CLIENT_PAGE),
    Sweep("intake_submit", _a("draft_intake"), CLIENT_PAGE,
          lambda w: {"revision": str(w.objects["draft_intake"].revision)}),
    Sweep("intake_submitted", _a("submitted_intake"), CLIENT_PAGE),
    Sweep("intake_pdf", _a("submitted_intake"), CLIENT_PAGE),
    Sweep("intake_fhir", _a("submitted_intake"), CLIENT_PAGE),
    # ... and the care team's view of it.
    Sweep("staff_intake_detail", _a("submitted_intake"), CARE_TEAM_PAGE),
    Sweep("staff_intake_detail", _a("draft_intake"), CARE_TEAM_PAGE, label="draft"),
    Sweep("staff_intake_acknowledge", _a("submitted_intake"), CARE_TEAM_PAGE,
          lambda w: {"note": "Called the client."}),
    Sweep("staff_intake_mark_reviewed", _a("submitted_intake"), CARE_TEAM_PAGE),
    Sweep("staff_intake_pdf", _a("submitted_intake"), CARE_TEAM_PAGE),
    Sweep("staff_intake_fhir", _a("submitted_intake"), CARE_TEAM_PAGE),
    # A safety alert raised by client A's check-in (issue 18): the care team's page.
    Sweep("staff_alert_detail", _a("check_in_alert"), CARE_TEAM_PAGE),
    Sweep("staff_alert_acknowledge", _a("check_in_alert"), CARE_TEAM_PAGE,
          lambda w: {"note": "Called the client."}),
    # Client A's check-in schedule: the care team's page.
    Sweep("measures_staff_schedule", _client_a, CARE_TEAM_PAGE,
          lambda w: {"instruments": "phq9", "frequency": "weekly"}),
    # Client A's check-in and its schedule's reminders: theirs alone.
    Sweep("measures_check_in", _a("check_in"), CLIENT_PAGE),
    Sweep("measures_check_in_page", lambda w: [w.objects["check_in"].id, "phq9"], CLIENT_PAGE,
          _check_in_post),
    Sweep("measures_check_in_autosave", _a("check_in"), CLIENT_PAGE,
          lambda w: {**_check_in_post(w), "instrument": "phq9"}),
    Sweep("measures_check_in_review", _a("check_in"), CLIENT_PAGE),
    Sweep("measures_check_in_send", _a("check_in"), CLIENT_PAGE,
          lambda w: {"revision": str(w.objects["check_in"].revision)}),
    Sweep("measures_check_in_thanks", _a("check_in"), CLIENT_PAGE),
    Sweep("measures_check_in_reminders", _a("check_in_schedule"), CLIENT_PAGE,
          lambda w: {"action": "pause"}),
    # Client A's signatures: theirs, and the care team's copies.
    Sweep("consent_signed", _a("signature"), CLIENT_PAGE),
    Sweep("consent_signed", _a("authorization"), CLIENT_PAGE, label="authorization"),
    Sweep("consent_withdraw", _a("signature"), CLIENT_PAGE, lambda w: {"reason": "Not mine."}),
    Sweep("consent_withdraw", _a("authorization"), CLIENT_PAGE,
          lambda w: {"reason": "Not mine."}, label="authorization"),
    Sweep("consent_signature_pdf", _a("signature"), CLIENT_PAGE),
    Sweep("consent_signature_pdf", _a("authorization"), CLIENT_PAGE, label="authorization"),
    Sweep("consent_signature_fhir", _a("signature"), CLIENT_PAGE),
    Sweep("consent_signature_text", _a("signature"), CLIENT_PAGE),
    Sweep("consent_signature_text", _a("authorization"), CLIENT_PAGE, label="authorization"),
    Sweep("staff_consent_signature_pdf", _a("authorization"), CARE_TEAM_PAGE),
    Sweep("staff_consent_signature_fhir", _a("authorization"), CARE_TEAM_PAGE),
    # A published version any client may sign is no secret; staff have no signing pages,
    # and a draft is nobody's to sign.
    Sweep("consent_sign", _a("consent_version"), SIGNABLE,
          lambda w: {"typed_name": "Staff Member", "agreed": "on",
                     "sha256": w.objects["consent_version"].sha256}),
    Sweep("consent_sign", _a("draft_version"), ("client", *CLIENT_PAGE), label="draft"),
    # Client A signs for their child (issue 17): nobody else, whatever they post.
    Sweep("consent_sign_for_child",
          lambda w: [w.objects["ward"].id, w.objects["consent_version"].id], CLIENT_PAGE,
          lambda w: {"typed_name": "Someone Else", "agreed": "on",
                     "sha256": w.objects["consent_version"].sha256}),
    # Client A's couple case: the staff pages (the care team is clinician A's) ...
    Sweep("case_detail", _a("couple_case"), CASE_STAFF_PAGE),
    Sweep("staff_case_intakes", _a("couple_case"), CASE_STAFF_PAGE),
    Sweep("case_fhir", _a("couple_case"), CASE_STAFF_PAGE),
    Sweep("case_invite", _a("couple_case"), CASE_ADMIN_PAGE,
          lambda w: {"email": "intruder@example.com", "role": "partner"}),
    Sweep("case_child_add", _a("family_case"), CASE_ADMIN_PAGE,
          lambda w: {"legal_name": "Intruder Child", "date_of_birth": "2019-01-01"},
          label="family"),
    Sweep("case_guardian_link", _a("family_case"), CASE_ADMIN_PAGE,
          lambda w: {"guardian": str(w.objects["co_guardian_place"].pk),
                     "minor": str(w.objects["adolescent_place"].pk),
                     "relationship": "Aunt", "legal_authority": "None",
                     "signs_for_child": "on"}, label="family"),
    Sweep("case_care_team_add", _a("couple_case"), CASE_ADMIN_PAGE,
          lambda w: {"clinician": str(w.people["other_clinician"].pk)}),
    Sweep("case_care_team_remove", _a("couple_case"), CASE_ADMIN_PAGE,
          lambda w: {"clinician": str(w.people["clinician"].pk)}),
    # ... A's own pages of it, and A's intake in it (the partner gets the 404 a stranger
    # gets: A's answers reach the partner only through the shared-answers page) ...
    Sweep("intake_case_home", _a("couple_case"), CASE_CLIENT_PAGE),
    Sweep("intake_shared", _a("couple_case"), CASE_CLIENT_PAGE),
    Sweep("intake_shared", _a("family_case"), (*CLIENT_PAGE, "partner"), label="family"),
    Sweep("intake_submitted", _a("case_intake"), OWN_CASE_INTAKE, label="case"),
    Sweep("intake_pdf", _a("case_intake"), OWN_CASE_INTAKE, label="case"),
    Sweep("intake_fhir", _a("case_intake"), OWN_CASE_INTAKE, label="case"),
    Sweep("staff_intake_detail", _a("case_intake"), CASE_STAFF_PAGE, label="case"),
    # ... and A's guardianship of their ward, which only A confirms.
    Sweep("guardianship_confirm", _a("guardianship"), (*CLIENT_PAGE, *CASE_MEMBERS),
          lambda w: {"confirm": "on"}),
    # Client A's joint release with their partner (issue 17), and the admin's case page.
    Sweep("consent_joint_sign", _a("joint_release"), CLIENT_PAGE,
          lambda w: {"typed_name": "Someone Else", "agreed": "on",
                     "sha256": w.objects["release_version"].sha256,
                     "submission": str(uuid.uuid4()), "information": "Everything",
                     "recipient": "Someone", "purpose": "Curiosity",
                     "expires_on": "2031-01-01"}),
    Sweep("consent_joint_release", _a("couple_case"), ADMIN_PAGE),
    # Countersigning client A's signature: the care team's alone.
    Sweep("consent_countersign", _a("signature"), CARE_TEAM_PAGE),
    # Client A's scores over time (issue 18): the care team's pages.
    Sweep("measures_staff_trend", _client_a, CARE_TEAM_PAGE),
    Sweep("measures_staff_fhir", _client_a, CARE_TEAM_PAGE),
    Sweep("measures_staff_case_trend", lambda w: [w.people["client"].id,
                                                  w.objects["couple_case"].id],
          CASE_STAFF_PAGE),
    Sweep("measures_flag_reviewed", lambda w: [w.people["client"].id,
                                               w.objects["review_flag"].id], CARE_TEAM_PAGE),
    # Client A's security key (allauth's pages).
    Sweep("mfa_edit_webauthn", lambda w: [w.objects["webauthn"].pk], CLIENT_PAGE,
          lambda w: {"name": "Taken over"}),
    Sweep("mfa_remove_webauthn", lambda w: [w.objects["webauthn"].pk], CLIENT_PAGE),
]

# URLs with a path argument that are not an object of anyone's: the argument is a secret.
EXEMPT = {
    "invitation_accept": "the link itself is the credential (tests/portal/test_invitations.py, "
                         "tests/site/test_permission_matrix.py)",
    "account_confirm_email": "allauth's signed email-confirmation key",
    "account_reset_password_from_key": "allauth's password-reset key",
}
# Superusers only, behind allauth's sign-in and MFA (test_django_admin_is_for_superusers_only).
EXEMPT_PREFIXES = ("admin:",)


def test_every_object_url_is_swept() -> None:
    with_arguments = {route.name for route in routes()
                      if route.params and not route.name.startswith(EXEMPT_PREFIXES)}
    assert with_arguments == {sweep.url_name for sweep in SWEEPS} | set(EXEMPT)


@pytest.fixture
def world(settings: Any) -> World:
    # The sweep takes a while on a busy machine: the password prompts must not come back
    # (a stranger sent to re-authenticate would hide whether the page itself refuses).
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 3600
    world = build_world()
    for name in ("client", "other_client"):
        reauthenticate(world.http[name])
    _add_cases(world)
    world.objects["webauthn"] = Authenticator.objects.create(
        user=world.people["client"], type=Authenticator.Type.WEBAUTHN,
        data={"name": "Client A's key", "credential": {}},
    )
    return world


def _add_cases(world: World) -> None:
    """Client A's couple case (with a partner, on clinician A's case care team, A's intake
    in it sent), and the family case of A's ward: a co-guardian and an adolescent with
    their own accounts. Each new person signed in as a stranger to A's things."""
    people, admin, client_a = world.people, world.people["admin"], world.people["client"]
    couple = world.objects["couple_case"]  # with A's partner (tests.access_matrix)
    people["partner"] = User.objects.get(email="partner@example.com")
    case_assign(case=couple, clinician=people["clinician"], actor=admin)
    draft = filled_couple_draft(client_a, couple)
    world.objects["case_intake"] = intake_submit(intake_id=draft.pk, client=client_a,
                                                 revision=draft.revision)
    link = Guardianship.objects.select_related("case", "minor").get(guardian__person=client_a)
    family = link.case
    world.objects["guardianship"], world.objects["family_case"] = link, family
    people["co_guardian"] = client_account("co.guardian@example.com")
    place = case_participant_invite(case=family, email=people["co_guardian"].email,
                                    role="adult", actor=admin)
    guardian_link(case=family, guardian=place, minor=link.minor, relationship="Parent",
                  legal_authority="Joint legal custody", signs_for_child=True, actor=admin)
    world.objects["co_guardian_place"] = place
    people["adolescent"] = client_account("teen@example.com")
    today = timezone.localdate()
    world.objects["adolescent_place"] = case_participant_invite(
        case=family, email=people["adolescent"].email, role="adolescent", actor=admin,
        date_of_birth=today.replace(year=today.year - 14, day=1))
    for name in CASE_MEMBERS:
        world.http[name] = Client()
        sign_in(world.http[name], people[name])
        reauthenticate(world.http[name])


def _missing_args(args: list[Any]) -> list[Any]:
    """The same URL with a made-up object id in place of the real one."""
    first = args[0]
    made_up = 999_999_999 if isinstance(first, int) else uuid.uuid4()
    return [made_up, *args[1:]]


def _expected(method: str, view: Any, stranger: str) -> int:
    if stranger == ANONYMOUS:
        return HTTPStatus.FOUND
    allowed = allowed_methods(view)
    if allowed is not None and method.upper() not in allowed:
        return HTTPStatus.METHOD_NOT_ALLOWED
    return HTTPStatus.NOT_FOUND


def test_strangers_find_nothing_at_any_object_url(world: World) -> None:
    views = {route.name: route.view for route in routes()}
    login = reverse("account_login")
    failures = []
    for sweep in SWEEPS:
        name = f"{sweep.url_name}{':' + sweep.label if sweep.label else ''}"
        args = sweep.args(world)
        real, missing = reverse(sweep.url_name, args=args), reverse(
            sweep.url_name, args=_missing_args(args))
        before = db_snapshot()
        for stranger in sweep.strangers:
            http = world.http[stranger]
            for method in ("get", "post"):
                data = sweep.post(world) if method == "post" else {}
                response = getattr(http, method)(real, data)
                expected = _expected(method, views[sweep.url_name], stranger)
                if response.status_code != expected:
                    failures.append(f"{name} {method.upper()} by {stranger}: "
                                    f"{response.status_code}, expected {expected}")
                elif stranger == ANONYMOUS and not response["Location"].startswith(login):
                    failures.append(f"{name} {method.upper()} by anonymous: sent to "
                                    f"{response['Location']}")
                elif stranger != ANONYMOUS:
                    other = getattr(http, method)(missing, data).status_code
                    if other != response.status_code:
                        failures.append(f"{name} {method.upper()} by {stranger}: "
                                        f"{response.status_code} but {other} for a made-up id")
        if changed := db_changes(before, db_snapshot()):
            failures.append(f"{name}: strangers changed {changed}")
    assert not failures, "\n".join(failures)


def test_the_sweep_would_notice_a_page_that_lets_strangers_in(world: World) -> None:
    """The owner and the care team do get through the same URLs (so a 404 above is the
    access decision, not a broken URL), and a write by them shows up in the snapshot."""
    owner, team = world.http["client"], world.http["clinician"]
    for url_name, args in (("intake_review", [world.objects["draft_intake"].id]),
                           ("consent_signed", [world.objects["signature"].id]),
                           ("consent_signature_pdf", [world.objects["authorization"].id]),
                           ("consent_signature_fhir", [world.objects["signature"].id]),
                           ("consent_signature_text", [world.objects["authorization"].id]),
                           ("intake_fhir", [world.objects["submitted_intake"].id])):
        assert owner.get(reverse(url_name, args=args)).status_code == HTTPStatus.OK, url_name
    for url_name in ("staff_intake_detail", "staff_intake_pdf", "staff_intake_fhir"):
        response = team.get(reverse(url_name, args=[world.objects["submitted_intake"].id]))
        assert response.status_code == HTTPStatus.OK, url_name
    # The case's own people and care team get through the case URLs.
    couple = world.objects["couple_case"].id
    for who, url_name, args in (
            ("client", "intake_shared", [couple]),
            ("partner", "intake_shared", [couple]),
            ("client", "guardianship_confirm", [world.objects["guardianship"].id]),
            ("client", "intake_submitted", [world.objects["case_intake"].id]),
            ("clinician", "case_detail", [couple]),
            ("clinician", "staff_case_intakes", [couple]),
            ("clinician", "staff_intake_detail", [world.objects["case_intake"].id])):
        response = world.http[who].get(reverse(url_name, args=args))
        assert response.status_code == HTTPStatus.OK, (who, url_name)
    before = db_snapshot()
    team.post(reverse("staff_intake_mark_reviewed", args=[world.objects["submitted_intake"].id]))
    assert "intake_intake" in db_changes(before, db_snapshot())


def test_lists_and_exports_show_a_stranger_nothing_of_client_a(world: World) -> None:
    """The pages without an id that list clients, intakes and events, and the CSV
    exports: clinician B (who may use them) sees none of client A; clients and clinicians
    never get the practice's consent register."""
    client_a = world.people["client"]
    marks = (str(client_a.pk), client_a.email, str(world.objects["submitted_intake"].pk),
             str(world.objects["draft_intake"].pk))
    stranger = world.http["other_clinician"]
    for url_name in ("staff_home", "client_list", "staff_intake_list", "audit_log"):
        page = stranger.get(reverse(url_name))
        assert page.status_code == HTTPStatus.OK, url_name
        assert not [m for m in marks if m in page.content.decode()], url_name
    export = stranger.get(reverse("audit_export"))
    assert export.status_code == HTTPStatus.OK
    rows = list(csv.reader(io.StringIO(body_bytes(export).decode())))
    assert not [row for row in rows if any(m in cell for m in marks for cell in row)]
    for name in ("client", "other_client", "clinician", "other_clinician"):
        assert world.http[name].get(reverse("consent_register_csv")).status_code == \
            HTTPStatus.NOT_FOUND, name
    assert Intake.objects.filter(client=client_a, reviewed_at__isnull=False).count() == 0
