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
from django.urls import reverse

from intake.models import Intake
from tests.helpers import body_bytes, reauthenticate
from tests.hostile import World, allowed_methods, build_world, db_changes, db_snapshot, routes

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
# Whose pages an object URL belongs to decides who the strangers are.
CLIENT_PAGE = ("other_client", "clinician", "other_clinician", "admin", ANONYMOUS)
CARE_TEAM_PAGE = ("client", "other_client", "other_clinician", ANONYMOUS)
ADMIN_PAGE = ("client", "other_client", "clinician", "other_clinician", ANONYMOUS)
SIGNABLE = ("clinician", "other_clinician", "admin", ANONYMOUS)


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
    world.objects["webauthn"] = Authenticator.objects.create(
        user=world.people["client"], type=Authenticator.Type.WEBAUTHN,
        data={"name": "Client A's key", "credential": {}},
    )
    return world


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
