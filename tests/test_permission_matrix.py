"""Who may open what: every URL of the portal against every kind of visitor.

The table is the specification. A URL that exists but is missing from the table fails
``test_every_url_is_in_the_matrix``, so a new page cannot ship without deciding who sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ConsentVersion
from consents.services import consent_sign, current_version
from intake.services import intake_start
from portal.models import CareAssignment, Invitation, User
from portal.services.invitations import invitation_send
from tests.conftest import sign_in
from tests.factories import UserFactory, fill_practice_settings
from tests.intake_data import submitted_intake

VISITORS = ("anonymous", "client", "other_client", "clinician", "admin")
OK, LOGIN, NOT_FOUND, REDIRECT, REAUTH = "ok", "login", "404", "redirect", "reauth"


@dataclass(frozen=True)
class Row:
    method: str
    expect: dict[str, str]
    args: Callable[[dict[str, Any]], list[object]] = lambda objects: []


def _everyone(outcome: str) -> dict[str, str]:
    return dict.fromkeys(VISITORS, outcome)


STAFF_ONLY = {"anonymous": LOGIN, "client": NOT_FOUND, "other_client": NOT_FOUND,
              "clinician": OK, "admin": OK}
ADMIN_ONLY = {**STAFF_ONLY, "clinician": NOT_FOUND}
ADMIN_ONLY_ACTION = {**ADMIN_ONLY, "admin": REDIRECT}
CLIENT_ONLY = {"anonymous": LOGIN, "client": OK, "other_client": OK,
               "clinician": NOT_FOUND, "admin": NOT_FOUND}
SIGNED_IN = {**_everyone(OK), "anonymous": LOGIN}

MATRIX: dict[str, Row] = {
    "home": Row("get", {"anonymous": OK, "client": REDIRECT, "other_client": REDIRECT,
                        "clinician": REDIRECT, "admin": REDIRECT}),
    "healthz": Row("get", _everyone(OK)),
    "client_home": Row("get", CLIENT_ONLY),
    "record_access": Row("get", CLIENT_ONLY),
    # Each person's own details: a client's profile, a staff member's display name.
    "client_details": Row("get", CLIENT_ONLY),
    "staff_name": Row("get", STAFF_ONLY),
    "staff_home": Row("get", STAFF_ONLY),
    # Admins see every client; the clinician sees "client", who is on their caseload.
    "client_list": Row("get", STAFF_ONLY),
    "client_profile": Row("get", STAFF_ONLY, lambda o: [o["assigned_client"].id]),
    # Care teams are the admin's to change; posted with no clinician chosen, nothing changes.
    "care_team_add": Row("post", ADMIN_ONLY_ACTION, lambda o: [o["assigned_client"].id]),
    "care_team_remove": Row("post", ADMIN_ONLY_ACTION, lambda o: [o["assigned_client"].id]),
    # Erasure cannot be undone: the password is asked for again first (GET only here).
    "client_erase": Row("get", {**ADMIN_ONLY, "admin": REAUTH},
                        lambda o: [o["assigned_client"].id]),
    # Clinicians get the audit trail of their own clients only (tests/test_audit_views.py).
    "audit_log": Row("get", STAFF_ONLY),
    # A file leaves the portal: the password is asked for again first.
    "audit_export": Row("get", {**STAFF_ONLY, "clinician": REAUTH, "admin": REAUTH}),
    # Admins confirm their password first (allauth re-authentication).
    "practice_settings": Row("get", {**ADMIN_ONLY, "admin": REAUTH}),
    "invitation_list": Row("get", ADMIN_ONLY),
    "invitation_resend": Row("post", ADMIN_ONLY_ACTION, lambda o: [o["invitation"].id]),
    "invitation_revoke": Row("post", ADMIN_ONLY_ACTION, lambda o: [o["invitation"].id]),
    # Public by design: the link itself is the credential. Signed-in people are told to
    # sign out first (409) rather than silently switching accounts.
    "invitation_accept": Row("get", {**_everyone("409"), "anonymous": REDIRECT},
                             lambda o: [o["token"]]),
    "session_status": Row("get", _everyone(OK)),
    "session_keepalive": Row("post", SIGNED_IN),
    # --- Intake (issue 5): objects["draft_intake"] is the client's draft,
    # objects["submitted_intake"] their earlier, submitted intake (client assigned to the
    # clinician). Each page adds its rows here. ---
    # Downloads (each one audited): the client's own copy; the care team's PDF and FHIR.
    "intake_pdf": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                      lambda o: [o["submitted_intake"].id]),
    # The client's own answers as FHIR (the care team's resource): no password prompt, like
    # the PDF; recorded as an export.
    "intake_fhir": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                       lambda o: [o["submitted_intake"].id]),
    # Everything the client told us leaves the portal: the password is asked for again first.
    "staff_intake_pdf": Row("get", {**STAFF_ONLY, "clinician": REAUTH, "admin": REAUTH},
                            lambda o: [o["submitted_intake"].id]),
    "staff_intake_fhir": Row("get", {**STAFF_ONLY, "clinician": REAUTH, "admin": REAUTH},
                             lambda o: [o["submitted_intake"].id]),
    # The client's own intake pages: the owner only; other clients and staff get a 404.
    # The other client has not signed the consents needed before the intake (published in
    # objects), so they are sent to their consents first (tests/test_consent_pages.py).
    "intake_home": Row("get", {**CLIENT_ONLY, "other_client": REDIRECT}),
    "intake_section": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                          lambda o: [o["draft_intake"].id, "about_you"]),
    # Posted without a section: the owner is told 400 and nothing is saved.
    "intake_autosave": Row("post", {**CLIENT_ONLY, "client": "400", "other_client": NOT_FOUND},
                           lambda o: [o["draft_intake"].id]),
    "intake_review": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                         lambda o: [o["draft_intake"].id]),
    # Posted without a revision: refused as stale, back to the review page.
    "intake_submit": Row("post", {**CLIENT_ONLY, "client": REDIRECT, "other_client": NOT_FOUND},
                         lambda o: [o["draft_intake"].id]),
    "intake_submitted": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                            lambda o: [o["submitted_intake"].id]),
    # Staff review: the clinician opens "client"'s intakes; other_client is no staff member.
    "staff_intake_list": Row("get", STAFF_ONLY),
    "staff_intake_detail": Row("get", STAFF_ONLY, lambda o: [o["submitted_intake"].id]),
    # Without a safety alert there is nothing to acknowledge: staff are sent back to the page.
    "staff_intake_acknowledge": Row("post", {**STAFF_ONLY, "clinician": REDIRECT,
                                             "admin": REDIRECT},
                                    lambda o: [o["submitted_intake"].id]),
    # Marked reviewed (by the clinician, then "already reviewed" for the admin): back to
    # the page either way.
    "staff_intake_mark_reviewed": Row("post", {**STAFF_ONLY, "clinician": REDIRECT,
                                               "admin": REDIRECT},
                                      lambda o: [o["submitted_intake"].id]),
    # --- Consents (issue 6): objects["signature"] is client_user's signature of the
    # published "electronic_signatures" version; objects["consent_document"] the treatment
    # document, objects["consent_version"] the published telehealth version 1 (unsigned),
    # objects["draft_version"] a draft version 2 of the fees document. ---
    "consent_signature_pdf": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                                 lambda o: [o["signature"].id]),
    # The signer's own FHIR Consent, and the exact text their signature's SHA-256 covers:
    # the signature's owner only (staff get the FHIR from their own URL, not the text).
    "consent_signature_fhir": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                                  lambda o: [o["signature"].id]),
    "consent_signature_text": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                                  lambda o: [o["signature"].id]),
    "staff_consent_signature_pdf": Row("get", STAFF_ONLY, lambda o: [o["signature"].id]),
    "staff_consent_signature_fhir": Row("get", STAFF_ONLY, lambda o: [o["signature"].id]),
    # The client's consent pages: any client may read and sign a published version; a
    # signature's pages are its owner's alone (other clients get a 404, as do staff).
    "consent_list": Row("get", CLIENT_ONLY),
    "consent_sign": Row("get", CLIENT_ONLY, lambda o: [o["consent_version"].id]),
    "consent_signed": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                          lambda o: [o["signature"].id]),
    # GET is the confirmation page; withdrawing itself takes a second, deliberate POST.
    "consent_withdraw": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                            lambda o: [o["signature"].id]),
    # The practice admin's consent pages: admins only; clinicians and clients get a 404.
    "consent_dashboard": Row("get", ADMIN_ONLY),
    "consent_outstanding": Row("get", ADMIN_ONLY),
    # Posted with no client chosen: nothing is sent, back to the list with a message.
    "consent_remind": Row("post", ADMIN_ONLY_ACTION),
    "consent_client_timeline": Row("get", ADMIN_ONLY, lambda o: [o["assigned_client"].id]),
    # Client emails leave the portal: the password is asked for again first.
    "consent_register_csv": Row("get", {**ADMIN_ONLY, "admin": REAUTH}),
    "consent_version_new": Row("get", ADMIN_ONLY, lambda o: [o["consent_document"].id]),
    "consent_document_requirement": Row("get", ADMIN_ONLY,
                                        lambda o: [o["consent_document"].id]),
    "consent_version_edit": Row("get", ADMIN_ONLY, lambda o: [o["draft_version"].id]),
    "consent_version_preview": Row("get", ADMIN_ONLY, lambda o: [o["consent_version"].id]),
    # Publishing cannot be undone: the password is asked for again first.
    "consent_version_publish": Row("post", {**ADMIN_ONLY, "admin": REAUTH},
                                   lambda o: [o["draft_version"].id]),
}

# allauth's own pages: public ones answer everyone; the rest send anonymous visitors to
# sign in. Checked by test_allauth_pages_never_fail_or_leak below.
ALLAUTH_PREFIXES = ("account_", "mfa_")
ADMIN_PREFIX = "admin:"


def _url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_url_is_in_the_matrix() -> None:
    ours = {
        name for name in _url_names()
        if not name.startswith(ALLAUTH_PREFIXES) and not name.startswith(ADMIN_PREFIX)
    }
    assert ours == set(MATRIX), "Add new URLs to MATRIX with who may open them."


@pytest.fixture
def objects(admin_user: User, clinician_user: User, client_user: User) -> dict[str, object]:
    CareAssignment.objects.create(client=client_user, clinician=clinician_user)
    invitation = invitation_send(email="invitee@example.com", invited_by=admin_user)
    # A real token for the accept URL, made the way the email makes it.
    from portal.services import invitations as service

    token = service._new_token(invitation)
    invitation.save(update_fields=["nonce_sha256"])
    submitted = submitted_intake(client_user)
    return {"invitation": invitation, "token": token, "assigned_client": client_user,
            "submitted_intake": submitted, "draft_intake": intake_start(client=client_user),
            **_consent_objects(client_user)}


def _consent_objects(client: User) -> dict[str, object]:
    """The shipped documents published; ``client`` has signed those needed before the
    intake (so the intake pages open for them), not the telehealth consent."""
    fill_practice_settings()
    install_default_documents(publish=True)
    signatures = {}
    for kind in ("electronic_signatures", "treatment", "privacy_notice"):
        version = current_version(ConsentDocument.objects.get(kind=kind))
        signatures[kind] = consent_sign(client=client, version_id=version.pk,
                                        expected_sha256=version.sha256,
                                        typed_name="Robin Example", agreed=True)
    fees = ConsentDocument.objects.get(kind="fees")
    draft = ConsentVersion.objects.create(document=fees, summary="New fees.", body="Fees.")
    telehealth = current_version(ConsentDocument.objects.get(kind="telehealth"))
    return {"signature": signatures["electronic_signatures"],
            "consent_document": ConsentDocument.objects.get(kind="treatment"),
            "consent_version": telehealth, "draft_version": draft}


@pytest.fixture
def visitors(
    client_user: User, other_client_user: User, clinician_user: User, admin_user: User
) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for name, user in (("client", client_user), ("other_client", other_client_user),
                       ("clinician", clinician_user), ("admin", admin_user)):
        clients[name] = Client()
        sign_in(clients[name], user)
    return clients


def _outcome(response: object) -> str:
    status = response.status_code
    if status == HTTPStatus.OK:
        return OK
    if status == HTTPStatus.NOT_FOUND:
        return NOT_FOUND
    if status == HTTPStatus.FOUND:
        if response["Location"].startswith(reverse("account_login")):
            return LOGIN
        if response["Location"].startswith(reverse("account_reauthenticate")):
            return REAUTH
        return REDIRECT
    return str(status)


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(MATRIX))
def test_permission_matrix(
    url_name: str, visitors: dict[str, Client], objects: dict[str, object]
) -> None:
    row = MATRIX[url_name]
    url = reverse(url_name, args=row.args(objects))
    seen = {}
    for visitor, http in visitors.items():
        response = getattr(http, row.method)(url)
        seen[visitor] = _outcome(response)
    assert seen == row.expect


@pytest.mark.django_db
def test_stranger_cannot_learn_whether_an_invitation_exists(
    visitors: dict[str, Client], objects: dict[str, object]
) -> None:
    real = objects["invitation"].id
    missing = "00000000-0000-0000-0000-000000000000"
    for visitor in ("client", "clinician"):
        for target in (real, missing):
            response = visitors[visitor].post(reverse("invitation_revoke", args=[target]))
            assert response.status_code == HTTPStatus.NOT_FOUND
    assert Invitation.objects.get(pk=real).revoked_at is None


@pytest.mark.django_db
def test_stranger_cannot_learn_whether_a_client_exists(
    visitors: dict[str, Client], objects: dict[str, object], other_client_user: User,
    clinician_user: User,
) -> None:
    """A client off the clinician's caseload, a staff account and a made-up id all look the
    same to the clinician: not found. The admin, who sees every client, opens the first."""
    for target in (other_client_user.id, clinician_user.id,
                   "00000000-0000-0000-0000-000000000000"):
        response = visitors["clinician"].get(reverse("client_profile", args=[target]))
        assert response.status_code == HTTPStatus.NOT_FOUND, target
    assert visitors["client"].get(
        reverse("client_profile", args=[other_client_user.id])
    ).status_code == HTTPStatus.NOT_FOUND
    assert visitors["admin"].get(
        reverse("client_profile", args=[other_client_user.id])
    ).status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_allauth_pages_never_fail_or_leak(visitors: dict[str, Client]) -> None:
    """Every allauth page without URL arguments: public ones render, private ones ask
    anonymous visitors to sign in; none answers with a server error for anyone."""
    public = {"account_login", "account_signup", "account_reset_password",
              "account_reset_password_done", "account_email_verification_sent",
              "account_inactive", "account_reset_password_from_key_done"}
    names = sorted(n for n in _url_names() if n.startswith(ALLAUTH_PREFIXES))
    checked = 0
    for name in names:
        try:
            url = reverse(name)
        except Exception:  # noqa: S112 - pages that need arguments (keys, ids) are skipped
            continue
        checked += 1
        anonymous = visitors["anonymous"].get(url)
        if name in public:
            assert anonymous.status_code in (HTTPStatus.OK, HTTPStatus.FOUND), name
        else:
            assert _outcome(anonymous) in (LOGIN, REDIRECT), name
        for visitor in ("client", "clinician", "admin"):
            assert visitors[visitor].get(url).status_code < 500, (name, visitor)
    assert checked >= 15


@pytest.mark.django_db
def test_django_admin_is_for_superusers_only(visitors: dict[str, Client]) -> None:
    for visitor in VISITORS:
        response = visitors[visitor].get("/django-admin/")
        assert response.status_code == HTTPStatus.FOUND, visitor
    superuser = UserFactory(email="root@example.com", is_superuser=True, is_staff=True,
                            totp=True)
    http = Client()
    sign_in(http, superuser)
    assert http.get("/django-admin/").status_code == HTTPStatus.OK
