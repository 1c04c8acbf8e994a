"""The permission matrix: every URL of the portal against every kind of visitor, as data.

The table is the specification (``tests/portal/test_permission_matrix.py`` checks it; the HEAD
and hostile tests walk it too). A URL that exists but is missing from the table fails
``test_every_url_is_in_the_matrix``, so a new page cannot ship without deciding who sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from consents.defaults import install_default_documents
from consents.models import ConsentDocument, ConsentVersion
from consents.services import consent_sign
from portal.models import Guardianship, User
from tests.factories import fill_practice_settings
from tests.helpers import published_version

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
# A client's own object (their check-in): the owner opens it, every other visitor gets a 404.
OWNER_PAGE = {**CLIENT_ONLY, "other_client": NOT_FOUND}
OWNER_ACTION = {**OWNER_PAGE, "client": REDIRECT}

MATRIX: dict[str, Row] = {
    "home": Row("get", {"anonymous": OK, "client": REDIRECT, "other_client": REDIRECT,
                        "clinician": REDIRECT, "admin": REDIRECT}),
    "healthz": Row("get", _everyone(OK)),
    # The language buttons (before sign-in too) and the words of the scripts: everyone's.
    "choose_language": Row("post", _everyone(REDIRECT)),
    "javascript_catalog": Row("get", _everyone(OK)),
    # The queue's health (issue 16): public, an age and a state only. In the matrix's world
    # the scheduler is not started, so it answers 503 "behind" to everyone alike.
    "healthz_queue": Row("get", _everyone("503")),
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
    # Clinicians get the audit trail of their own clients only (tests/portal/test_audit_views.py).
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
    # --- Outgoing messages (issue 16): objects["given_up_message"] is an email to "client"
    # the worker gave up on. Practice admins only; the retry sends it back to the list. ---
    "outgoing_messages": Row("get", ADMIN_ONLY),
    "outgoing_message_retry": Row("post", ADMIN_ONLY_ACTION,
                                  lambda o: [o["given_up_message"].id]),
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
    # objects), so they are sent to their consents first (tests/consents/test_consent_pages.py).
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
    # A check-in's safety alert (issue 18) of "client" (on the clinician's care team): the
    # care team's page; posted with no note, it comes back refused (400).
    "staff_alert_detail": Row("get", STAFF_ONLY, lambda o: [o["check_in_alert"].id]),
    "staff_alert_acknowledge": Row("post", {**STAFF_ONLY, "clinician": "400", "admin": "400"},
                                   lambda o: [o["check_in_alert"].id]),
    # --- Check-ins (issue 18): objects["check_in"] is "client"'s open check-in (PHQ-9) of
    # the weekly schedule objects["check_in_schedule"]; other_client has none of their own.
    # The care team's schedule page for "client" (the clinician's own care team).
    "measures_staff_schedule": Row("get", STAFF_ONLY, lambda o: [o["assigned_client"].id]),
    "measures_check_ins": Row("get", CLIENT_ONLY),
    # Posted with no action: nothing changes, back to the list.
    "measures_check_in_reminders": Row("post", OWNER_ACTION,
                                       lambda o: [o["check_in_schedule"].id]),
    # The reminder's link: on to the first instrument.
    "measures_check_in": Row("get", {**OWNER_PAGE, "client": REDIRECT},
                             lambda o: [o["check_in"].id]),
    "measures_check_in_page": Row("get", OWNER_PAGE, lambda o: [o["check_in"].id, "phq9"]),
    # Posted with no instrument: refused (400), nothing saved.
    "measures_check_in_autosave": Row("post", {**OWNER_PAGE, "client": "400"},
                                      lambda o: [o["check_in"].id]),
    "measures_check_in_review": Row("get", OWNER_PAGE, lambda o: [o["check_in"].id]),
    # Posted with no revision: refused as stale, back to the review.
    "measures_check_in_send": Row("post", OWNER_ACTION, lambda o: [o["check_in"].id]),
    # Not sent yet: back to the check-in.
    "measures_check_in_thanks": Row("get", {**OWNER_PAGE, "client": REDIRECT},
                                    lambda o: [o["check_in"].id]),
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
    # A guardian signs for their child (issue 17): objects["ward"] is a child of whom
    # "client" is an attested guardian; nobody else may open the child's signing page.
    "consent_sign_for_child": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                                  lambda o: [o["ward"].id, o["consent_version"].id]),
    # --- Couples and families (issue 17): objects["couple_case"] is a couple case of
    # "client" and another partner, on the clinician's case care team;
    # objects["guardianship"] is "client"'s (attested) guardianship of objects["ward"]. ---
    "case_list": Row("get", STAFF_ONLY),
    "case_new": Row("get", ADMIN_ONLY),
    "case_detail": Row("get", STAFF_ONLY, lambda o: [o["couple_case"].id]),
    "staff_case_intakes": Row("get", STAFF_ONLY, lambda o: [o["couple_case"].id]),
    # The case's people and what guardians stated leave the portal: password first.
    "case_fhir": Row("get", {**STAFF_ONLY, "clinician": REAUTH, "admin": REAUTH},
                     lambda o: [o["couple_case"].id]),
    # Building a case is the admin's; posted empty, the form comes back with its errors.
    "case_invite": Row("post", {**ADMIN_ONLY, "admin": "400"},
                       lambda o: [o["couple_case"].id]),
    "case_child_add": Row("post", {**ADMIN_ONLY, "admin": "400"},
                          lambda o: [o["couple_case"].id]),
    "case_guardian_link": Row("post", {**ADMIN_ONLY, "admin": "400"},
                              lambda o: [o["couple_case"].id]),
    # Posted with no clinician chosen: nothing changes, back to the case with a message.
    "case_care_team_add": Row("post", ADMIN_ONLY_ACTION, lambda o: [o["couple_case"].id]),
    "case_care_team_remove": Row("post", ADMIN_ONLY_ACTION, lambda o: [o["couple_case"].id]),
    # The partner's own pages of their case: "client" is in it, the other client is not.
    # "client" has not signed the practice's secrets policy (published in objects), which
    # every adult of a case signs before their case intake: sent to the consents first.
    "intake_case_home": Row("get", {**CLIENT_ONLY, "client": REDIRECT,
                                    "other_client": NOT_FOUND},
                            lambda o: [o["couple_case"].id]),
    "intake_shared": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                         lambda o: [o["couple_case"].id]),
    "guardianship_confirm": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                                lambda o: [o["guardianship"].id]),
    # A couple's joint release (issue 17): objects["joint_release"] asks "client" and their
    # partner to sign; only the partners asked open it. The admin's page of the couple case.
    "consent_joint_sign": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND},
                              lambda o: [o["joint_release"].id]),
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
    "consent_joint_release": Row("get", ADMIN_ONLY, lambda o: [o["couple_case"].id]),
    # Countersignatures (issue 17): the care team's list; countersigning a signature that
    # needs none tells the staff member so, back on the list.
    # Measures over time (issue 18): "client" has PHQ-9 scores in their individual record
    # and a review flag (objects["review_flag"]); the other client has no scores.
    "measures_caseload": Row("get", STAFF_ONLY),
    "measures_staff_trend": Row("get", STAFF_ONLY, lambda o: [o["assigned_client"].id]),
    "measures_staff_case_trend": Row("get", STAFF_ONLY, lambda o: [o["assigned_client"].id,
                                                                   o["couple_case"].id]),
    # The first to post marks it reviewed; the next finds it reviewed: both back to the page.
    "measures_flag_reviewed": Row("post", {**STAFF_ONLY, "clinician": REDIRECT,
                                           "admin": REDIRECT},
                                  lambda o: [o["assigned_client"].id, o["review_flag"].id]),
    "measures_staff_fhir": Row("get", {**STAFF_ONLY, "clinician": REAUTH, "admin": REAUTH},
                               lambda o: [o["assigned_client"].id]),
    "measures_progress": Row("get", CLIENT_ONLY),
    "measures_progress_pdf": Row("get", {**CLIENT_ONLY, "other_client": NOT_FOUND}),
    # The questionnaire builder (issue 20): practice admins only (manage_questionnaires).
    # objects["questionnaire_draft"] is a draft of the individual questionnaire,
    # objects["questionnaire_version"] the shipped version it is based on.
    "questionnaire_draft_preview": Row("get", ADMIN_ONLY,
                                       lambda o: [o["questionnaire_draft"].id]),
    "questionnaire_draft_diff": Row("get", ADMIN_ONLY, lambda o: [o["questionnaire_draft"].id]),
    # Publishing cannot be undone: the password is asked for again first.
    "questionnaire_draft_publish": Row("post", {**ADMIN_ONLY, "admin": REAUTH},
                                       lambda o: [o["questionnaire_draft"].id]),
    "questionnaire_version_preview": Row("get", ADMIN_ONLY,
                                         lambda o: [o["questionnaire_version"].id]),
    "questionnaire_use": Row("get", ADMIN_ONLY),
    # The questionnaire builder's FHIR pages (issue 20): objects["questionnaire_version"] is
    # the shipped individual questionnaire, published. Importing posted with no file: the
    # form comes back with its message, nothing stored.
    "questionnaire_fhir_download": Row("get", ADMIN_ONLY,
                                       lambda o: [o["questionnaire_version"].id]),
    "questionnaire_fhir_import": Row("post", {**ADMIN_ONLY, "admin": "400"}),
    # The questionnaire builder's editor (issue 20): admins only. objects["builder_draft"]
    # is the practice's draft of the individual questionnaire. A change posted without the
    # draft's revision is refused (400), nothing saved.
    "questionnaire_list": Row("get", ADMIN_ONLY),
    "builder_draft_start": Row("post", ADMIN_ONLY_ACTION,
                               lambda o: [o["builder_draft"].based_on_id]),
    "builder_draft": Row("get", ADMIN_ONLY, lambda o: [o["builder_draft"].id]),
    "builder_draft_texts": Row("get", ADMIN_ONLY, lambda o: [o["builder_draft"].id]),
    "builder_draft_change": Row("post", {**ADMIN_ONLY, "admin": "400"},
                                lambda o: [o["builder_draft"].id]),
    "builder_section_edit": Row("get", ADMIN_ONLY, lambda o: [o["builder_draft"].id, "health"]),
    "builder_question_edit": Row("get", ADMIN_ONLY,
                                 lambda o: [o["builder_draft"].id, "tried_so_far"]),
    "consent_countersign_list": Row("get", STAFF_ONLY),
    "consent_countersign": Row("post", {**STAFF_ONLY, "clinician": REDIRECT,
                                        "admin": REDIRECT},
                               lambda o: [o["signature"].id]),
}

# allauth's own pages: public ones answer everyone; the rest send anonymous visitors to
# sign in. Checked by test_allauth_pages_never_fail_or_leak below.
ALLAUTH_PREFIXES = ("account_", "mfa_")
ADMIN_PREFIX = "admin:"


def url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def consent_objects(client: User) -> dict[str, object]:
    """The shipped documents published; ``client`` has signed those needed before the
    intake (so the intake pages open for them), not the telehealth consent."""
    fill_practice_settings()
    install_default_documents(publish=True)
    signatures = {}
    for kind in ("electronic_signatures", "treatment", "privacy_notice"):
        version = published_version(ConsentDocument.objects.get(kind=kind))
        signatures[kind] = consent_sign(client=client, version_id=version.pk,
                                        expected_sha256=version.sha256,
                                        typed_name="Robin Example", agreed=True)
    fees = ConsentDocument.objects.get(kind="fees")
    draft = ConsentVersion.objects.create(document=fees, summary="New fees.", body="Fees.")
    telehealth = published_version(ConsentDocument.objects.get(kind="telehealth"))
    from intake.builder.assignments import version_for
    from intake.models import IntakeKind

    return {"signature": signatures["electronic_signatures"],
            "questionnaire_version": version_for(IntakeKind.INDIVIDUAL),
            "consent_document": ConsentDocument.objects.get(kind="treatment"),
            "consent_version": telehealth, "draft_version": draft,
            "ward": _ward_of(client), **_joint_release_of(client),
            "guardianship": Guardianship.objects.get(guardian__person=client),
            **_measure_objects(client), **_builder_objects(client)}


def _builder_objects(actor: User) -> dict[str, object]:
    """The individual questionnaire's published version and the practice's draft of it
    (started in ``actor``'s name: the services leave permission checks to their callers)."""
    from intake.builder.assignments import version_for
    from intake.builder.drafts import draft_start
    from intake.models import IntakeKind

    version = version_for(IntakeKind.INDIVIDUAL)
    draft = draft_start(version=version, actor=actor)
    return {"questionnaire_version": version, "questionnaire_draft": draft,
            "builder_draft": draft}


def _measure_objects(client: User) -> dict[str, object]:
    """Two PHQ-9 check-ins of ``client``, the second reliably worse: a review flag."""
    from measures.models import ReviewFlag
    from tests.measures.points import check_in_point

    check_in_point(client, "phq9", 5, days_ago=14)
    worse = check_in_point(client, "phq9", 12)
    return {"review_flag": ReviewFlag.objects.get(response=worse)}


def _joint_release_of(partner: User) -> dict[str, object]:
    """A couple case of ``partner`` and a second partner, both asked to sign a release of
    their joint record (made in the partner's name: the services leave permission checks
    to their callers)."""
    from clients.cases import case_create, case_participant_invite
    from consents.joint_release import joint_release_request
    from portal.roles import Role
    from tests.factories import UserFactory

    other = UserFactory(role=Role.CLIENT, email="partner@example.com")
    case = case_create(kind="couple", created_by=partner)
    for person in (partner, other):
        case_participant_invite(case=case, email=person.email, role="partner", actor=partner)
    return {"couple_case": case, "joint_release": joint_release_request(case=case,
                                                                         actor=partner)}


def _ward_of(guardian: User) -> User:
    """A child in a family case of whom ``guardian`` is an attested guardian whose
    signature the practice requires (the case made in the guardian's name: the services
    leave permission checks to their callers)."""
    from clients.cases import (
        case_create,
        case_participant_invite,
        child_add,
        guardian_link,
        guardianship_attest,
    )

    case = case_create(kind="family", created_by=guardian)
    minor = child_add(case=case, legal_name="Sam Child", date_of_birth=date(2018, 5, 1),
                      actor=guardian)
    place = case_participant_invite(case=case, email=guardian.email, role="adult",
                                    actor=guardian)
    link = guardian_link(case=case, guardian=place, minor=minor, relationship="Parent",
                         legal_authority="Joint legal custody", signs_for_child=True,
                         actor=guardian)
    guardianship_attest(guardianship=link, by=guardian)
    assert minor.person is not None
    return minor.person


def check_in_objects(client: User, clinician: User) -> dict[str, object]:
    """Measures over time (issue 18): ``client``'s weekly check-in schedule set by
    ``clinician`` (on their care team), its open check-in (the PHQ-9), and a safety alert
    raised by another check-in of theirs."""
    import uuid

    from intake.api import raise_check_in_alert
    from measures.models import CheckIn
    from measures.schedules import schedule_set

    schedule = schedule_set(client=client, case=None, instruments=["phq9"],
                            frequency="weekly", by=clinician)
    return {"check_in_alert": raise_check_in_alert(client=client, case=None,
                                                   check_in_id=uuid.uuid4()),
            "check_in_schedule": schedule,
            "check_in": CheckIn.objects.get(schedule=schedule)}


def case_objects(clinician: User) -> dict[str, object]:
    """``clinician`` on the care team of the couple case ``consent_objects`` made for
    "client" (with their partner)."""
    from clients.cases import case_assign
    from portal.models import Case

    case_assign(case=Case.objects.get(kind="couple"), clinician=clinician, actor=clinician)
    return {}
